/**
 * API benchmark (run by hand: `bun bench/api.ts`, not a test): requests/s of GET /api/health and
 * p50/p99 latency of GET /api/flows?limit=100 with 1 M flows stored, while the benchmark capture is
 * fed through the pipeline at real time (`serve --read --speed 1`). Uses wrk when installed.
 * `--no-feed` measures the same without the capture feed (the API alone); `--single-thread` runs
 * the pipeline in the API's thread instead of its worker, for comparison.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import type { FlowRecord } from "../src/flows/record.ts";
import { openStorage } from "../src/storage/index.ts";
import { ensureBenchCapture } from "./gen.ts";

const STORED_FLOWS = 1_000_000;
const OUT = path.join(import.meta.dir, "out");
const SEED_DB = path.join(OUT, `api-${STORED_FLOWS}.db`);
const TOKEN = "bench-token-0123456789abcdef";
const HEALTH_SECONDS = 10;
const FLOWS_SECONDS = 20;
const REPO = path.resolve(import.meta.dir, "..");

function seedDatabase(): void {
  if (existsSync(SEED_DB)) return;
  mkdirSync(OUT, { recursive: true });
  const tmp = `${SEED_DB}.tmp`;
  rmSync(tmp, { force: true });
  const s = openStorage(tmp);
  const now = Date.now() / 1000;
  const started = performance.now();
  const BATCH = 50_000;
  for (let base = 0; base < STORED_FLOWS; base += BATCH) {
    s.db.transaction(() => {
      for (let i = base; i < base + BATCH; i++) s.flows.upsert(syntheticFlow(i + 1, now));
    })();
  }
  s.meta.set("next_flow_id", String(STORED_FLOWS + 1));
  s.close();
  renameSync(tmp, SEED_DB);
  console.log(`seeded ${STORED_FLOWS} flows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function syntheticFlow(id: number, now: number): FlowRecord {
  const start = now - 7 * 86400 + (id / STORED_FLOWS) * 7 * 86400;
  const host = id % 60;
  const udp = id % 4 === 0;
  return {
    id: String(id), protocol: udp ? "UDP" : "TCP", ipProtocol: udp ? 17 : 6, ipVersion: 4, srcIp: `192.168.1.${10 + host}`,
    srcPort: 30000 + (id % 30000), dstIp: `93.184.${(id >> 8) & 255}.${id & 255}`, dstPort: udp ? 53 : 443,
    srcMac: `02:00:00:00:00:${host.toString(16).padStart(2, "0")}`, dstMac: "f0:9f:c2:11:22:33", vlan: 0,
    packetsSent: 10 + (id % 50), bytesSent: 1000 + (id % 5000), packetsReceived: 8 + (id % 40), bytesReceived: 5000 + (id % 90000),
    startTime: start, lastSeen: start + (id % 120), status: "closed", tcpState: udp ? null : "closed", tcpFlags: udp ? "" : "SAFP",
    service: udp ? "DNS" : "TLS", serviceBy: "port", hostname: udp ? null : `host${id % 500}.example`, application: null,
    category: null, srcDeviceId: `0200000000${host.toString(16).padStart(2, "0")}`, dstDeviceId: null,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Load { requests: number; seconds: number; rps: number; p50: number; p99: number; errors: number; tool: string }

function wrkAvailable(): boolean {
  return Bun.spawnSync(["sh", "-c", "command -v wrk"]).exitCode === 0;
}

function ms(v: string, unit: string): number {
  const n = Number(v);
  return unit === "us" ? n / 1000 : unit === "s" ? n * 1000 : n;
}

async function wrk(url: string, connections: number, seconds: number): Promise<Load> {
  const p = Bun.spawn(["wrk", "-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "-H", `Authorization: Bearer ${TOKEN}`, url], { stdout: "pipe", stderr: "pipe" });
  const text = await new Response(p.stdout).text();
  await p.exited;
  const pct = (q: string) => {
    const m = new RegExp(`\\s${q}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    return m ? ms(m[1], m[2]) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  return { requests, seconds, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? 0), p50: pct("50"), p99: pct("99"), errors, tool: "wrk" };
}

/** Fallback without wrk: a bounded-concurrency fetch loop in this process. */
async function fetchLoop(url: string, connections: number, seconds: number): Promise<Load> {
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      await res.arrayBuffer();
      if (!res.ok) errors++;
      lat.push(performance.now() - t);
    }
  }));
  lat.sort((a, b) => a - b);
  const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * f))];
  return { requests: lat.length, seconds, rps: lat.length / seconds, p50: q(0.5), p99: q(0.99), errors, tool: "bun fetch" };
}

async function main() {
  seedDatabase();
  const capture = await ensureBenchCapture((s) => console.log(s));
  const db = path.join(OUT, "api-run.db");
  for (const suffix of ["", "-wal", "-shm", ".token"]) rmSync(db + suffix, { force: true });
  copyFileSync(SEED_DB, db);
  const port = await freePort();
  const feed = process.argv.includes("--no-feed") ? ["--no-capture"] : ["--read", capture, "--speed", "1"];
  if (process.argv.includes("--single-thread")) feed.push("--single-thread");
  const server = Bun.spawn([process.execPath, "src/main.ts", "serve", ...feed, "--host", "127.0.0.1", "--port", String(port), "--database", db, "--log-level", "warn"], {
    cwd: REPO, env: { ...process.env, API_TOKEN: TOKEN }, stdout: "inherit", stderr: "inherit",
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch {
      await Bun.sleep(100);
    }
  }
  await Bun.sleep(2000); // let the feed get going
  const load = wrkAvailable() ? wrk : fetchLoop;
  const status = async () => (await (await fetch(`${base}/api/capture/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { running: boolean; packetsPerSecond: number; packets: number };
  const before = await status();
  const health = await load(`${base}/api/health`, 64, HEALTH_SECONDS);
  const flows = await load(`${base}/api/flows?limit=100`, 8, FLOWS_SECONDS);
  const after = await status();
  const rss = Number((await Bun.file(`/proc/${server.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
  server.kill("SIGTERM");
  const code = await server.exited;
  const fmt = (n: number) => n.toFixed(2);
  console.log(`stored flows: ${STORED_FLOWS.toLocaleString("en")} (+ the capture's), load generator: ${health.tool}`);
  console.log(`feed during the run: capture ${before.running && after.running ? "running" : "NOT running the whole time"}, ${((after.packets - before.packets) / (HEALTH_SECONDS + FLOWS_SECONDS)).toFixed(0)} packets/s; load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`);
  console.log(`GET /api/health         ${health.rps.toFixed(0)} requests/s (64 connections, ${health.seconds} s, ${health.errors} errors)   target >= 20000`);
  console.log(`GET /api/flows?limit=100 p50 ${fmt(flows.p50)} ms, p99 ${fmt(flows.p99)} ms, ${flows.rps.toFixed(0)} requests/s (8 connections, ${flows.errors} errors)   target p99 < 50 ms`);
  console.log(`server RSS at the end: ${rss.toFixed(0)} MiB; serve exited with ${code}`);
  for (const suffix of ["", "-wal", "-shm", ".token"]) rmSync(db + suffix, { force: true });
}

if (process.argv.includes("--seed-only")) seedDatabase();
else await main();
