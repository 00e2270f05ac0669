import { describe, expect, test } from "bun:test";
import { HashSet32 } from "./hash-set32.ts";
import { randomText } from "./testing.ts";
import { hashName } from "./util.ts";

describe("HashSet32", () => {
  test("holds what a Set of the same hashes holds, 0 and colliding slots included, across growth", () => {
    const set = new HashSet32(), ref = new Set<number>();
    const next = randomText(5);
    // Hashes of names, 0, the largest unsigned value and repeats: sizes and answers match a Set's at every step.
    const values = [0, 0xffffffff, 1, 0, 1];
    for (let i = 0; i < 3000; i++) values.push(hashName(next(12, "abcdefghij")), i & 7, (i * 0x9e3779b1) >>> 0);
    for (const v of values) {
      expect(set.has(v)).toBe(ref.has(v));
      set.add(v);
      ref.add(v);
      expect(set.size).toBe(ref.size);
    }
    for (let i = 0; i < 2000; i++) {
      const v = hashName(next(12, "klmnopqrst"));
      expect(set.has(v)).toBe(ref.has(v));
    }
    for (const v of ref) expect(set.has(v)).toBe(true);
  });
});
