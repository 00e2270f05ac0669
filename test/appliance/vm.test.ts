/**
 * dist/netinsight-linux-arm64 on real arm64 Linux kernels with 16 KB pages (the Raspberry Pi 5's
 * default) and 4 KB pages, booted in qemu-system-aarch64 (TCG) from ../shared/vm. One boot per
 * kernel runs, inside the VM: getconf PAGESIZE, the pthread_getattr_np probe, --version, analyze
 * of the sample (compared with the x64 build's JSON), then serve with LIVE capture on the VM's
 * virtio NIC while the guest pings the gateway and fetches from the test; the test reads
 * /api/health, /api/capture/status, /api/flows and the WebSocket through the port forward, over
 * HTTPS with the self-signed certificate serve made on first start (the VM has no openssl).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { BUILD_TIMEOUT_MS, ensureExecutable, exePath, freePort, run, SAMPLE } from "./exe.ts";
import { KERNEL_DIR, RUN_ARM64, VmSession } from "./vm.ts";

const VARIANTS = [
  { variant: "16k", pagesize: 16384 },
  { variant: "4k", pagesize: 4096 },
] as const;
/** Whole-VM allowance: TCG is slow, and much slower on a loaded host (measured 133-178 s per boot at load 22 on 2 cores). */
const VM_SECONDS = 420;

function missingPieces(): string[] {
  const missing: string[] = [];
  if (process.platform !== "linux") return [`a linux host (this is ${process.platform})`];
  for (const v of VARIANTS) {
    const k = path.join(KERNEL_DIR, `Image-${v.variant}.gz`);
    if (!existsSync(k)) missing.push(`the kernel ${k} (../shared/vm)`);
  }
  for (const [cmd, pkg] of [["qemu-system-aarch64", "qemu-system-arm"], ["cpio", "cpio"], ["dpkg-deb", "dpkg"], ["apt-get", "apt"], ["nc", "netcat-openbsd"], ["setsid", "util-linux"]]) {
    if (!Bun.which(cmd!)) missing.push(`${cmd} (${pkg})`);
  }
  // The initramfs base layer comes from Debian's arm64 packages (apt-get download): root can enable them.
  const foreign = Bun.spawnSync(["dpkg", "--print-foreign-architectures"], { stdout: "pipe" }).stdout?.toString() ?? "";
  if (process.getuid?.() !== 0 && !/^arm64$/m.test(foreign)) missing.push("arm64 packages in apt (sudo dpkg --add-architecture arm64 && sudo apt-get update)");
  const canBuild = existsSync(path.join(path.dirname(RUN_ARM64), "../../native/build/libni_capture-arm64.so")) || Bun.which("aarch64-linux-gnu-gcc");
  if (!existsSync(exePath("arm64")) && !canBuild) missing.push("dist/netinsight-linux-arm64, or the cross compiler to build it");
  return missing;
}

const missing = missingPieces();
const reason = missing.length ? ` (SKIPPED, missing: ${missing.join("; ")}; sh scripts/setup.sh test installs the packages)` : "";
const timings: string[] = [];
/** The certificate the VM's serve made (trusted for the HTTPS and wss requests below). */
let tlsCa = "";

describe.skipIf(missing.length > 0)(`arm64 executable on real arm64 kernels in qemu-system-aarch64${reason}`, () => {
  let dir = "";
  let x64Report: unknown;
  let probe: string | null = null;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ni-vm-"));
    for (const arch of ["arm64", "x64"] as const) {
      const b = ensureExecutable(arch);
      if (!b.ok) throw new Error(`building the ${arch} executable failed:\n${b.log}`);
    }
    // The initramfs base layer (Debian arm64 glibc, busybox, libpcap; cached after the first time).
    const t = performance.now();
    const base = run([RUN_ARM64, "base"]);
    if (base.code !== 0) throw new Error(`initramfs base layer: ${base.err}`);
    timings.push(`initramfs base layer: ${((performance.now() - t) / 1000).toFixed(1)} s (${base.err.includes("building") ? "built" : "cached"})`);
    const r = run([exePath("x64"), "analyze", SAMPLE, "--json"], { cwd: dir });
    if (r.code !== 0) throw new Error(`x64 analyze: ${r.err}`);
    x64Report = JSON.parse(r.out);
    if (Bun.which("aarch64-linux-gnu-gcc")) {
      probe = path.join(dir, "stack-probe");
      const cc = run(["aarch64-linux-gnu-gcc", "-O2", "-o", probe, path.join(import.meta.dir, "stack-probe.c"), "-lpthread"]);
      if (cc.code !== 0) probe = null;
    }
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (timings.length) console.log(`arm64 VM timings (wall clock on this host; guest uptimes from /proc/uptime):\n  ${timings.join("\n  ")}`);
  });

  for (const { variant, pagesize } of VARIANTS) {
    describe(`${variant} pages`, () => {
      let vm: VmSession;
      let base = "";
      const token = `vm-test-token-${variant}-0123456789`;
      const auth = { Authorization: `Bearer ${token}` };

      beforeAll(async () => {
        const apiPort = await freePort();
        base = `https://127.0.0.1:${apiPort}`;
        vm = VmSession.start({ variant, exe: exePath("arm64"), sample: SAMPLE, probe, token, apiPort, cwd: dir, timeoutSeconds: VM_SECONDS });
      });
      afterAll(() => vm?.kill());

      test(`boots a real arm64 kernel with ${pagesize}-byte pages; pthread_getattr_np works there`, async () => {
        const ps = await vm.result("pagesize", 60_000);
        expect(ps.out.trim()).toBe(String(pagesize));
        const banner = vm.banner();
        expect(banner?.pagesize).toBe(pagesize);
        timings.push(`${variant}: boot to /init ${banner?.upSeconds} s guest uptime; "${banner?.line}"`);
        if (probe) {
          const p = await vm.result("probe", 30_000);
          expect(p.out.trim()).toBe(`pagesize=${pagesize} stack_line=1 pthread_getattr_np=0`);
        }
      }, 90_000);

      test("--version names linux-arm64 and libpcap", async () => {
        const r = await vm.result("version", 60_000);
        expect(r.err).toBe("");
        expect(r.exit).toBe(0);
        expect(r.out).toContain("linux-arm64");
        expect(r.out).toMatch(/^libpcap: libpcap version \d+\.\d+/m);
        timings.push(`${variant}: --version ${(r.end - r.start).toFixed(1)} s`);
      }, 90_000);

      test("analyze --json of the sample is the x64 build's report", async () => {
        const r = await vm.result("analyze", 300_000);
        expect(r.err).toBe("");
        expect(r.exit).toBe(0);
        expect(JSON.parse(r.out)).toEqual(x64Report as object);
        timings.push(`${variant}: analyze samples/home-lab.pcap --json ${(r.end - r.start).toFixed(1)} s`);
      }, 320_000);

      test("serve captures live on eth0: health, capture status, the guest's flows and the WebSocket (wss) through the port forward", async () => {
        // HOST 0.0.0.0 with HTTPS=auto: HTTPS, with the certificate serve made on first start.
        const ca = (await vm.result("cert", 180_000)).out;
        expect(ca).toStartWith("-----BEGIN CERTIFICATE-----");
        tlsCa = ca;
        const health = await poll(`${base}/api/health`, {}, (b: { status: string; database: { ok: boolean } }) => typeof b.status === "string", 120_000);
        timings.push(`${variant}: serve answering /api/health through the forward ${((performance.now() - vm.started) / 1000).toFixed(1)} s after the VM was started (it starts beside --version and analyze)`);
        expect(health.database.ok).toBe(true);
        // The guest pings 10.0.2.2 and fetches /tick from 10.0.2.100:8080 twice a second.
        type Status = { running: boolean; mode: string; interface: string; packets: number; bytes: number };
        const status = (await poll(`${base}/api/capture/status`, auth, (s: Status) => s.packets >= 20, 60_000)) as Status;
        expect(status).toMatchObject({ running: true, mode: "live", interface: "eth0" });
        type Flow = { protocol: string; srcIp: string; dstIp: string; dstPort: number; packetsSent: number };
        // Each tick is a connection from the guest; one caught mid-way when capture started may name
        // the server as initiator, so the endpoints are checked either way round.
        const fromGuest = (f: Flow & { srcPort: number }) => f.srcIp === "10.0.2.15" && f.dstIp === "10.0.2.100" && f.dstPort === 8080;
        const tcp = (await poll(`${base}/api/flows?ip=10.0.2.100&limit=100`, auth, (b: { flows: (Flow & { srcPort: number })[] }) => b.flows.filter(fromGuest).length >= 2, 60_000)) as { flows: (Flow & { srcPort: number })[] };
        for (const f of tcp.flows) {
          expect(f.protocol).toBe("TCP");
          expect(fromGuest(f) || (f.srcIp === "10.0.2.100" && f.srcPort === 8080 && f.dstIp === "10.0.2.15")).toBe(true);
        }
        const icmp = (await poll(`${base}/api/flows?ip=10.0.2.2&protocol=ICMP&limit=10`, auth, (b: { flows: Flow[] }) => b.flows.length >= 1, 60_000)) as { flows: Flow[] };
        expect(icmp.flows[0]).toMatchObject({ protocol: "ICMP", srcIp: "10.0.2.15", dstIp: "10.0.2.2" });
        // Our own requests come in through the forward: 10.0.2.2 <-> 10.0.2.15:8000 (a kept-alive
        // connection opened before capture started shows the server as initiator).
        type Ep = { srcIp: string; srcPort: number; dstIp: string; dstPort: number };
        const toApi = (f: Ep) => (f.dstIp === "10.0.2.15" && f.dstPort === 8000) || (f.srcIp === "10.0.2.15" && f.srcPort === 8000);
        const api = (await poll(`${base}/api/flows?ip=10.0.2.2&protocol=TCP&limit=100`, auth, (b: { flows: (Flow & Ep)[] }) => b.flows.some(toApi), 60_000)) as { flows: (Flow & Ep)[] };
        expect(api.flows.filter(toApi).length).toBeGreaterThan(0);

        const stats = await wsStats(`${base.replace("https", "wss")}/ws?token=${token}&topics=stats`, 60_000);
        expect(stats.hello).toMatchObject({ type: "hello", topics: ["stats"] });
        expect(stats.stats.packets).toBeGreaterThan(0);
        timings.push(`${variant}: live capture on eth0 counted ${status.packets} packets; ${tcp.flows.length} TCP flows to the control server; WebSocket stats packets=${stats.stats.packets}`);

        const code = await vm.finish(60_000);
        const serve = await vm.result("serve", 1000);
        expect(serve.exit).toBe(0); // SIGTERM inside the VM: flushed and closed
        expect(serve.err).not.toContain("worker unavailable");
        expect(code).toBe(0);
        timings.push(`${variant}: whole VM run ${((performance.now() - vm.started) / 1000).toFixed(1)} s wall clock (guest ${serve.end.toFixed(1)} s uptime at the end)`);
      }, 300_000);
    });
  }
});

/** GETs url until check(body) holds; returns the body. */
async function poll<T>(url: string, headers: Record<string, string>, check: (body: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000), tls: { ca: tlsCa } } as RequestInit);
      const text = await res.text();
      last = `HTTP ${res.status}: ${text.slice(0, 300)}`;
      if (res.status === 200) {
        const body = JSON.parse(text) as T;
        if (check(body)) return body;
      }
    } catch (e) {
      last = (e as Error).message;
    }
    await Bun.sleep(500);
  }
  throw new Error(`${url}: not as expected within ${timeoutMs} ms (last: ${last})`);
}

/** Connects, returns the hello and the first stats message that counts packets. */
function wsStats(url: string, timeoutMs: number): Promise<{ hello: unknown; stats: { packets: number } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { tls: { ca: tlsCa } } as unknown as string[]);
    let hello: unknown;
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`${url}: no stats with packets within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as { type: string; packets?: number };
      if (m.type === "hello") hello = m;
      if (m.type === "stats" && (m.packets ?? 0) > 0) {
        clearTimeout(timer);
        ws.close();
        resolve({ hello, stats: m as { packets: number } });
      }
    };
    ws.onerror = () => {
      clearTimeout(timer);
      reject(new Error(`${url}: WebSocket error`));
    };
  });
}
