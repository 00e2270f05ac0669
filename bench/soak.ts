/**
 * Soak benchmark (not a test; needs root): `bun bench/soak.ts [--minutes 10] [--pps 2000] [--api-rps 5] [--tag WHO]`.
 * Makes a network namespace and veth pair, runs `netinsight serve` on the host end, replays a
 * capture into it with tcpreplay at a fixed rate while a load generator calls the API, and prints
 * RSS, CPU, capture drops and API latency every --every seconds, then a summary.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    pps: { type: "string", default: "2000" },
    "api-rps": { type: "string", default: "5" },
    every: { type: "string", default: "10" },
    pcap: { type: "string" },
    port: { type: "string", default: String(18_000 + (process.pid % 2000)) },
    tag: { type: "string" },
  },
});

// Names per run (--tag says whose; interface names have at most 15 characters): soaks at once do not collide.
const RUN = `${(values.tag ?? "").replace(/[^a-z0-9]/gi, "").slice(0, 4)}${process.pid % 1_000_000}`;
const NS = `nisoak-${RUN}`;
const HOST_IF = `nis${RUN}h`, NS_IF = `nis${RUN}n`;
const SUBNET = `10.213.${process.pid % 250}`;
const TOKEN = "soak-token-0123456789abcdef";
const ROOT = resolve(import.meta.dir, "..");
const API_PATHS = ["/api/health", "/api/capture/status", "/api/flows?limit=100", "/api/devices", "/api/threats", "/api/analytics", "/api/protocols"];
/** Clock ticks per second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

function pickCapture(): string {
  const candidates = [values.pcap, join(ROOT, "bench/out/bench-v2.pcap"), resolve(ROOT, "../shared/pcaps/dhcp/ndpi_1kxun.pcap")];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error("no capture to replay: pass --pcap FILE (or run `bun run bench` to make bench/out/bench-v2.pcap)");
  return found;
}

function sh(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString().trim()}`);
}

function setUpNetwork(): void {
  Bun.spawnSync(["ip", "netns", "del", NS]);
  sh(["ip", "netns", "add", NS]);
  sh(["ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF]);
  sh(["ip", "link", "set", NS_IF, "netns", NS]);
  sh(["ip", "addr", "add", `${SUBNET}.1/24`, "dev", HOST_IF]);
  sh(["ip", "link", "set", HOST_IF, "up"]);
  sh(["ip", "netns", "exec", NS, "ip", "addr", "add", `${SUBNET}.2/24`, "dev", NS_IF]);
  sh(["ip", "netns", "exec", NS, "ip", "link", "set", NS_IF, "up"]);
}

function tearDownNetwork(): void {
  Bun.spawnSync(["ip", "netns", "del", NS]); // takes the veth pair with it
  Bun.spawnSync(["ip", "link", "del", HOST_IF]);
}

/** RSS (MB) and CPU seconds (user + system, all threads) of a process. */
function usage(pid: number): { rssMB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { rssMB: rssKb / 1024, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / USER_HZ };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
}

async function waitForApi(base: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${base}/api/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).ok) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(250);
  }
  throw new Error(`the service did not answer on ${base} within ${ms / 1000} s`);
}

const minutes = Number(values.minutes), pps = Number(values.pps), rps = Number(values["api-rps"]), every = Number(values.every);
const capture = pickCapture();
const dir = mkdtempSync(join(tmpdir(), "netinsight-soak-"));
const base = `http://127.0.0.1:${values.port}`;
let serve: ReturnType<typeof Bun.spawn> | null = null;
let replay: ReturnType<typeof Bun.spawn> | null = null;
let stopping = false;
const cleanup = () => {
  stopping = true;
  replay?.kill();
  serve?.kill("SIGTERM");
  tearDownNetwork();
};
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

try {
  setUpNetwork();
  serve = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), "serve", "-i", HOST_IF, "--host", "127.0.0.1", "--port", values.port!, "-d", join(dir, "soak.db"), "--log-level", "warn"], {
    env: { ...process.env, API_TOKEN: TOKEN },
    stdout: "ignore",
    stderr: "pipe",
  });
  await waitForApi(base, 30_000);
  replay = Bun.spawn(["ip", "netns", "exec", NS, "tcpreplay", "-q", "-i", NS_IF, `--pps=${pps}`, "--loop=0", capture], { stdout: "ignore", stderr: "ignore" });
  console.log(`soak: ${minutes} min, tcpreplay ${capture} at ${pps} packets/s into ${HOST_IF}, API ${rps} requests/s over ${API_PATHS.length} routes`);
  console.log("  t(s)  RSS MB  CPU %  packets    drops  pkt/s   API n  p50 ms  p95 ms  max ms  errors");

  const latencies: number[] = [];
  const byPath = new Map<string, number[]>(API_PATHS.map((p) => [p, []]));
  let window: number[] = [];
  let apiErrors = 0;
  const load = (async () => {
    for (let n = 0; !stopping; n++) {
      const path = API_PATHS[n % API_PATHS.length];
      const t0 = performance.now();
      try {
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        await res.arrayBuffer();
        if (!res.ok) apiErrors++;
      } catch {
        apiErrors++;
      }
      const ms = performance.now() - t0;
      latencies.push(ms);
      byPath.get(path)!.push(ms);
      window.push(ms);
      await Bun.sleep(Math.max(0, 1000 / rps - ms));
    }
  })();

  const started = Date.now();
  let last = usage(serve.pid);
  let lastT = started;
  const rssSeries: number[] = [];
  let status = { packets: 0, drops: 0, packetsPerSecond: 0 };
  while (Date.now() - started < minutes * 60_000) {
    await Bun.sleep(every * 1000);
    if (serve.exitCode !== null) throw new Error(`the service exited (${serve.exitCode}): ${await new Response(serve.stderr as ReadableStream).text()}`);
    const now = Date.now();
    const u = usage(serve.pid);
    const cpu = ((u.cpuSeconds - last.cpuSeconds) / ((now - lastT) / 1000)) * 100;
    last = u;
    lastT = now;
    rssSeries.push(u.rssMB);
    try {
      status = (await (await fetch(`${base}/api/capture/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as typeof status;
    } catch {
      // keep the last status
    }
    const w = window.sort((a, b) => a - b);
    window = [];
    console.log(
      `${String(Math.round((now - started) / 1000)).padStart(6)}  ${u.rssMB.toFixed(0).padStart(6)}  ${cpu.toFixed(0).padStart(5)}  ${String(status.packets).padStart(8)} ` +
        `${String(status.drops).padStart(7)}  ${status.packetsPerSecond.toFixed(0).padStart(5)}  ${String(w.length).padStart(6)}  ${percentile(w, 0.5).toFixed(1).padStart(6)}  ` +
        `${percentile(w, 0.95).toFixed(1).padStart(6)}  ${(w[w.length - 1] ?? NaN).toFixed(1).padStart(6)}  ${String(apiErrors).padStart(6)}`,
    );
  }
  stopping = true;
  await load;
  const all = latencies.sort((a, b) => a - b);
  console.log(
    `soak summary: ${status.packets} packets captured, ${status.drops} dropped; RSS first ${rssSeries[0]?.toFixed(0)} MB, max ${Math.max(...rssSeries).toFixed(0)} MB, ` +
      `last ${rssSeries[rssSeries.length - 1]?.toFixed(0)} MB; API ${all.length} requests, p50 ${percentile(all, 0.5).toFixed(1)} ms, ` +
      `p95 ${percentile(all, 0.95).toFixed(1)} ms, p99 ${percentile(all, 0.99).toFixed(1)} ms, max ${all[all.length - 1]?.toFixed(1)} ms, ${apiErrors} errors`,
  );
  for (const [p, l] of byPath) {
    l.sort((a, b) => a - b);
    console.log(`  ${p.padEnd(24)} p50 ${percentile(l, 0.5).toFixed(1)} ms, p95 ${percentile(l, 0.95).toFixed(1)} ms, max ${(l[l.length - 1] ?? NaN).toFixed(1)} ms`);
  }
} finally {
  cleanup();
  if (serve) await serve.exited;
  rmSync(dir, { recursive: true, force: true });
}
