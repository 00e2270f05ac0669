import { describe, expect, test } from "bun:test";
import { RecencyList } from "./recency-list.ts";

interface Item { name: string; older: Item | null; newer: Item | null }
const item = (name: string): Item => ({ name, older: null, newer: null });
const order = (l: RecencyList<Item>) => {
  const out: string[] = [];
  for (let e = l.oldest; e; e = e.newer) out.push(e.name);
  const back: string[] = [];
  for (let e = l.newest; e; e = e.older) back.push(e.name);
  expect(back.reverse()).toEqual(out);
  return out;
};

describe("RecencyList", () => {
  test("append, unlink from either end or the middle, replace in place", () => {
    const l = new RecencyList<Item>();
    const [a, b, c, d] = ["a", "b", "c", "d"].map(item);
    l.append(a); l.append(b); l.append(c);
    expect(order(l)).toEqual(["a", "b", "c"]);
    l.unlink(b);
    l.append(b);
    expect(order(l)).toEqual(["a", "c", "b"]);
    l.replace(c, d);
    expect(order(l)).toEqual(["a", "d", "b"]);
    expect(c.older).toBeNull();
    l.unlink(a); l.unlink(b);
    expect(order(l)).toEqual(["d"]);
    l.unlink(d);
    expect(l.oldest).toBeNull();
    expect(l.newest).toBeNull();
  });
});
