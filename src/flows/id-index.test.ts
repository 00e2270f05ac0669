import { describe, expect, test } from "bun:test";
import { IdIndex } from "./id-index.ts";

describe("flow id index", () => {
  test("finds every filed id and nothing else under churn, across the wrap of its slots (model check against a Map)", () => {
    const capacity = 64;
    const ids = new Float64Array(capacity);
    const index = new IdIndex(capacity, ids);
    const model = new Map<number, number>();
    const free = Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
    let lastDeleted = -1;
    let seed = 11, nextId = 2 ** 32 - 40; // ids cross 2^32: the slot comes from their low bits
    const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    for (let step = 0; step < 20_000; step++) {
      if (free.length > 0 && (model.size < 8 || rnd(3) > 0)) {
        const i = free.pop()!, id = nextId++;
        ids[i] = id;
        index.set(id, i);
        model.set(id, i);
      } else {
        const live = [...model.keys()];
        const id = live[rnd(live.length)];
        index.delete(id);
        free.push(model.get(id)!);
        model.delete(id);
        lastDeleted = id;
      }
      if (step % 97 === 0) {
        for (const [id, i] of model) expect(index.get(id)).toBe(i);
        expect(index.get(nextId)).toBe(-1);
        expect(index.get(lastDeleted)).toBe(-1);
      }
    }
    index.clear();
    for (const id of model.keys()) expect(index.get(id)).toBe(-1);
  });

  test("an id that is not a number is not found", () => {
    const ids = new Float64Array(4);
    const index = new IdIndex(4, ids);
    ids[0] = 1;
    index.set(1, 0);
    expect(index.get(Number("x"))).toBe(-1);
    expect(index.get(1)).toBe(0);
  });
});
