import { describe, expect, test } from "bun:test";
import { PairTable } from "./pair-table.ts";
import { BoundedMap } from "./util.ts";

/** The entries of a PairTable, oldest first, as "key=value". */
function entries(t: PairTable<number>, keyOf: Map<number, string>): string[] {
  const out: string[] = [];
  t.sweep((v, slot) => {
    out.push(`${keyOf.get(slot)}=${v}`);
    return false;
  });
  return out;
}

describe("PairTable", () => {
  test("keeps the entries, the order and the evictions of a BoundedMap under random adds, resets, evictions and sweeps", () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const cap = 50;
    const table = new PairTable<number>(cap);
    const map = new BoundedMap<string, number>(cap);
    const keyOf = new Map<number, string>();
    for (let step = 0; step < 20_000; step++) {
      // Few distinct keys (hits, misses and probe runs that wrap), IPv4-like numbers and some text keys.
      const hi = rand(8) === 0 ? 0xffffff00 + rand(4) : rand(40), lo = rand(3) * 0x80000000 + rand(30);
      const text = rand(10) === 0 ? `fe80::${rand(20)}|x` : null;
      const key = text ?? `${hi >>> 0}:${lo >>> 0}`;
      const slot = text === null ? table.findNumber(hi, lo) : table.findText(text);
      expect(slot >= 0 ? table.valueAt(slot) : undefined).toBe(map.get(key));
      if (slot >= 0) {
        if (rand(3) === 0) {
          table.setValueAt(slot, step);
          map.set(key, step);
        }
        continue;
      }
      if (rand(2) === 0) expect(table.evictForReuse()).toBe(map.evictForReuse());
      const at = text === null ? table.addNumber(hi, lo, step) : table.addText(text, step);
      keyOf.set(at, key);
      map.set(key, step);
      if (step % 97 === 0) {
        const limit = step - rand(3000);
        table.sweep((v) => v < limit);
        map.sweep((v) => v < limit);
      }
      expect(table.size).toBe(map.size);
      if (step % 101 === 0) expect(entries(table, keyOf)).toEqual([...map].map(([k, v]) => `${k}=${v}`));
    }
    expect(entries(table, keyOf)).toEqual([...map].map(([k, v]) => `${k}=${v}`));
  });

  test("drops its oldest entry to add past the cap, and tells signed from unsigned words apart as the same key", () => {
    const t = new PairTable<string>(2);
    t.addNumber(0xc0a80001, 1, "a");
    t.addNumber(2, 0xc0a80002, "b");
    expect(t.valueAt(t.findNumber(0xc0a80001 | 0, 1))).toBe("a");
    t.addText("x|y", "c");
    expect(t.findNumber(0xc0a80001, 1)).toBe(-1);
    expect(t.valueAt(t.findNumber(2, 0xc0a80002))).toBe("b");
    expect(t.valueAt(t.findText("x|y"))).toBe("c");
    expect(t.size).toBe(2);
  });
});
