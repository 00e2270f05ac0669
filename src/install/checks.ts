/**
 * What `install` checks before it changes anything: libpcap, systemd, the two capabilities, the
 * port, the interface and the disk. Each check says ok or one line naming the problem and the fix;
 * `install --dry-run` prints the same lines.
 */
import { existsSync, readdirSync, readFileSync, statfsSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { PATHS } from "./plan.ts";

export interface CheckResult {
  ok: boolean;
  /** One line: what was found, or the problem and what to do. */
  line: string;
}

/** CAP_NET_ADMIN and CAP_NET_RAW (linux/capability.h): what the service is granted. */
const CAP_NET_ADMIN = 12, CAP_NET_RAW = 13;
/** Room the database needs to start and grow for a while (MAX_DB_MB caps it later). */
export const MIN_DATA_FREE_MB = 256;

export async function checkLibpcap(): Promise<CheckResult> {
  try {
    const { libpcap } = await import("../capture/libpcap.ts");
    return { ok: true, line: `libpcap: ${libpcap().pcap_lib_version()}` };
  } catch {
    return { ok: false, line: "libpcap is not installed: sudo apt install libpcap0.8" };
  }
}

/** systemd is PID 1 when /run/systemd/system exists (sd_booted()); `root` lets tests point elsewhere. */
export function checkSystemd(root = "/"): CheckResult {
  if (!existsSync(path.join(root, "run/systemd/system"))) {
    return { ok: false, line: "systemd is not running here: run NetInsight as a plain program instead (README: setcap, then serve)" };
  }
  if (!Bun.which("systemctl")) return { ok: false, line: "systemctl is missing although systemd runs: install the systemd package" };
  return { ok: true, line: "systemd is running" };
}

/** Whether the bounding set (a `CapBnd:` line of /proc/<pid>/status) still holds both capabilities. */
export function checkCapabilities(statusText: string): CheckResult {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(statusText);
  if (!m) return { ok: false, line: "cannot read the capability bounding set (no CapBnd in /proc/self/status): capabilities are unknown here" };
  const bnd = BigInt(`0x${m[1]}`);
  const lacking = [[CAP_NET_RAW, "CAP_NET_RAW"], [CAP_NET_ADMIN, "CAP_NET_ADMIN"]]
    .filter(([bit]) => (bnd & (1n << BigInt(bit!))) === 0n)
    .map(([, name]) => name);
  if (lacking.length) {
    return { ok: false, line: `${lacking.join(" and ")} cannot be granted here (not in the bounding set: a container?): give the container ${lacking.join(", ")}` };
  }
  return { ok: true, line: "CAP_NET_RAW and CAP_NET_ADMIN can be granted to the service" };
}

/** Tries to listen on the port (all addresses, as the service will). */
export async function checkPort(port: number, host = "0.0.0.0"): Promise<CheckResult> {
  const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const server = createServer();
    server.once("error", (e) => resolve(e as NodeJS.ErrnoException));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
  if (!error) return { ok: true, line: `port ${port} is free` };
  if (error.code === "EADDRINUSE") return { ok: false, line: `port ${port} is already in use by another program: stop it or choose another port with --port` };
  return { ok: false, line: `cannot listen on port ${port}: ${error.message}` };
}

/** The interface exists (any state: a cable may be plugged in later); `sysNet` lets tests point elsewhere. */
export function checkInterface(name: string | undefined, sysNet = "/sys/class/net"): CheckResult {
  let names: string[] = [];
  try {
    names = readdirSync(sysNet).sort();
  } catch {
    // no sysfs: say what we can
  }
  if (name === undefined) {
    return { ok: false, line: `no default route, so no interface to capture on: choose one with --interface (here: ${names.slice(0, 12).join(", ") || "none found"})` };
  }
  const shown = names.length > 12 ? `${names.slice(0, 12).join(", ")}, ...` : names.join(", ");
  if (!names.includes(name)) return { ok: false, line: `interface ${name} does not exist: choose one of ${shown || "(none found)"} with --interface` };
  return { ok: true, line: `interface ${name} exists` };
}

/** Free space where the executable goes and where the database lives (nearest existing folder). */
export function checkDisk(executableBytes: number, targets: { binary: string; data: string } = { binary: PATHS.binary, data: PATHS.dataDir }): CheckResult {
  const binFree = freeBytes(targets.binary);
  const dataFree = freeBytes(targets.data);
  const needBin = executableBytes + 16 * 2 ** 20;
  const needData = MIN_DATA_FREE_MB * 2 ** 20;
  const mb = (n: number) => `${Math.floor(n / 2 ** 20)} MB`;
  if (binFree === null || dataFree === null) return { ok: false, line: `cannot tell the free disk space for ${targets.binary} and ${targets.data}` };
  const problems: string[] = [];
  if (binFree < needBin) problems.push(`${mb(binFree)} free for ${targets.binary}, the executable needs ${mb(needBin)}`);
  if (dataFree < needData) problems.push(`${mb(dataFree)} free for ${targets.data}, the database needs at least ${mb(needData)}`);
  if (problems.length) return { ok: false, line: `not enough disk space: ${problems.join("; ")}` };
  return { ok: true, line: `disk: ${mb(binFree)} free for ${targets.binary}, ${mb(dataFree)} for ${targets.data}` };
}

function freeBytes(target: string): number | null {
  let dir = path.resolve(target);
  while (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

export interface InstallCheckOptions {
  executable: string;
  interface: string | undefined;
  port: number;
  /** The service already runs (a re-install): its own port is not a problem. */
  serviceActive: boolean;
}

/** Every check, in the order printed. */
export async function installChecks(o: InstallCheckOptions): Promise<CheckResult[]> {
  let status = "";
  try {
    status = readFileSync("/proc/self/status", "utf8");
  } catch {
    // reported by checkCapabilities
  }
  let exeBytes = 0;
  try {
    exeBytes = statSync(o.executable).size;
  } catch {
    // a missing executable is install's own error
  }
  const port = o.serviceActive ? { ok: true, line: `port ${o.port}: netinsight.service already runs (re-install)` } : await checkPort(o.port);
  return [await checkLibpcap(), checkSystemd(), checkCapabilities(status), port, checkInterface(o.interface), checkDisk(exeBytes)];
}
