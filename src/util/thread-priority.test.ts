import { expect, test } from "bun:test";
import { existsSync } from "node:fs";

/** The nice value of the thread that runs `code` (field 19 of /proc/thread-self/stat), before and after. */
function niceAround(code: string): (number | null)[] {
  const read = `require("node:fs").readFileSync("/proc/thread-self/stat", "utf8").split(") ")[1].split(" ")[16]`;
  const script = `const { lowerThreadPriority } = require(${JSON.stringify(`${import.meta.dir}/thread-priority.ts`)});
    const before = Number(${read}); const got = ${code}; const after = Number(${read});
    console.log(JSON.stringify([before, after, got]));`;
  const r = Bun.spawnSync([process.execPath, "-e", script]);
  return JSON.parse(r.stdout.toString());
}

test.skipIf(process.platform !== "linux" || !existsSync("/proc/thread-self/stat"))("raises the calling thread's nice value by the steps asked, up to 19; zero steps change nothing", () => {
  const [before, after, got] = niceAround("lowerThreadPriority(3)");
  expect(after).toBe(Math.min(19, before! + 3));
  expect(got).toBe(after);
  const [b2, a2, g2] = niceAround("lowerThreadPriority(40)");
  expect([a2, g2]).toEqual([19, 19]);
  const [b3, a3, g3] = niceAround("lowerThreadPriority(0)");
  expect([a3, g3]).toEqual([b3, null]);
});
