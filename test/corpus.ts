/** Where the shared capture corpus is (beside the repository), or null with a note saying why tests skip. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

// NETINSIGHT_CORPUS points a git worktree (which lives elsewhere) at the same corpus.
const dir = process.env.NETINSIGHT_CORPUS ?? resolve(import.meta.dir, "..", "..", "shared", "pcaps");

export const CORPUS: string | null = existsSync(join(dir, "MANIFEST.tsv")) ? dir : null;
export const corpusNote = CORPUS ? "" : `(skipped: corpus not found at ${dir}; CI provides ../shared/pcaps)`;
if (!CORPUS) console.warn(`corpus tests skipped: ${dir} is absent (a fresh clone has no ../shared; CI has it)`);

export function corpusFile(rel: string): string | null {
  if (!CORPUS) return null;
  const p = join(CORPUS, rel);
  return existsSync(p) ? p : null;
}
