/**
 * Live capture from the x64 executable as an unprivileged user, the way netinsight.service runs it
 * (its ambient capabilities only, no new privileges, read-only system, private /tmp, one writable
 * data directory) and the way the `setcap` advice sets it up; without either, serve keeps the API
 * up and prints that advice. Traffic: ping into a network namespace made here (10.213.7.0/24).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { BUILD_TIMEOUT_MS, ensureExecutable, exePath, freePort, ROOT, stop, waitForJson } from "./exe.ts";

const EXE = exePath("x64");
const NOBODY = 65534;
const UNIT = readFileSync(path.join(ROOT, "src/install/netinsight.service"), "utf8");
/** The unit's AmbientCapabilities in setpriv's syntax: "+net_raw,+net_admin". */
const CAPS = (UNIT.match(/^AmbientCapabilities=(.*)$/m)?.[1] ?? "").split(/\s+/).filter(Boolean).map((c) => `+${c.replace(/^CAP_/, "").toLowerCase()}`).join(",");
const TOKEN = "appliance-test-token-0123456789abcdef";
const STARTUP_MS = 20_000;
/** How long to wait for pinged packets to show up as a flow in the API. */
const FLOW_WAIT_MS = 10_000;

const tools = ["ip", "ping", "setpriv", "setcap"].filter((t) => !Bun.which(t));
const canRun = process.platform === "linux" && process.arch === "x64" && process.getuid?.() === 0 && tools.length === 0;
const reason = canRun ? "" : ` (SKIPPED: needs linux-x64, root, and ${["ip", "ping", "setpriv", "setcap"].join(", ")}; missing: ${tools.join(", ") || "root"})`;

const tag = (process.pid % 100000).toString();
const ns = `ni-app-${tag}`;
const hostIf = `niah${tag}`;
const nsIf = `nian${tag}`;
const HOST_IP = "10.213.7.1";
const NS_IP = "10.213.7.2";

function sh(...cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
}

/**
 * argv running `argv` the way the unit's sandbox does: / read-only (ProtectSystem=strict), a private
 * /tmp (PrivateTmp=yes, where the executable unpacks its capture shim), only `dataDir` writable
 * (ReadWritePaths). A private mount namespace; exec all the way, so the pid is the executable's.
 */
function unitSandbox(dataDir: string, argv: string[]): string[] {
  const script = 'd=$1; shift; mount --bind "$d" "$d" && mount -o remount,bind,ro / && mount -t tmpfs -o mode=1777 tmpfs /tmp && exec "$@"';
  return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", dataDir, ...argv];
}

/** argv running `exe` as nobody with the given ambient capabilities ("" for none). */
function asNobody(exe: string, caps: string, args: string[]): string[] {
  const capArgs = caps ? [`--inh-caps=-all,${caps}`, `--ambient-caps=-all,${caps}`, `--bounding-set=-all,${caps}`] : ["--inh-caps=-all", "--bounding-set=-all"];
  return ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", ...capArgs, "--no-new-privs", exe, ...args];
}

describe.skipIf(!canRun)(`x64 executable capturing as an unprivileged user${reason}`, () => {
  let dir = "";
  let build = { ok: false, log: "" };
  /** A copy of the executable that nobody can reach, outside /tmp (the sandbox hides /tmp) and
   * outside the checkout (which may sit under a home directory nobody cannot enter). */
  let exe = "";
  beforeAll(() => {
    build = ensureExecutable("x64");
    // Not under /tmp: the unit sandbox mounts a private /tmp over it.
    dir = mkdtempSync("/var/tmp/ni-caps-");
    chmodSync(dir, 0o777); // the database is written as nobody
    if (build.ok) {
      exe = path.join(dir, "netinsight-linux-x64");
      copyFileSync(EXE, exe);
      chmodSync(exe, 0o755);
    }
    sh("ip", "netns", "add", ns);
    sh("ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
    sh("ip", "link", "set", nsIf, "netns", ns);
    sh("ip", "addr", "add", `${HOST_IP}/24`, "dev", hostIf);
    sh("ip", "link", "set", hostIf, "up");
    sh("ip", "netns", "exec", ns, "ip", "addr", "add", `${NS_IP}/24`, "dev", nsIf);
    sh("ip", "netns", "exec", ns, "ip", "link", "set", nsIf, "up");
  }, BUILD_TIMEOUT_MS);
  afterAll(() => {
    Bun.spawnSync(["ip", "link", "del", hostIf]);
    Bun.spawnSync(["ip", "netns", "del", ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function serve(argv: (args: string[]) => string[], name: string) {
    const port = await freePort();
    const args = ["serve", "-i", hostIf, "--port", String(port), "--host", "127.0.0.1", "--database", path.join(dir, `${name}.db`)];
    const proc = Bun.spawn(argv(args), { cwd: dir, env: { ...process.env, API_TOKEN: TOKEN }, stdout: "pipe", stderr: "pipe" });
    await waitForJson(`http://127.0.0.1:${port}/api/health`, proc, STARTUP_MS);
    return { proc, base: `http://127.0.0.1:${port}` };
  }

  const api = async (base: string, p: string) => {
    const res = await fetch(base + p, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return res.json() as Promise<any>;
  };

  /** Pings into the namespace until the API lists an ICMP flow to it. */
  async function seesPing(base: string, proc: Subprocess): Promise<boolean> {
    const deadline = Date.now() + FLOW_WAIT_MS;
    while (Date.now() < deadline && proc.exitCode === null) {
      Bun.spawnSync(["ping", "-c", "2", "-i", "0.2", "-W", "1", NS_IP]);
      const { flows } = await api(base, "/api/flows?limit=50");
      if (flows.some((f: any) => f.protocol === "ICMP" && [f.srcIp, f.dstIp].includes(NS_IP))) return true;
      await Bun.sleep(500);
    }
    return false;
  }

  async function capturesAndStops(argv: (args: string[]) => string[], name: string) {
    if (!build.ok) throw new Error(`build failed:\n${build.log}`);
    const { proc, base } = await serve(argv, name);
    try {
      const status = await api(base, "/api/capture/status");
      expect({ running: status.running, interface: status.interface, error: status.error }).toEqual({ running: true, interface: hostIf, error: null });
      expect(await seesPing(base, proc)).toBe(true);
      expect(await stop(proc, 15_000)).toBe(0);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  }

  test("as netinsight.service runs it (ambient capabilities, read-only system) it captures live", async () => {
    expect(CAPS).toBe("+net_raw,+net_admin");
    for (const line of ["NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"]) expect(UNIT).toContain(line);
    await capturesAndStops((args) => unitSandbox(dir, asNobody(exe, CAPS, args)), "unit");
    // The history went to the one writable directory.
    expect(existsSync(path.join(dir, "unit.db"))).toBe(true);
  }, 60_000);

  test("after `setcap cap_net_raw,cap_net_admin=eip` on the file it captures live", async () => {
    const copy = path.join(dir, "netinsight");
    copyFileSync(EXE, copy);
    chmodSync(copy, 0o755);
    sh("setcap", "cap_net_raw,cap_net_admin=eip", copy);
    // No ambient capabilities and no --no-new-privs: the file's capabilities are what grant capture.
    await capturesAndStops((args) => ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--inh-caps=-all", copy, ...args], "setcap");
  }, 60_000);

  test("without capabilities serve keeps the API up and says how to grant them with setcap", async () => {
    if (!build.ok) throw new Error(`build failed:\n${build.log}`);
    const { proc, base } = await serve((args) => asNobody(exe, "", args), "none");
    try {
      const status = await api(base, "/api/capture/status");
      expect(status.running).toBe(false);
      expect(status.error).toContain(`sudo setcap cap_net_raw,cap_net_admin=eip ${exe}`);
      expect(await stop(proc, 15_000)).toBe(0);
      expect(await new Response(proc.stderr).text()).toContain(`sudo setcap cap_net_raw,cap_net_admin=eip ${exe}`);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  }, 60_000);
});
