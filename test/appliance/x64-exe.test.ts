/**
 * The x64 executable as shipped: built by `bun run build` (or reused from dist/), it reports its
 * versions, analyzes like the checkout, serves every page and asset from inside itself in a root
 * that holds nothing but the C libraries, and says what to install when libpcap is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { OUI_DATA_DATE } from "../../src/devices/oui/meta.ts";
import { BUILD_TIMEOUT_MS, checkoutReport, ensureExecutable, exePath, freePort, ROOT, run, SAMPLE, stop, waitForJson } from "./exe.ts";
import { canChroot, hostLibpcap, makeSysroot, type Sysroot } from "./sysroot.ts";

const EXE = exePath("x64");
const onX64 = process.arch === "x64" && process.platform === "linux";
const STARTUP_MS = 20_000;

/** Where the files the pages link to come from in the checkout (compared byte for byte). */
const ASSET_SOURCES = ["src/web", "node_modules/uplot/dist", "node_modules/swagger-ui-dist", "node_modules/redoc/bundles"];

let build = { ok: false, log: "" };
beforeAll(() => {
  if (onX64) build = ensureExecutable("x64");
}, BUILD_TIMEOUT_MS);

describe.skipIf(!onX64)("x64 executable", () => {
  test("bun run build made it", () => {
    if (!build.ok) throw new Error(`build failed:\n${build.log}`);
    expect(existsSync(EXE)).toBe(true);
  });

  test("--version names the platform, libpcap and the OUI data date", () => {
    const r = run([EXE, "--version"], { cwd: "/" });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("linux-x64");
    expect(r.out).toMatch(/^libpcap: libpcap version \d+\.\d+/m);
    expect(r.out).toContain(`OUI vendor data: ${OUI_DATA_DATE}`);
  });

  test("analyze from / gives the same report as bun src/main.ts", () => {
    const r = run([EXE, "analyze", SAMPLE, "--json"], { cwd: "/" });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(checkoutReport(SAMPLE) as object);
  });

  test("install --dry-run prints the steps and copies itself to /usr/local/bin/netinsight", () => {
    const existed = existsSync("/usr/local/bin/netinsight");
    const r = run([EXE, "install", "--dry-run", "--interface", "lo"], { cwd: "/" });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`install -m 0755 ${EXE} /usr/local/bin/netinsight`);
    expect(r.out).toContain("/etc/systemd/system/netinsight.service");
    expect(r.out).toContain("systemctl enable --now netinsight.service");
    expect(existsSync("/usr/local/bin/netinsight")).toBe(existed);
  });
});

describe.skipIf(!onX64 || !canChroot)("x64 executable in a bare root (only the C libraries; needs root + unshare)", () => {
  let bare: Sysroot;
  let withPcap: Sysroot;
  beforeAll(() => {
    if (!build.ok) return;
    bare = makeSysroot(EXE, { libpcap: false });
    withPcap = makeSysroot(EXE, { libpcap: true });
    // The capture at the same absolute path as on the host, so summary.file matches too.
    mkdirSync(path.join(withPcap.dir, path.dirname(SAMPLE)), { recursive: true });
    copyFileSync(SAMPLE, path.join(withPcap.dir, SAMPLE));
    copyFileSync(SAMPLE, path.join(bare.dir, "data", "sample.pcap"));
  });
  afterAll(() => {
    bare?.remove();
    withPcap?.remove();
  });

  test("without libpcap: --version and analyze say to install libpcap0.8", () => {
    const v = run(bare.command(["--version"]));
    expect(v.code).toBe(0);
    expect(v.out).toContain("libpcap: not available (libpcap is not installed");
    expect(v.out).toContain("sudo apt install libpcap0.8");
    const a = run(bare.command(["analyze", "/data/sample.pcap"]));
    expect(a.code).toBe(1);
    expect(a.err).toContain("libpcap is not installed");
    expect(a.err).toContain("sudo apt install libpcap0.8");
    expect(a.err).not.toContain("    at "); // no stack trace
  });

  test("with only libpcap added: analyze gives the checkout's report", () => {
    expect(hostLibpcap()).toBeDefined();
    const r = run(withPcap.command(["analyze", SAMPLE, "--json"]));
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(checkoutReport(SAMPLE) as object);
  });

  test("serve --read answers /api/health, serves /live, /docs, /redoc and their assets, exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = Bun.spawn(withPcap.command(["serve", "--read", SAMPLE, "--port", String(port), "--host", "127.0.0.1", "--database", "/data/ni.db"]), {
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const health = (await waitForJson(`${base}/api/health`, proc, STARTUP_MS)) as { status: string; version: string };
      expect(health.version).toBe(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
      let compared = 0;
      for (const page of ["/live", "/docs", "/redoc"]) {
        const res = await fetch(base + page);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toStartWith("text/html");
        const html = await res.text();
        const refs = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!);
        expect(refs.length).toBeGreaterThan(0);
        for (const ref of refs) {
          const asset = await fetch(base + ref);
          expect({ ref, status: asset.status }).toEqual({ ref, status: 200 });
          const body = new Uint8Array(await asset.arrayBuffer());
          expect(body.length).toBeGreaterThan(0);
          const source = ASSET_SOURCES.map((d) => path.join(ROOT, d, path.basename(ref))).find(existsSync);
          if (source) {
            // ReDoc's one outside link (its logo on a CDN) is served as our favicon (src/api/docs.ts).
            const expected = path.basename(ref) === "redoc.standalone.js"
              ? Buffer.from(readFileSync(source, "utf8").replaceAll("https://cdn.redoc.ly/redoc/logo-mini.svg", "/favicon.svg"))
              : readFileSync(source);
            expect({ ref, same: Buffer.from(body).equals(expected) }).toEqual({ ref, same: true });
            compared++;
          }
        }
      }
      // uPlot (js + css), Swagger UI (js + css) and ReDoc at least.
      expect(compared).toBeGreaterThanOrEqual(5);
      expect(await stop(proc, 15_000)).toBe(0);
      // The build must embed the pipeline worker (scripts/build.ts WORKER_ENTRIES); serve would
      // otherwise fall back to one thread with only this warning to show for it.
      expect(await new Response(proc.stderr).text()).not.toContain("worker unavailable");
      expect(existsSync(path.join(withPcap.dir, "data", "ni.db"))).toBe(true);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  }, 60_000);
});
