import { describe, expect, test } from "bun:test";
import { Coalescer, entityId } from "./coalesce.ts";

describe("Coalescer", () => {
  test("keeps the newest payload and the strongest event per id, in first-seen order", () => {
    const c = new Coalescer<"new" | "updated" | "closed">(["updated", "new", "closed"]);
    c.add("a", "new", { v: 1 });
    c.add("b", "updated", { v: 1 });
    c.add("a", "updated", { v: 2 });
    c.add("c", "new", { v: 1 });
    c.add("c", "closed", { v: 2 });
    c.add("c", "updated", { v: 3 }); // a late update does not reopen a closed flow
    expect(c.size).toBe(3);
    expect(c.drain()).toEqual([
      { id: "a", event: "new", data: { v: 2 } },
      { id: "b", event: "updated", data: { v: 1 } },
      { id: "c", event: "closed", data: { v: 3 } },
    ]);
    expect(c.size).toBe(0);
    expect(c.drain()).toEqual([]);
  });
});

test("entityId reads string and numeric ids, nothing else", () => {
  expect(entityId({ id: "42" })).toBe("42");
  expect(entityId({ id: 7 })).toBe("7");
  expect(entityId({ id: null })).toBeUndefined();
  expect(entityId("x")).toBeUndefined();
  expect(entityId(null)).toBeUndefined();
});
