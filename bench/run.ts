/**
 * `bun run bench`: packets/s of the raw shim read, the full analyze engine and the C reference on
 * the same generated capture, their ratio, and the engine's peak RSS, against the targets.
 */
import { existsSync, statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { openOffline } from "../src/capture/offline.ts";
import { ensureBenchCapture } from "./gen.ts";
import { liveBench } from "./live.ts";

const TARGET_PPS = 1_000_000;
const TARGET_RATIO = 0.75;
const TARGET_RSS_MB = 150;
/** Runs per measurement; the best counts, because the machine is shared and noise only slows. */
const RUNS = 5;
const ANALYZE_RUNS = 3;

const here = import.meta.dir;
const bun = process.execPath;

interface Run { packets: number; seconds: number; cpuSeconds?: number; flows?: number; maxRssMB?: number }

async function rawRead(file: string): Promise<Run> {
  const started = performance.now();
  const src = await openOffline(file);
  let packets = 0;
  for (let b = src.next(); b; b = src.next()) packets += b.count;
  src.close();
  return { packets, seconds: (performance.now() - started) / 1000 };
}

function runJson(cmd: string[]): Run {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString().trim().split("\n").pop()!);
}

/** Builds bench/out/ref from ref.c (cc + libpcap-dev); undefined with the reason printed. */
function buildReference(): string | undefined {
  const src = path.join(here, "ref.c"), exe = path.join(here, "out", "ref");
  if (existsSync(exe) && statSync(exe).mtimeMs > statSync(src).mtimeMs) return exe;
  const cc = Bun.which("cc") ?? Bun.which("gcc");
  if (!cc) return void console.log("  C reference: skipped, no C compiler (apt install gcc)");
  const r = Bun.spawnSync([cc, "-O2", "-o", exe, src, "-lpcap"], { stderr: "pipe" });
  if (r.exitCode !== 0) return void console.log(`  C reference: skipped, build failed (apt install libpcap-dev?)\n${r.stderr}`);
  return exe;
}

/** The fastest of n runs, with the least CPU time and the highest peak RSS seen in any of them. */
async function best(n: number, f: () => Promise<Run> | Run): Promise<Run> {
  const runs: Run[] = [];
  for (let i = 0; i < n; i++) runs.push(await f());
  const fastest = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const rss = Math.max(...runs.map((r) => r.maxRssMB ?? 0));
  const cpu = Math.min(...runs.map((r) => r.cpuSeconds ?? Infinity));
  return { ...fastest, maxRssMB: rss || undefined, cpuSeconds: Number.isFinite(cpu) ? cpu : undefined };
}

const mpps = (r: Run) => r.packets / r.seconds / 1e6;
const cpuText = (r: Run) => (r.cpuSeconds ? `, ${r.cpuSeconds.toFixed(3)} s CPU` : "");
const line = (name: string, r: Run, extra = "") =>
  console.log(`  ${name.padEnd(26)} ${mpps(r).toFixed(2).padStart(6)} M packets/s  (${r.packets} packets in ${r.seconds.toFixed(3)} s${cpuText(r)})${extra}`);
const verdict = (ok: boolean) => (ok ? "ok" : "MISS");

const file = await ensureBenchCapture((s) => console.log(s));
const sizeMB = statSync(file).size / 1e6;
console.log(`NetInsight benchmark: ${path.relative(process.cwd(), file)} (${sizeMB.toFixed(0)} MB)`);
console.log(`  machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), load ${loadavg().map((l) => l.toFixed(2)).join(" ")}; best of ${RUNS} (analyze: ${ANALYZE_RUNS})`);

const raw = await best(RUNS, () => rawRead(file));
line("raw shim read", raw);

const analyzeScript = path.join(here, "analyze-once.ts");
const hasEngine = existsSync(path.join(here, "..", "src", "engine", "analyze.ts"));
let analyze: Run | undefined;
if (hasEngine) {
  analyze = await best(ANALYZE_RUNS, () => runJson([bun, analyzeScript, file]));
  line("analyze (engine)", analyze, `  ${analyze.flows} flows, max RSS ${analyze.maxRssMB?.toFixed(0)} MB`);
  const collected = runJson([bun, analyzeScript, file, "collect"]);
  line("analyze, keeping records", collected, `  max RSS ${collected.maxRssMB?.toFixed(0)} MB (every FlowRecord kept, as analyze --json does)`);
  const full = runJson([bun, analyzeScript, file, "full"]);
  line("analyze, every analyzer", full, `  max RSS ${full.maxRssMB?.toFixed(0)} MB (devices, labels, 15 threat detectors: what serve runs)`);
} else {
  console.log("  analyze (engine): skipped, src/engine/analyze.ts is not there yet");
}

const refExe = buildReference();
const ref = refExe ? await best(RUNS, () => runJson([refExe, file])) : undefined;
if (ref) line("C reference (libpcap+hash)", ref, `  ${ref.flows} flows`);

console.log("targets:");
if (analyze) {
  console.log(`  analyze >= ${TARGET_PPS / 1e6} M packets/s: ${mpps(analyze).toFixed(2)}  ${verdict(mpps(analyze) >= TARGET_PPS / 1e6)}`);
  if (ref) {
    const ratio = mpps(analyze) / mpps(ref);
    const cpuRatio = analyze.cpuSeconds && ref.cpuSeconds ? ` (by CPU time: ${(ref.cpuSeconds / analyze.cpuSeconds).toFixed(2)})` : "";
    console.log(`  analyze / C >= ${TARGET_RATIO}: ${ratio.toFixed(2)}${cpuRatio}  ${verdict(ratio >= TARGET_RATIO)}`);
  }
  console.log(`  max RSS <= ${TARGET_RSS_MB} MB with ${analyze.flows} flows: ${analyze.maxRssMB?.toFixed(0)} MB  ${verdict((analyze.maxRssMB ?? Infinity) <= TARGET_RSS_MB)}`);
}
if (ref) console.log(`  (raw shim read alone / C read+parse+hash: ${(mpps(raw) / mpps(ref)).toFixed(2)})`);
if (analyze && ref && analyze.packets !== ref.packets) console.log(`  WARNING: analyze saw ${analyze.packets} packets, C saw ${ref.packets}`);

await liveBench(file);
