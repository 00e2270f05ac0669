/**
 * The Raspberry Pi 5 executable without a Pi: dist/netinsight-linux-arm64 under qemu-aarch64-static
 * with Debian's arm64 libc and libpcap (scripts/arm64-env.sh installs them) reports its versions,
 * analyzes exactly like the checkout, and serves the API. Also pins down why qemu-user's `-p 16384`
 * is no model of a 16 KB kernel (native/README.md): its /proc/self/maps has no [stack] line, so
 * pthread_getattr_np fails and Bun aborts; vm.test.ts runs the executable on real 16 KB kernels.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { OUI_DATA_DATE } from "../../src/devices/oui/meta.ts";
import { BUILD_TIMEOUT_MS, checkoutReport, ensureExecutable, exePath, freePort, ROOT, run, SAMPLE, stop, waitForJson } from "./exe.ts";

const EXE = exePath("arm64");
const native = process.arch === "arm64";
const ARM64_LIBPCAP = native ? "" : "/usr/lib/aarch64-linux-gnu/libpcap.so.0.8";
/** qemu runs Bun's JIT several times slower than native: generous start-up allowance. */
const STARTUP_MS = 90_000;

/** What this machine lacks to run (and if needed build) the arm64 executable. */
function missingPieces(): string[] {
  const missing: string[] = [];
  if (process.platform !== "linux" || !["x64", "arm64"].includes(process.arch)) return [`a linux x64/arm64 host (this is ${process.platform}-${process.arch})`];
  if (!native && !Bun.which("qemu-aarch64-static")) missing.push("qemu-aarch64-static (qemu-user-static)");
  if (!native && !existsSync(ARM64_LIBPCAP)) missing.push("arm64 libpcap (libpcap0.8:arm64)");
  const canBuild = existsSync(path.join(ROOT, "native/build/libni_capture-arm64.so")) || (native ? Bun.which("cc") : Bun.which("aarch64-linux-gnu-gcc"));
  if (!existsSync(EXE) && !canBuild) missing.push("dist/netinsight-linux-arm64, or the cross compiler to build it (gcc-aarch64-linux-gnu)");
  return missing;
}

let missing = missingPieces();
// In CI as root, set up emulation instead of skipping (dpkg --add-architecture arm64 + apt-get).
if (missing.length && process.env.CI && process.getuid?.() === 0 && process.arch === "x64") {
  const setup = Bun.spawnSync(["sh", path.join(ROOT, "scripts/arm64-env.sh")], { stdout: "inherit", stderr: "inherit" });
  if (setup.exitCode === 0) missing = missingPieces();
}
const reason = missing.length ? ` (SKIPPED, missing: ${missing.join("; ")}; run: sudo sh scripts/arm64-env.sh)` : "";

/** argv running the arm64 executable: directly on arm64, else under qemu with / as the arm64 library root. */
const arm64 = (...args: string[]) => (native ? [EXE, ...args] : ["qemu-aarch64-static", "-L", "/", EXE, ...args]);

describe.skipIf(missing.length > 0)(`arm64 executable${native ? "" : " under qemu-aarch64-static"}${reason}`, () => {
  let build = { ok: false, log: "" };
  let dir = "";
  beforeAll(() => {
    build = ensureExecutable("arm64");
    dir = mkdtempSync(path.join(tmpdir(), "ni-arm64-"));
  }, BUILD_TIMEOUT_MS);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("bun run build made it", () => {
    if (!build.ok) throw new Error(`build failed:\n${build.log}`);
    expect(existsSync(EXE)).toBe(true);
  });

  test("--version names linux-arm64, the arm64 libpcap and the OUI data date", () => {
    const r = run(arm64("--version"), { cwd: "/" });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("linux-arm64");
    expect(r.out).toMatch(/^libpcap: libpcap version \d+\.\d+/m);
    expect(r.out).toContain(`OUI vendor data: ${OUI_DATA_DATE}`);
  }, 60_000);

  test("analyze --json gives exactly the report of bun src/main.ts", () => {
    const r = run(arm64("analyze", SAMPLE, "--json"), { cwd: "/" });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    // The whole report: summary, flows, devices, threats, protocols; nothing ignored.
    expect(JSON.parse(r.out)).toEqual(checkoutReport(SAMPLE) as object);
  }, 120_000);

  test("serve --read answers /api/health and the live view, exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const db = path.join(dir, "ni.db");
    const proc = Bun.spawn(arm64("serve", "--read", SAMPLE, "--port", String(port), "--host", "127.0.0.1", "--database", db), {
      cwd: "/",
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const health = (await waitForJson(`${base}/api/health`, proc, STARTUP_MS)) as { status: string; database: { ok: boolean } };
      expect(health.database.ok).toBe(true);
      const live = await fetch(`${base}/live`);
      expect(live.status).toBe(200);
      expect(await live.text()).toContain("/assets/");
      expect(await stop(proc, 60_000)).toBe(0);
      // The build must embed the pipeline worker (scripts/build.ts WORKER_ENTRIES); serve would
      // otherwise fall back to one thread with only this warning to show for it.
      expect(await new Response(proc.stderr).text()).not.toContain("worker unavailable");
      expect(existsSync(db)).toBe(true);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  }, STARTUP_MS + 90_000);

  // Not a property of 16 KB kernels (vm.test.ts boots one): qemu-user's emulated /proc/self/maps
  // leaves out [stack] under -p 16384, glibc's pthread_getattr_np fails for the main thread, and
  // JavaScriptCore's stack-bounds check aborts. The probe shows the cause without Bun.
  test.skipIf(native || !Bun.which("aarch64-linux-gnu-gcc"))("qemu-user -p 16384 hides [stack]: pthread_getattr_np fails there (and only there), so Bun aborts", () => {
    const probe = path.join(dir, "stack-probe");
    const cc = run(["aarch64-linux-gnu-gcc", "-O2", "-o", probe, path.join(import.meta.dir, "stack-probe.c"), "-lpthread"]);
    expect(cc.err).toBe("");
    const p4 = run(["qemu-aarch64-static", "-L", "/", "-p", "4096", probe], { cwd: dir });
    expect(p4.out.trim()).toBe("pagesize=4096 stack_line=1 pthread_getattr_np=0");
    const p16 = run(["qemu-aarch64-static", "-L", "/", "-p", "16384", probe], { cwd: dir });
    expect(p16.out.trim()).toBe("pagesize=16384 stack_line=0 pthread_getattr_np=2"); // 2: ENOENT
    // No core file (ulimit); from dir, where no bunfig.toml is read.
    const r = run(["sh", "-c", 'ulimit -c 0; exec qemu-aarch64-static -L / -p 16384 "$0" --version', EXE], { cwd: dir });
    expect(r.out).not.toContain("netinsight");
    expect(r.signal).toBe("SIGABRT");
    expect(r.err).toContain("panic(main thread): abort() called");
  }, 60_000);
});
