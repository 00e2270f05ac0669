import { describe, expect, test } from "bun:test";
import { FloodTracker } from "./flood-state.ts";
import { type Address, firstCrossing } from "./util.ts";
import { randomText } from "./testing.ts";

/** Keys in the map's order, each with what its target counted. */
const snapshot = (t: FloodTracker) => [...t.targets].map(([k, v]) => [k, v.start, v.last, v.packets, v.raised, v.dirty]);

describe("FloodTracker.sweep", () => {
  test("drops the same idle targets, in a map left in the same order, as reportGrowth's walk of every target", () => {
    // `walked` is made dirty before every sweep, so its sweep is always reportGrowth's full walk.
    const quick = new FloodTracker(40, 5, true), walked = new FloodTracker(40, 5, true);
    const rnd = randomText(7);
    const pick = (n: number) => Math.floor(Number.parseInt(rnd(6, "0123456789"), 10) / 1e6 * n);
    const reports: [string, Address, number][] = [];
    let ts = 1000;
    for (let step = 0; step < 20_000; step++) {
      // Mostly forward in time, by less than a second, now and then a jump past the window or a step back.
      const r = pick(1000);
      ts += r < 5 ? 7 : r < 15 ? -0.8 : pick(100) / 400;
      const k = pick(10);
      // A few hot targets (reported, then growing) among many cold ones, IPv4 numbers and IPv6 text.
      const key: Address = k < 3 ? k : k === 3 ? `2001:db8::${pick(30)}` : pick(60);
      const src = pick(4), port = pick(3);
      for (const [name, tr] of [["quick", quick], ["walked", walked]] as const) {
        const t = tr.hit(key, src, 7, ts, 1, port);
        // Some targets are raised, and grow after (dirty): those ticks walk every target in both.
        if (t.packets >= 8 && firstCrossing(t, tr.gate)) reports.push([name, key, t.packets]);
      }
      if (step % 50 === 49) {
        const now = ts + pick(8);
        quick.sweep(now, (t, k) => reports.push(["quick", k, t.packets]));
        walked.gate.dirtied();
        walked.sweep(now, (t, k) => reports.push(["walked", k, t.packets]));
        expect(snapshot(quick)).toEqual(snapshot(walked));
      }
    }
    const of = (name: string) => reports.filter((r) => r[0] === name).map((r) => r.slice(1));
    expect(of("quick").length).toBeGreaterThan(10);
    expect(of("quick")).toEqual(of("walked"));
    expect(quick.targets.size).toBeGreaterThan(0);
    expect(quick.targets.evicted).toBeGreaterThan(0);
  });
});
