import { describe, expect, test } from "bun:test";
import { AddressTable } from "./address-table.ts";
import { type Address, BoundedMap } from "./util.ts";

describe("AddressTable", () => {
  test("keeps the entries, keys, order and evictions of a BoundedMap under random gets, sets, deletes, evictions and sweeps", () => {
    let seed = 11;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const cap = 40;
    const table = new AddressTable<number>(cap);
    const map = new BoundedMap<Address, number>(cap);
    for (let step = 0; step < 20_000; step++) {
      // IPv4 numbers (some past 2^31, where a signed word differs), 0, and IPv6 text.
      const r = rand(10);
      const key: Address = r === 0 ? `2001:db8::${rand(15)}` : r === 1 ? 0xc0a80000 + rand(20) : r === 2 ? 0 : rand(60);
      const slot = table.slotOf(key);
      expect(slot >= 0 ? table.valueAt(slot) : undefined).toBe(map.get(key));
      expect(table.get(key)).toBe(map.get(key));
      const op = rand(6);
      if (slot >= 0 && op === 0) {
        table.deleteAt(slot);
        map.delete(key);
      } else if (slot >= 0) {
        table.setValueAt(slot, step);
        map.set(key, step);
      } else {
        if (op === 1) expect(table.evictForReuse()).toBe(map.evictForReuse());
        table.add(key, step);
        map.set(key, step);
      }
      if (step % 89 === 0) {
        const limit = step - rand(400);
        const seen: [Address, number][] = [], seenMap: [Address, number][] = [];
        table.sweep((v, k) => (seen.push([k, v]), v < limit));
        map.sweep((v, k) => (seenMap.push([k, v]), v < limit));
        expect(seen).toEqual(seenMap);
      }
      expect(table.size).toBe(map.size);
      expect(table.evicted).toBe(map.evicted);
      if (step % 101 === 0) expect([...table]).toEqual([...map]);
    }
    expect(map.evicted).toBeGreaterThan(100);
    expect([...table]).toEqual([...map]);
  });
});
