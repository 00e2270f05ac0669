/**
 * `bun run bench`: NetInsight and every installed flow tool on the same capture in the same run
 * (the machine may be shared, so only figures from one run compare): seconds, CPU seconds,
 * packets/s and max RSS of each whole process (/usr/bin/time -v; serve from /proc), and the
 * ratios the targets of issue 13 are stated in.
 *
 *   bun bench/run.ts [--packets N] [--runs N] [--no-serve] [--live]
 *     --packets N   the first N packets of the bench capture (a quicker run; cut once with tcpdump)
 *     --runs N      best of N runs per tool (default 1: noise only slows, so the best counts)
 *     --no-serve    leave out `serve --read FILE --speed 0`
 *     --live        also tcpreplay through a veth into the live capture (root)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { ensureBenchCapture } from "./gen.ts";
import { liveBench } from "./live.ts";

const TARGET = { analyzePps: 1_000_000, vsNdpi: 3, analyzeRssMB: 200, flowsPps: 2_000_000, servePps: 800_000 };

const here = import.meta.dir;
const repo = path.resolve(here, "..");
const bun = process.execPath;
const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Math.max(1, Number(opt("--runs") ?? 1));
const PACKETS = opt("--packets") === undefined ? 0 : Number(opt("--packets"));
if (!Number.isInteger(PACKETS) || PACKETS < 0) throw new Error("--packets must be a whole number");

interface Measured { wall: number; cpu: number; rssMB: number; stdout: string }
interface Row extends Measured { tool: string; what: string }

/** Runs a command under /usr/bin/time -v; stdout is kept (some tools print counts), stderr dropped. */
function timed(cmd: string[]): Measured {
  const report = path.join(tmpdir(), `ni-bench-time-${process.pid}.txt`);
  const r = Bun.spawnSync(["/usr/bin/time", "-v", "-o", report, ...cmd], { cwd: repo, stdout: "pipe", stderr: "pipe" });
  const text = existsSync(report) ? readFileSync(report, "utf8") : "";
  rmSync(report, { force: true });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr.toString().slice(0, 500)}`);
  const num = (re: RegExp) => Number(text.match(re)?.[1] ?? NaN);
  const clock = text.match(/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/);
  const wall = clock ? Number(clock[1] ?? 0) * 3600 + Number(clock[2]) * 60 + Number(clock[3]) : NaN;
  return {
    wall,
    cpu: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/),
    rssMB: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
    stdout: r.stdout.toString(),
  };
}

/** `serve --read FILE --speed 0` until the capture is done and written; peak RSS and CPU from /proc. */
async function serveRun(file: string, packets: number): Promise<Measured> {
  const dir = mkdtempSync(path.join(tmpdir(), "ni-bench-serve-"));
  const token = "bench-token-0123456789abcdef";
  const port = 21000 + (process.pid % 20000);
  const started = performance.now();
  const server = Bun.spawn([bun, "src/main.ts", "serve", "--read", file, "--speed", "0", "--host", "127.0.0.1", "--port", String(port),
    "--database", path.join(dir, "bench.db"), "--log-level", "warn"], { cwd: repo, env: { ...process.env, API_TOKEN: token }, stdout: "ignore", stderr: "pipe" });
  const get = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { authorization: `Bearer ${token}` } });
    return res.json() as Promise<any>;
  };
  let wall = NaN;
  try {
    for (let i = 0; ; i++) {
      if (server.exitCode !== null) throw new Error(`serve exited ${server.exitCode}: ${await new Response(server.stderr).text()}`);
      if (i > 20 * 60 * 20) throw new Error("serve did not finish the capture in 20 minutes");
      try {
        const c = await get("/api/capture/status");
        if (!c.running && c.packets >= packets) {
          wall = (performance.now() - started) / 1000;
          break;
        }
      } catch {
        // not listening yet
      }
      await Bun.sleep(50);
    }
    const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
    const stat = readFileSync(`/proc/${server.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second on Linux).
    const cpu = (Number(stat[11]) + Number(stat[12])) / 100;
    return { wall, cpu, rssMB: Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? NaN) / 1024, stdout: "" };
  } finally {
    server.kill("SIGTERM");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

async function best(n: number, f: () => Measured | Promise<Measured>): Promise<Measured> {
  const runs: Measured[] = [];
  for (let i = 0; i < n; i++) runs.push(await f());
  const fastest = runs.reduce((a, b) => (b.wall < a.wall ? b : a));
  return { ...fastest, cpu: Math.min(...runs.map((r) => r.cpu)), rssMB: Math.max(...runs.map((r) => r.rssMB)) };
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

/** The first `n` packets of the bench capture, cut once with tcpdump. */
function cut(file: string, n: number): string {
  const out = file.replace(/\.pcap$/, `-${n}.pcap`);
  if (existsSync(out)) return out;
  const r = Bun.spawnSync(["tcpdump", "-r", file, "-w", out + ".tmp", "-c", String(n)], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tcpdump could not cut the capture: ${r.stderr}`);
  Bun.spawnSync(["mv", out + ".tmp", out]);
  return out;
}

/** Packets in a pcap file: the C reference counts them (or NetInsight's flows-only run does). */
function packetCount(ref: Measured | undefined, flowsOnly: Measured): number {
  const fromRef = ref ? JSON.parse(ref.stdout.trim().split("\n").pop()!).packets : undefined;
  return fromRef ?? JSON.parse(flowsOnly.stdout.trim().split("\n").pop()!).packets;
}

const full = await ensureBenchCapture((s) => console.log(s));
const file = PACKETS > 0 ? cut(full, PACKETS) : full;
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
console.log(`NetInsight benchmark: ${path.relative(process.cwd(), file)} (${(statSync(file).size / 1e6).toFixed(0)} MB)`);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}); load average at start ${load()}; best of ${RUNS}`);

const rows: Row[] = [];
const add = async (tool: string, what: string, f: () => Measured | Promise<Measured>) => {
  try {
    const m = await best(RUNS, f);
    rows.push({ tool, what, ...m });
    console.log(`  ${tool}: ${m.wall.toFixed(2)} s, ${m.cpu.toFixed(2)} s CPU, ${m.rssMB.toFixed(0)} MB`);
  } catch (e) {
    console.log(`  ${tool}: failed (${(e as Error).message.split("\n")[0]})`);
  }
};

const refExe = buildReference();
if (refExe) await add("C libpcap read + 5-tuple hash (bench/ref.c)", "limit for reading", () => timed([refExe, file]));
const peers: [string, string, string[]][] = [
  ["softflowd -r (Debian)", "flows", ["softflowd", "-r", file, "-n", "127.0.0.1:9", "-d"]],
  ["argus -r (Debian argus-server)", "flows", ["argus", "-r", file, "-w", "/dev/null"]],
  ["ndpiReader -q (Debian libndpi-bin)", "flows + DPI", ["ndpiReader", "-i", file, "-q"]],
];
for (const [tool, what, cmd] of peers) {
  if (Bun.which(cmd[0]!)) await add(tool, what, () => timed(cmd));
  else console.log(`  ${tool}: not installed, skipped`);
}
await add("netinsight analyze (flows only)", "flows", () => timed([bun, "bench/analyze-once.ts", file]));
await add("netinsight analyze --json", "everything", () => timed([bun, "src/main.ts", "analyze", file, "--json"]));
const flowsOnly = rows.find((r) => r.tool === "netinsight analyze (flows only)");
const ref = rows.find((r) => r.tool.startsWith("C libpcap"));
const packets = flowsOnly ? packetCount(ref, flowsOnly) : 0;
if (!args.includes("--no-serve") && packets > 0) {
  await add("netinsight serve --read --speed 0", "everything + storage + API", () => serveRun(file, packets));
}

const ndpi = rows.find((r) => r.tool.startsWith("ndpiReader"));
const pps = (r: Row) => packets / r.wall;
const mp = (x: number) => `${(x / 1e6).toFixed(2)} M`;
console.log(`\n${packets.toLocaleString("en")} packets; load average at the end ${load()}\n`);
console.log("| tool (same file, same run) | what it does | seconds | packets/s | CPU seconds | packets per CPU second | max RSS | vs ndpiReader (wall / CPU) |");
console.log("|---|---|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  const vs = ndpi ? `${(pps(r) / pps(ndpi)).toFixed(2)}x / ${(ndpi.cpu / r.cpu).toFixed(2)}x` : "-";
  console.log(`| ${r.tool} | ${r.what} | ${r.wall.toFixed(2)} | ${mp(pps(r))} | ${r.cpu.toFixed(2)} | ${mp(packets / r.cpu)} | ${r.rssMB.toFixed(0)} MB | ${vs} |`);
}

const analyze = rows.find((r) => r.tool === "netinsight analyze --json");
const serve = rows.find((r) => r.tool.startsWith("netinsight serve"));
const verdict = (ok: boolean) => (ok ? "ok" : "MISS");
console.log("\ntargets (issue 13; wall-clock rates on a shared machine: the ratios are what compare):");
if (analyze) {
  console.log(`  analyze --json >= ${mp(TARGET.analyzePps)} packets/s: ${mp(pps(analyze))}  ${verdict(pps(analyze) >= TARGET.analyzePps)}`);
  if (ndpi) {
    const ratio = pps(analyze) / pps(ndpi);
    console.log(`  analyze --json >= ${TARGET.vsNdpi}x ndpiReader: ${ratio.toFixed(2)}x (by CPU time ${(ndpi.cpu / analyze.cpu).toFixed(2)}x)  ${verdict(ratio >= TARGET.vsNdpi)}`);
  }
  console.log(`  analyze --json max RSS <= ${TARGET.analyzeRssMB} MB: ${analyze.rssMB.toFixed(0)} MB  ${verdict(analyze.rssMB <= TARGET.analyzeRssMB)}`);
}
if (flowsOnly) console.log(`  flows only >= ${mp(TARGET.flowsPps)} packets/s: ${mp(pps(flowsOnly))}  ${verdict(pps(flowsOnly) >= TARGET.flowsPps)}`);
if (serve) console.log(`  serve --read --speed 0 >= ${mp(TARGET.servePps)} packets/s: ${mp(pps(serve))}  ${verdict(pps(serve) >= TARGET.servePps)}`);

if (args.includes("--live")) await liveBench(file);
