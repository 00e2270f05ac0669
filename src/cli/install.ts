/** `netinsight install`: copy this executable, create the user, config and systemd unit, start it. */
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { installChecks, type CheckResult } from "../install/checks.ts";
import { installPlan, PATHS } from "../install/plan.ts";
import { runPlan } from "../install/run.ts";
import { cliError } from "./errors.ts";

const HELP = `Usage: netinsight install [options]   (as root)

Installs NetInsight as a systemd service: copies this executable to ${PATHS.binary}, creates the
user "${PATHS.user}" and ${PATHS.dataDir}, writes ${PATHS.envFile} and ${PATHS.unit},
then enables and starts the service. It runs unprivileged with CAP_NET_RAW and CAP_NET_ADMIN only.
First it checks, changing nothing: root, the compiled executable, libpcap, systemd, the two
capabilities, the port, the interface and the disk space; one line per problem.

Options:
  --interface NAME   interface to capture on (default: the interface of the default route)
  --port N           HTTP port (default 8000)
  --dry-run          print the checks and what would be done, change nothing
  -h, --help         show this help`;

/** True when running as a `bun build --compile` executable rather than `bun src/main.ts`. */
export function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/");
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        interface: { type: "string" },
        port: { type: "string", default: "8000" },
        "dry-run": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    return cliError(`install: ${(e as Error).message}\n\n${HELP}`, 2);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return cliError("install: --port must be 1-65535", 2);
  const dryRun = values["dry-run"];
  let iface = values.interface;
  if (!iface) {
    try {
      iface = (await import("../capture/interfaces.ts")).defaultInterface();
    } catch {
      iface = undefined;
    }
  }
  const serviceActive = Bun.which("systemctl") !== null && Bun.spawnSync(["systemctl", "is-active", "--quiet", "netinsight.service"]).exitCode === 0;
  const checks: CheckResult[] = [
    process.getuid?.() === 0 ? { ok: true, line: "running as root" } : { ok: false, line: "not running as root: sudo netinsight install" },
    isCompiled()
      ? { ok: true, line: `executable: ${process.execPath}` }
      : { ok: false, line: "this is not the compiled executable: npm run build, then dist/netinsight-linux-<arch> install" },
    ...(await installChecks({ executable: process.execPath, interface: iface, port, serviceActive })),
  ];
  const problems = checks.filter((c) => !c.ok);
  console.log("checks (nothing is changed unless all pass):");
  for (const c of checks) console.log(`  ${c.ok ? "ok     " : "PROBLEM"}  ${c.line}`);
  if (problems.length && !dryRun) {
    console.error(`install: ${problems.length} problem${problems.length > 1 ? "s" : ""} (above); nothing was changed`);
    return 1;
  }
  console.log("");
  const token = randomBytes(24).toString("base64url");
  const ok = runPlan(installPlan({ executable: process.execPath, interface: iface, port, token }), dryRun);
  if (!ok) return 1;
  if (dryRun && problems.length) console.log(`\ninstall would stop at the checks: ${problems.length} problem${problems.length > 1 ? "s" : ""}`);
  if (!dryRun) {
    console.log(`\nNetInsight is running: https://<this-host>:${port}/  (logs: journalctl -u netinsight -f)`);
    console.log("Its certificate is self-signed: compare the fingerprint your browser shows with: journalctl -u netinsight | grep fingerprint");
    console.log(`API token: sudo grep API_TOKEN ${PATHS.envFile}`);
  }
  return 0;
}
