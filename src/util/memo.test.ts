import { describe, expect, test } from "bun:test";
import { memoize } from "./memo.ts";

describe("memoize", () => {
  test("computes a key once while it is remembered", () => {
    let calls = 0;
    const square = memoize(10, (n: number) => (calls++, n * n));
    expect([square(3), square(3), square(4), square(3)]).toEqual([9, 9, 16, 9]);
    expect(calls).toBe(2);
  });

  test("forgets everything once full, then computes again", () => {
    const seen: string[] = [];
    const upper = memoize(2, (s: string) => (seen.push(s), s.toUpperCase()));
    upper("a"); upper("b"); upper("c"); upper("a");
    expect(seen).toEqual(["a", "b", "c", "a"]);
  });
});
