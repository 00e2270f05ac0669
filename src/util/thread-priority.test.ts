import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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

test.skipIf(process.platform !== "linux" || !existsSync("/proc/self/task"))("JitThreads lowers JavaScriptCore's compiler threads, not the loop's own", () => {
  // A process that keeps the JIT compiling (new hot functions, one after another). Each round lists
  // its threads, has lower() scan (a new time each round, so it scans), then reads their nice values
  // (field 19 of stat): every compiler thread listed before the scan must be lowered after it.
  const script = `const { JitThreads } = require(${JSON.stringify(`${import.meta.dir}/thread-priority.ts`)});
    const fs = require("node:fs");
    const threads = () => fs.readdirSync("/proc/self/task").flatMap((t) => {
      try {
        const stat = fs.readFileSync("/proc/self/task/" + t + "/stat", "utf8");
        return [[t, fs.readFileSync("/proc/self/task/" + t + "/comm", "utf8").trim(), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16])]];
      } catch { return []; }
    });
    const jit = new JitThreads(17);
    const seen = [];
    let x = 0;
    for (let round = 1; round <= 300; round++) {
      const hot = new Function("i", "x", "return ((i * " + round + ") ^ (x >>> 3)) + " + round + ";");
      for (let i = 0; i < 3e4; i++) x = hot(i, x) | 0;
      const before = threads().filter(([, name]) => name.startsWith("JITWorker")).map(([t]) => t);
      jit.lower(round * 1000);
      // (A thread id of a compiler that has exited may be another thread's by now: matched by name too.)
      for (const [t, name, nice] of threads()) if (before.includes(t) && name.startsWith("JITWorker")) seen.push([name, nice]);
    }
    const main = threads().find(([t]) => Number(t) === process.pid);
    console.log(JSON.stringify({ seen, main: main && [main[1], main[2]] }));`;
  // From a file: a script run with -e got no compiler threads of its own.
  const dir = mkdtempSync(join(tmpdir(), "ni-jit-"));
  const file = join(dir, "jit.js");
  writeFileSync(file, script);
  const r = Bun.spawnSync([process.execPath, file]);
  rmSync(dir, { recursive: true, force: true });
  const { seen, main }: { seen: [string, number][]; main: [string, number] } = JSON.parse(r.stdout.toString());
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.filter(([, nice]) => nice !== 17)).toEqual([]);
  // The program's own thread (the loop) keeps its priority. (Threads a compiler thread starts, such
  // as the allocator's scavenger, inherit the compiler's: that is fine.)
  expect(main).toEqual([expect.any(String), 0]);
});
