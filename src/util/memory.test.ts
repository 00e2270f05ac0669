import { describe, expect, test } from "bun:test";
import { MemoryGuard, MIN_GC_INTERVAL_MS, PeriodicGc } from "./memory.ts";

const MB = 1024 * 1024;

describe("MemoryGuard", () => {
  test("collects past half the cap, at most once per interval, and reports staying over", () => {
    let rss = 100 * MB, now = 0, gcs = 0;
    let afterGc = 150 * MB;
    const g = new MemoryGuard({ capMb: 300, rss: () => rss, now: () => now, gc: () => { gcs++; rss = afterGc; } });
    g.check();
    expect(gcs).toBe(0);
    rss = 250 * MB; // above 150 MB
    g.check();
    expect([gcs, g.overCap, g.problem()]).toEqual([1, false, null]);
    rss = 260 * MB;
    now += MIN_GC_INTERVAL_MS / 2;
    g.check(); // too soon for another collection
    expect(gcs).toBe(1);
    now += MIN_GC_INTERVAL_MS;
    afterGc = 320 * MB; // live data really is over the cap
    rss = 330 * MB;
    g.check();
    expect(gcs).toBe(2);
    expect(g.overCap).toBe(true);
    expect(g.problem()).toContain("MAX_MEMORY_MB=300");
  });
});

describe("PeriodicGc", () => {
  test("collects each time the work passes another period, and on demand", () => {
    let gcs = 0;
    const g = new PeriodicGc(100, () => { gcs++; });
    g.check(99);
    expect(gcs).toBe(0);
    g.check(130); // passed 100: next at 230
    g.check(229);
    expect(gcs).toBe(1);
    g.check(1000);
    g.collect();
    expect([gcs, g.collections]).toEqual([3, 3]);
  });
});
