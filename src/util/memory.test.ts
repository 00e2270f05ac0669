import { describe, expect, test } from "bun:test";
import { MemoryGuard, MIN_GC_INTERVAL_MS, PeriodicGc, WorkGc } from "./memory.ts";

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

describe("WorkGc", () => {
  test("collects when either kind of work passes its period, and both periods restart then", () => {
    let gcs = 0;
    const g = new WorkGc(100, 10, () => { gcs++; });
    g.check(50, 9);
    expect(gcs).toBe(0);
    g.check(60, 12); // new flows first: next at 160 packets or 22 flows
    expect(gcs).toBe(1);
    g.check(150, 21);
    expect(gcs).toBe(1);
    g.check(160, 21); // packets this time
    g.check(170, 25);
    expect(gcs).toBe(2);
    g.check(260, 32);
    expect([gcs, g.collections]).toEqual([3, 3]);
  });
});

describe("WorkGc with young collections", () => {
  test("every fullEvery-th collection is full, the others young; a full one by hand restarts the count", () => {
    const made: string[] = [];
    const g = new WorkGc(10, 1000, () => made.push("full"), 3, () => made.push("young"));
    for (let packets = 10; packets <= 60; packets += 10) g.check(packets, 0);
    expect(made).toEqual(["young", "young", "full", "young", "young", "full"]);
    g.check(70, 0);
    g.collect();
    g.check(80, 0);
    expect(made.slice(6)).toEqual(["young", "full", "young"]);
    expect([g.collections, g.youngCollections]).toEqual([3, 6]);
  });
});

describe("WorkGc with fullOnB (serve)", () => {
  test("B's period always collects in full; A's young ones restart only A's period; collectAt restarts both", () => {
    const made: string[] = [];
    const g = new WorkGc(10, 100, () => made.push("full"), 3, () => made.push("young"), true);
    g.check(10, 50); // A: young, A next at 20, B still at 100
    g.check(20, 100); // B due: full, though only one young so far
    expect(made).toEqual(["young", "full"]);
    g.check(30, 150); // A due (next 30), B next at 200: young
    g.check(40, 160);
    g.check(50, 170); // third by A since the full one: full
    expect(made.slice(2)).toEqual(["young", "young", "full"]);
    g.collectAt(55, 180); // by hand: A next at 65, B at 280
    g.check(60, 279);
    expect(made.length).toBe(6);
    g.check(60, 280);
    expect(made.slice(5)).toEqual(["full", "full"]);
    expect([g.collections, g.youngCollections]).toEqual([4, 3]);
  });
});
