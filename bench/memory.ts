/**
 * Memory probe (by hand, not a test): `bun bench/memory.ts [--speed N]` feeds the benchmark capture
 * (2.3 M packets, ~1 M flows) into `serve` on a copy of the 1 M-flow database, the way bench/api.ts
 * does, and samples the server's RSS, the writer queue (pendingRows) and flush errors every 2 s.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const REPO = path.resolve(import.meta.dir, "..");
const CAPTURE = path.join(import.meta.dir, "out", "bench-v2.pcap");
const SEED_DB = path.join(import.meta.dir, "out", "api-1000000.db");
const TOKEN = "memory-probe-token-0123456789";
const SAMPLE_MS = 2000;
/** Keep sampling this long after the feed and its writes are done (does anything keep growing?). */
const lingerArg = process.argv.indexOf("--linger");
const LINGER_S = lingerArg > 0 ? Number(process.argv[lingerArg + 1]) : 0;
const speedArg = process.argv.indexOf("--speed");
const SPEED = speedArg > 0 ? process.argv[speedArg + 1] : "1";
const OWN = new Set(["--speed", "--linger"]);
const extra = process.argv.slice(2).filter((a, i, all) => !OWN.has(a) && !OWN.has(all[i - 1]));

if (!existsSync(CAPTURE) || !existsSync(SEED_DB)) {
  console.error("needs bench/out/bench-v2.pcap (bun bench/gen.ts) and bench/out/api-1000000.db (bun bench/api.ts seeds it)");
  process.exit(1);
}
const dir = mkdtempSync(path.join(tmpdir(), "ni-mem-"));
const db = path.join(dir, "mem.db");
copyFileSync(SEED_DB, db);
const port = 20000 + (process.pid % 20000);
const server = Bun.spawn([process.execPath, "src/main.ts", "serve", "--read", CAPTURE, "--speed", SPEED, "--host", "127.0.0.1",
  "--port", String(port), "--database", db, "--log-level", "warn", ...extra], { cwd: REPO, env: { ...process.env, API_TOKEN: TOKEN }, stdout: "inherit", stderr: "inherit" });
const base = `http://127.0.0.1:${port}`;
const rss = async () => Number((await Bun.file(`/proc/${server.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
/** Anonymous (heap) vs file-backed (mapped files, reclaimable) vs shared memory, MiB. */
const rssParts = async () => {
  const s = await Bun.file(`/proc/${server.pid}/status`).text();
  const kb = (k: string) => Math.round(Number(s.match(new RegExp(`${k}:\\s+(\\d+)`))?.[1] ?? 0) / 1024);
  return `anon ${kb("RssAnon")} file ${kb("RssFile")} shmem ${kb("RssShmem")}`;
};
const get = async (p: string) => (await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as Promise<any>;

for (let i = 0; i < 300; i++) {
  try {
    if ((await fetch(`${base}/api/health`)).ok) break;
  } catch {
    await Bun.sleep(100);
  }
}
let peak = 0;
let doneAt = 0;
const started = Date.now();
for (;;) {
  const [r, h, c] = [await rss(), await get("/api/health"), await get("/api/capture/status")];
  await get("/api/flows?limit=100");
  peak = Math.max(peak, r);
  console.log(`${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s  rss ${r.toFixed(0).padStart(4)} MiB (${await rssParts()})  packets ${String(c.packets).padStart(8)}  ` +
    `pendingRows ${String(h.database.pendingRows).padStart(7)}  ${h.database.lastFlushError ?? ""}`);
  if (!c.running && h.database.pendingRows === 0) doneAt ||= Date.now();
  if (doneAt && Date.now() - doneAt >= LINGER_S * 1000) break;
  await Bun.sleep(SAMPLE_MS);
}
const end = await rss();
server.kill("SIGTERM");
await server.exited;
rmSync(dir, { recursive: true, force: true });
console.log(`peak RSS ${peak.toFixed(0)} MiB, after the feed and its writes ${end.toFixed(0)} MiB`);
