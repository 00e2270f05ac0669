/** `netinsight uninstall`: stop and remove the service; data and settings stay unless --purge. */
import { parseArgs } from "node:util";
import { uninstallPlan, PATHS } from "../install/plan.ts";
import { runPlan } from "../install/run.ts";
import { cliError } from "./errors.ts";

const HELP = `Usage: netinsight uninstall [--purge] [--dry-run]   (as root)

Stops and disables the service and removes ${PATHS.unit} and ${PATHS.binary}.
Keeps ${PATHS.dataDir} (history) and ${PATHS.configDir} unless --purge is given.`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        purge: { type: "boolean", default: false },
        "dry-run": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    return cliError(`uninstall: ${(e as Error).message}\n\n${HELP}`, 2);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values["dry-run"] && process.getuid?.() !== 0) return cliError("uninstall: run as root, or add --dry-run", 1);
  const ok = runPlan(uninstallPlan(values.purge), values["dry-run"]);
  if (ok && !values.purge && !values["dry-run"]) console.log(`kept ${PATHS.dataDir} and ${PATHS.configDir} (remove with --purge)`);
  return ok ? 0 : 1;
}
