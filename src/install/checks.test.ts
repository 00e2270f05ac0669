import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCapabilities, checkDisk, checkInterface, checkLibpcap, checkPort, checkSystemd } from "./checks.ts";

const MAIN = join(import.meta.dir, "..", "main.ts");
const work = mkdtempSync(join(tmpdir(), "ni-install-checks-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Listens on a free port of 0.0.0.0 until closed: a port the check must find taken. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "0.0.0.0" }, resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe("install checks", () => {
  test("a port another program listens on is a problem; once it is closed, it is free", async () => {
    const { port, server } = await occupiedPort();
    const busy = await checkPort(port);
    expect(busy.ok).toBe(false);
    expect(busy.line).toBe(`port ${port} is already in use by another program: stop it or choose another port with --port`);
    await new Promise((r) => server.close(r));
    expect(await checkPort(port)).toEqual({ ok: true, line: `port ${port} is free` });
  });

  test("an interface that does not exist is named with the ones that do", () => {
    const present = readdirSync("/sys/class/net");
    expect(checkInterface(present[0]!).ok).toBe(true);
    const r = checkInterface("ni-nosuch0");
    expect(r.ok).toBe(false);
    expect(r.line).toStartWith("interface ni-nosuch0 does not exist: choose one of ");
    expect(r.line).toContain(present.sort()[0]!);
    const none = checkInterface(undefined);
    expect(none.ok).toBe(false);
    expect(none.line).toStartWith("no default route");
  });

  test("systemd: found from /run/systemd/system, else the plain-program advice", () => {
    const root = join(work, "root");
    mkdirSync(root, { recursive: true });
    expect(checkSystemd(root)).toMatchObject({ ok: false, line: expect.stringContaining("systemd is not running here") });
    mkdirSync(join(root, "run/systemd/system"), { recursive: true });
    expect(checkSystemd(root).ok).toBe(Bun.which("systemctl") !== null);
  });

  test("capabilities: both must be in the bounding set", () => {
    // This process's own bounding set: a root test run holds both (a container without them would not).
    const own = readFileSync("/proc/self/status", "utf8");
    const bnd = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)/m.exec(own)![1]}`);
    expect(checkCapabilities(own).ok).toBe((bnd & (3n << 12n)) === 3n << 12n);
    // Bit 13 (CAP_NET_RAW) dropped, as `docker run --cap-drop NET_RAW` does.
    const noRaw = checkCapabilities(`Name:\tx\nCapBnd:\t${(bnd & ~(1n << 13n)).toString(16).padStart(16, "0")}\n`);
    expect(noRaw).toEqual({ ok: false, line: "CAP_NET_RAW cannot be granted here (not in the bounding set: a container?): give the container CAP_NET_RAW" });
    expect(checkCapabilities("CapBnd:\t0000000000000000").line).toContain("CAP_NET_RAW and CAP_NET_ADMIN cannot be granted");
    expect(checkCapabilities("Name:\tx").ok).toBe(false);
  });

  test("disk: more than is free is a problem naming both places", () => {
    const s = statfsSync(work);
    const free = Number(s.bavail) * Number(s.bsize);
    const target = { binary: join(work, "bin", "netinsight"), data: join(work, "data") };
    expect(checkDisk(1_000_000, target).ok).toBe(true);
    const r = checkDisk(free * 2, target);
    expect(r.ok).toBe(false);
    expect(r.line).toStartWith("not enough disk space: ");
    expect(r.line).toContain(`free for ${target.binary}, the executable needs`);
  });

  test("libpcap: found here (setup installs it)", async () => {
    const r = await checkLibpcap();
    expect(r.ok).toBe(true);
    expect(r.line).toMatch(/^libpcap: libpcap version \d/);
  });
});

describe("`install` runs the checks first", () => {
  test("--dry-run prints every check, then the steps; a busy port and a missing interface are one line each", async () => {
    const { port, server } = await occupiedPort();
    try {
      const r = Bun.spawnSync([process.execPath, MAIN, "install", "--dry-run", "--port", String(port), "--interface", "ni-nosuch0"], { stdout: "pipe", stderr: "pipe" });
      const out = r.stdout.toString();
      expect(r.exitCode).toBe(0);
      const problems = out.split("\n").filter((l) => l.startsWith("  PROBLEM"));
      expect(problems).toContain(`  PROBLEM  port ${port} is already in use by another program: stop it or choose another port with --port`);
      expect(problems.some((l) => l.startsWith("  PROBLEM  interface ni-nosuch0 does not exist"))).toBe(true);
      expect(out).toContain("  ok       libpcap: libpcap version");
      expect(out).toContain("would create the system user netinsight");
      expect(out).toContain(`install would stop at the checks: ${problems.length} problems`);
    } finally {
      server.close();
    }
  });

  test("without --dry-run, problems stop it before any step", () => {
    const r = Bun.spawnSync([process.execPath, MAIN, "install", "--interface", "ni-nosuch0"], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(1);
    const out = r.stdout.toString();
    expect(out).toContain("  PROBLEM  interface ni-nosuch0 does not exist");
    // From a checkout it is not the compiled executable: refused whatever else holds.
    expect(out).toContain("  PROBLEM  this is not the compiled executable");
    expect(out).not.toContain("- copy");
    expect(r.stderr.toString()).toMatch(/^install: \d+ problems? \(above\); nothing was changed/);
  });
});
