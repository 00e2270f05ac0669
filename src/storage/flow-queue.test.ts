import { describe, expect, test } from "bun:test";
import { FlowRowQueue, flowRowBytes } from "./flow-queue.ts";
import type { FlowRowValues } from "./flows.ts";

/** A row with only what the queue reads: the id (0) and the host name (22). */
function row(id: number, hostname: string | null = null): FlowRowValues {
  const r: FlowRowValues = new Array(27).fill(null);
  r[0] = id;
  r[22] = hostname;
  return r;
}

describe("FlowRowQueue", () => {
  test("oldest first; a flow queued again keeps its place with its newest row", () => {
    const q = new FlowRowQueue();
    const a = row(1), b = row(2), c = row(3), b2 = row(2, "example.org");
    q.set(a);
    q.set(b);
    q.set(c);
    q.set(b2);
    expect(q.size).toBe(3);
    expect(q.oldest(10)).toEqual([a, b2, c]);
    expect(q.oldest(2)).toEqual([a, b2]);
    expect(q.get(2)).toBe(b2);
    expect(q.bytes).toBe(flowRowBytes(a) + flowRowBytes(b2) + flowRowBytes(c));
    expect(flowRowBytes(b2)).toBe(flowRowBytes(b) + "example.org".length);
  });

  test("a written row leaves only if it was not replaced meanwhile", () => {
    const q = new FlowRowQueue();
    const a = row(1), a2 = row(1);
    q.set(a);
    const taken = q.oldest(1);
    q.set(a2); // a newer version arrives while the older is being written
    expect(q.remove(taken[0])).toBe(false);
    expect(q.get(1)).toBe(a2);
    expect(q.remove(a2)).toBe(true);
    expect(q.size).toBe(0);
    expect(q.bytes).toBe(0);
    expect(q.get(1)).toBeUndefined();
  });

  test("shift drops the oldest; positions survive compaction of a long written prefix", () => {
    const q = new FlowRowQueue();
    const n = 20_000;
    for (let id = 1; id <= n; id++) q.set(row(id));
    expect(q.shift()![0]).toBe(1);
    // Write most of them, oldest first, as flushes do: the front is compacted away on the way.
    while (q.size > 600) for (const r of q.oldest(500)) q.remove(r);
    const rest = [...q.values()].map((r) => r[0]);
    expect(rest.length).toBe(q.size);
    expect(q.size).toBeGreaterThan(100);
    expect(rest[0]).toBe(n - q.size + 1);
    expect(rest.at(-1)).toBe(n);
    // Lookups and replacement still find the right slot after compaction.
    const last = row(n, "after");
    q.set(last);
    expect(q.get(n)).toBe(last);
    expect(q.oldest(q.size).at(-1)).toBe(last);
    expect(q.size).toBe(rest.length);
  });
});
