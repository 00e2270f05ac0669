/** The whole project type-checks under `strict` (tsconfig.json): `tsc --noEmit` reports nothing. */
import { expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");

test("tsc --noEmit finds no type errors", () => {
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const r = Bun.spawnSync([process.execPath, tsc, "--noEmit", "-p", ROOT], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const errors = (r.stdout.toString() + r.stderr.toString()).split("\n").filter((l) => l.includes("error TS"));
  expect(errors).toEqual([]);
  expect(r.exitCode).toBe(0);
}, 180_000);
