/** The shared capture corpus for fuzz tests (`<repo>/../shared/pcaps`), or null when absent. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const dir = resolve(import.meta.dir, "..", "..", "..", "shared", "pcaps");

export const FUZZ_CORPUS: string | null = existsSync(dir) ? dir : null;
export const corpusSkipNote = `corpus not found at ${dir} (a fresh clone has no ../shared; CI provides it)`;

/** A number from the environment, or the default. */
export function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
