import { describe, expect, test } from "bun:test";
import type { FlowRecord } from "../flows/record.ts";
import { insertNewest, newestFirst } from "./flow-view.ts";

describe("insertNewest", () => {
  test("keeps exactly the newest `max`, in the order a full sort gives", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const flows = Array.from({ length: 5000 }, (_, i) => ({ id: String(i + 1), lastSeen: Math.floor(rnd() * 300) }) as FlowRecord);
    const top: FlowRecord[] = [];
    for (const f of flows) insertNewest(top, f, 100);
    expect(top.map((f) => f.id)).toEqual([...flows].sort(newestFirst).slice(0, 100).map((f) => f.id));
  });
});
