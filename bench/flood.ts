/**
 * The spoofed-source flood of issue 13 (`hping3 -S --flood --rand-source -p 80 VICTIM`): every
 * packet a TCP SYN from a new random source address and port, so a new flow (and maybe a new
 * device or counter) each. Writes the capture once into bench/out/, then measures the max RSS of
 * `analyze --json` and `serve --read FILE --speed 0` on it with the default settings.
 *
 *   bun bench/flood.ts [--sources N] [--no-serve] [--no-analyze]
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PcapWriter } from "../src/capture/pcapfile.ts";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SOURCES = Number(opt("--sources") ?? 1_000_000);
if (!Number.isInteger(SOURCES) || SOURCES <= 0) throw new Error("--sources must be a whole number above 0");
/** hping3 --flood on a small LAN box: ~50 k SYNs per second of capture time. */
const RATE = 50_000;
const TARGET_MB = 300;

const ETH = 14, IP = 20, TCP = 20;
const ROUTER_MAC = [0xf0, 0x9f, 0xc2, 0x11, 0x22, 0x33];
const VICTIM_MAC = [0xa4, 0x83, 0xe7, 0x0a, 0x0b, 0x0c];
const VICTIM_IP = [192, 168, 1, 10];

// Deterministic PRNG (mulberry32): the same file every time.
let seed = 0x5eed;
function u32(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
}

/** One SYN per packet from a random public source through the router (hping3 --rand-source). */
async function writeFlood(file: string, packets: number): Promise<void> {
  const f = new Uint8Array(ETH + IP + TCP);
  const v = new DataView(f.buffer);
  f.set(VICTIM_MAC, 0);
  f.set(ROUTER_MAC, 6);
  f[12] = 0x08;
  f[ETH] = 0x45;
  f[ETH + 3] = IP + TCP;
  f[ETH + 8] = 64;
  f[ETH + 9] = 6;
  f.set(VICTIM_IP, ETH + 16);
  v.setUint16(ETH + IP + 2, 80);
  f[ETH + IP + 12] = 0x50;
  f[ETH + IP + 13] = 0x02; // SYN
  v.setUint16(ETH + IP + 14, 512);
  const tmp = `${file}.tmp`;
  const w = new PcapWriter(tmp, 1);
  for (let i = 0; i < packets; i++) {
    // hping3 picks any 32-bit source; keep the first octet in 1..223 so every one is a unicast host.
    const src = u32();
    f[ETH + 12] = 1 + ((src >>> 24) % 223);
    f[ETH + 13] = src >>> 16;
    f[ETH + 14] = src >>> 8;
    f[ETH + 15] = src;
    v.setUint16(ETH + 4, i & 0xffff);
    v.setUint16(ETH + IP, 1024 + (u32() % 64000));
    v.setUint32(ETH + IP + 4, u32());
    w.write(1_700_000_000 + i / RATE, f);
  }
  await w.close();
  renameSync(tmp, file);
}

function maxRssMB(cmd: string[]): { rssMB: number; cpu: number } {
  const report = path.join(tmpdir(), `ni-flood-time-${process.pid}.txt`);
  const r = Bun.spawnSync(["/usr/bin/time", "-v", "-o", report, ...cmd], { cwd: repo, stdout: "ignore", stderr: "pipe" });
  const text = readFileSync(report, "utf8");
  rmSync(report, { force: true });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr.toString().slice(0, 500)}`);
  const num = (re: RegExp) => Number(text.match(re)?.[1] ?? NaN);
  return { rssMB: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024, cpu: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/) };
}

/** `serve --read FILE --speed 0` until every packet is counted and written; the peak RSS (VmHWM) of the whole process. */
async function serveRss(file: string, packets: number): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), "ni-flood-serve-"));
  const token = "flood-token-0123456789abcdef";
  const port = 21000 + (process.pid % 20000);
  const server = Bun.spawn([process.execPath, "src/main.ts", "serve", "--read", file, "--speed", "0", "--host", "127.0.0.1", "--port", String(port),
    "--database", path.join(dir, "flood.db"), "--log-level", "warn"], { cwd: repo, env: { ...process.env, API_TOKEN: token }, stdout: "ignore", stderr: "pipe" });
  try {
    for (let i = 0; ; i++) {
      if (server.exitCode !== null) throw new Error(`serve exited ${server.exitCode}: ${await new Response(server.stderr).text()}`);
      if (i > 20 * 60 * 20) throw new Error("serve did not finish the flood in 20 minutes");
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/capture/status`, { headers: { authorization: `Bearer ${token}` } });
        const c = (await res.json()) as { running: boolean; packets: number };
        // The file's end is part of the run: its live flows (up to MAX_FLOWS) end and are written after
        // the last packet; measured until the write queue is empty, not a fixed moment after the read.
        const h = c.running ? null : (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as { database: { pendingRows: number } };
        if (h && c.packets >= packets && h.database.pendingRows === 0) break;
      } catch {
        // not listening yet
      }
      await Bun.sleep(50);
    }
    await Bun.sleep(2000); // the last threats and rollups reach the database after the queue empties
    const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
    return Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? NaN) / 1024;
  } finally {
    server.kill("SIGTERM");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const repo = path.resolve(import.meta.dir, "..");
const file = path.join(import.meta.dir, "out", `flood-${SOURCES}.pcap`);
if (!existsSync(file)) {
  console.log(`writing ${file} (${SOURCES} SYNs, each from a new source)`);
  await writeFlood(file, SOURCES);
}
const verdict = (mb: number) => (mb < TARGET_MB ? "ok" : `OVER ${TARGET_MB} MB`);
if (!args.includes("--no-analyze")) {
  const r = maxRssMB([process.execPath, "src/main.ts", "analyze", file, "--json"]);
  console.log(`analyze --json: max RSS ${r.rssMB.toFixed(0)} MB, ${r.cpu.toFixed(2)} CPU s  ${verdict(r.rssMB)}`);
}
if (!args.includes("--no-serve")) {
  const mb = await serveRss(file, SOURCES);
  console.log(`serve --read --speed 0: max RSS ${mb.toFixed(0)} MB  ${verdict(mb)}`);
}
