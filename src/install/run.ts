/** Carries out (or, with --dry-run, prints) an install/uninstall plan. */
import { existsSync, writeFileSync, chmodSync } from "node:fs";
import type { Step } from "./plan.ts";

export function runPlan(steps: Step[], dryRun: boolean, log: (line: string) => void = console.log): boolean {
  for (const step of steps) {
    if (dryRun) {
      log(`would ${step.describe}` + (step.command ? `\n    $ ${step.command.join(" ")}` : ""));
      continue;
    }
    log(`- ${step.describe}`);
    if (step.write) {
      if (!step.write.overwrite && existsSync(step.write.path)) {
        log(`  (${step.write.path} exists: kept)`);
        continue;
      }
      writeFileSync(step.write.path, step.write.content, { mode: step.write.mode });
      chmodSync(step.write.path, step.write.mode);
      continue;
    }
    if (step.command) {
      const r = Bun.spawnSync(step.command, { stdout: "pipe", stderr: "pipe" });
      if (r.exitCode !== 0) {
        const why = r.stderr.toString().trim() || `exit code ${r.exitCode}`;
        if (step.optional) {
          log(`  (skipped: ${why})`);
          continue;
        }
        log(`  failed: ${why}`);
        return false;
      }
    }
  }
  return true;
}
