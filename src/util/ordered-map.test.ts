import { describe, expect, test } from "bun:test";
import { BoundedMap, OrderedMap } from "./ordered-map.ts";

describe("OrderedMap", () => {
  test("oldest and shift follow insertion order; set keeps a key's place, touch moves it", () => {
    const m = new OrderedMap<string, number>();
    m.set("a", 1).set("b", 2).set("c", 3);
    m.set("a", 10);
    expect(m.oldest()).toEqual(["a", 10]);
    m.touch("a", 11);
    expect(m.shift()).toEqual(["b", 2]);
    expect(m.shift()).toEqual(["c", 3]);
    expect(m.shift()).toEqual(["a", 11]);
    expect(m.shift()).toBeUndefined();
  });

  test("deleted and re-inserted keys are not evicted by their old place in the ring", () => {
    const m = new OrderedMap<number, string>();
    m.set(1, "x").set(2, "y");
    m.delete(1);
    m.set(1, "again");
    expect(m.shift()).toEqual([2, "y"]);
    expect(m.shift()).toEqual([1, "again"]);
  });

  test("agrees with a model under random churn, and the ring stays small", () => {
    const m = new OrderedMap<number, number>();
    const model: number[] = []; // keys oldest first
    let seed = 1;
    const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    for (let i = 0; i < 50_000; i++) {
      const k = rnd(300);
      const op = rnd(4);
      if (op === 0) { m.delete(k); const at = model.indexOf(k); if (at >= 0) model.splice(at, 1); }
      else if (op === 1) { m.touch(k, i); const at = model.indexOf(k); if (at >= 0) model.splice(at, 1); model.push(k); }
      else if (op === 2) { m.set(k, i); if (!model.includes(k)) model.push(k); }
      else if (model.length) { expect(m.shift()?.[0]).toBe(model.shift()); }
    }
    expect([...m.keys()].sort((a, b) => a - b)).toEqual([...model].sort((a, b) => a - b));
    expect(m.oldest()?.[0]).toBe(model[0]);
  });
  test("values stay right across ring compactions and rebuilds (places kept by the map)", () => {
    const m = new BoundedMap<number, number>(50);
    const model = new Map<number, number>();
    let seed = 7;
    const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    for (let i = 0; i < 60_000; i++) {
      const k = rnd(120);
      const op = rnd(5);
      if (op === 0) { m.delete(k); model.delete(k); }
      else if (op === 1) { if (!model.has(k) && model.size >= 50) model.delete(model.keys().next().value!); m.touch(k, i); model.delete(k); model.set(k, i); }
      else if (op === 2) { const v = m.evictForReuse(); if (v !== undefined) { const first = model.keys().next().value!; expect(model.get(first)).toBe(v); model.delete(first); } }
      else { if (!model.has(k) && model.size >= 50) model.delete(model.keys().next().value!); m.set(k, i); model.set(k, i); }
      expect(m.get(k)).toBe(model.get(k));
    }
    expect([...m]).toEqual([...model]);
    expect(m.oldestValues(5)).toEqual([...model.values()].slice(0, 5));
  });
  test("an entry never touched keeps its place while the ring behind it is rebuilt", () => {
    const m = new OrderedMap<number, number>();
    const model = new Map<number, number>([[999, -1]]);
    m.set(999, -1);
    let seed = 3;
    const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    for (let i = 0; i < 30_000; i++) {
      const k = rnd(100);
      if (rnd(3) === 0) { m.delete(k); model.delete(k); }
      else { m.touch(k, i); model.delete(k); model.set(k, i); }
      expect(m.get(k)).toBe(model.get(k));
    }
    expect([...m]).toEqual([...model]);
    expect(m.shift()).toEqual([999, -1]);
    expect(m.oldest()).toEqual([...model].slice(1)[0]!);
  });
});

describe("BoundedMap", () => {
  test("never exceeds its cap and counts what it drops", () => {
    const m = new BoundedMap<number, number>(100);
    for (let i = 0; i < 10_000; i++) m.set(i, i);
    expect(m.size).toBe(100);
    expect(m.evicted).toBe(9_900);
    expect(m.oldest()).toEqual([9_900, 9_900]);
    m.sweep((v) => v % 2 === 0);
    expect(m.size).toBe(50);
  });
});
