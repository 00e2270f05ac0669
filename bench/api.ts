/**
 * API benchmark (run by hand: `bun bench/api.ts`, not a test): p50/p99 latency of
 * GET /api/flows?limit=100 from 50 concurrent clients and requests/s of GET /api/health, with 1 M
 * flows stored, while the benchmark capture is fed through the pipeline (`serve --read FILE --speed X`,
 * `--speed 1` real time by default, `--speed 0` as fast as it goes: then the flows are measured while
 * the feed lasts). Uses wrk when installed, else its own load generator (exact percentiles).
 * `--clients N` changes the 50; `--no-feed` measures without the capture feed (the API alone);
 * `--single-thread` runs the pipeline in the API's thread instead of its worker, for comparison.
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
const CLIENTS = Number(argValue("--clients") ?? 50);
const SPEED = argValue("--speed") ?? "1";

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
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

interface Load { requests: number; seconds: number; rps: number; p50: number; p99: number; max: number; errors: number; tool: string }

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
  const max = /Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(text);
  return {
    requests, seconds, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? 0), p50: pct("50"), p99: pct("99"),
    max: max ? ms(max[1], max[2]) : NaN, errors, tool: "wrk",
  };
}

/** The q-quantile of sorted values by nearest rank (exact: every latency is kept). */
function quantile(sorted: Float64Array, q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN;
}

/**
 * Without wrk: `connections` clients in this process, each sending its next request when the last
 * answer is read (keep-alive), until `seconds` pass or `stop()` says so.
 */
async function fetchLoop(url: string, connections: number, seconds: number, stop: () => boolean = () => false): Promise<Load> {
  const lat: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end && !stop()) {
      const t = performance.now();
      try {
        const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
        await res.arrayBuffer();
        if (!res.ok) errors++;
      } catch {
        errors++;
      }
      lat.push(performance.now() - t);
    }
  }));
  const took = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(lat).sort();
  return {
    requests: lat.length, seconds: took, rps: lat.length / took, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN, errors, tool: "bun fetch",
  };
}

interface CaptureStatus { running: boolean; packetsPerSecond: number; packets: number }

async function main() {
  seedDatabase();
  const capture = await ensureBenchCapture((s) => console.log(s));
  // One copy per run (pid): several people may run this at once on the shared bench/out.
  const db = path.join(OUT, `api-run-${process.pid}.db`);
  const removeDb = () => {
    for (const suffix of ["", "-wal", "-shm", ".token"]) rmSync(db + suffix, { force: true });
  };
  removeDb();
  copyFileSync(SEED_DB, db);
  const port = await freePort();
  const fed = !process.argv.includes("--no-feed");
  const feed = fed ? ["--read", capture, "--speed", SPEED] : ["--no-capture"];
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
  const fullSpeed = fed && Number(SPEED) === 0;
  const captureRunning = async () => ((await (await fetch(`${base}/api/health`)).json()) as { captureRunning: boolean }).captureRunning;
  // Real time: let the feed get going. Full speed: measure as soon as it runs, it may last only seconds.
  if (fullSpeed) {
    for (let i = 0; i < 100 && !(await captureRunning()); i++) await Bun.sleep(50);
  } else {
    await Bun.sleep(2000);
  }
  const load = wrkAvailable() ? wrk : fetchLoop;
  const status = async () => (await (await fetch(`${base}/api/capture/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as CaptureStatus;
  // At full speed the flows are measured only while the feed lasts, watched every 100 ms through
  // /api/health (answered by the HTTP thread alone; capture status would ask the worker).
  let feeding = true;
  const watch = fullSpeed ? (async () => {
    while (feeding) {
      await Bun.sleep(100);
      if (!(await captureRunning())) feeding = false;
    }
  })() : Promise.resolve();
  const before = await status();
  const flows = await load(`${base}/api/flows?limit=100`, CLIENTS, FLOWS_SECONDS, () => fullSpeed && !feeding);
  const mid = await status();
  const stillFeeding = feeding;
  feeding = false;
  await watch;
  const health = await load(`${base}/api/health`, 64, HEALTH_SECONDS);
  const after = await status();
  const rss = Number((await Bun.file(`/proc/${server.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
  server.kill("SIGTERM");
  const code = await server.exited;
  const fmt = (n: number) => n.toFixed(2);
  const loadavg = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  const feedNote = !fed ? "no feed" : fullSpeed
    ? `--speed 0: flows measured while the feed ran (${stillFeeding ? "it outlasted the measurement" : "until it ended"}), ${((mid.packets - before.packets) / flows.seconds).toFixed(0)} packets/s meanwhile`
    : `--speed ${SPEED}: capture ${before.running && after.running ? "running" : "NOT running the whole time"}, ${((after.packets - before.packets) / (flows.seconds + health.seconds)).toFixed(0)} packets/s`;
  console.log(`stored flows: ${STORED_FLOWS.toLocaleString("en")} (+ the capture's), load generator: ${flows.tool}; load average ${loadavg}`);
  console.log(`feed: ${feedNote}; ${mid.packets} packets fed before the health run`);
  console.log(`GET /api/flows?limit=100 p50 ${fmt(flows.p50)} ms, p99 ${fmt(flows.p99)} ms, max ${fmt(flows.max)} ms, ${flows.rps.toFixed(0)} requests/s ` +
    `(${CLIENTS} connections, ${flows.requests} requests in ${flows.seconds.toFixed(1)} s, ${flows.errors} errors)   target p99 < 100 ms`);
  console.log(`GET /api/health          ${health.rps.toFixed(0)} requests/s (64 connections, ${health.seconds.toFixed(1)} s, ${health.errors} errors)`);
  console.log(`server RSS at the end: ${rss.toFixed(0)} MiB; serve exited with ${code}`);
  removeDb();
}

if (process.argv.includes("--seed-only")) seedDatabase();
else await main();
