import { describe, expect, test } from "bun:test";
import { TimerWheel, WHEEL_SLOTS } from "./wheel.ts";

describe("timer wheel", () => {
  test("entries fire in the second they are filed under, not before; cancelled ones never", () => {
    const w = new TimerWheel(8);
    w.begin(100);
    w.schedule(0, 105.5);
    w.schedule(1, 103.2);
    w.schedule(2, 103.9);
    w.schedule(3, 104);
    w.cancel(3);
    const fired: number[][] = [];
    for (const now of [102, 103.1, 104.7, 105.9]) {
      const batch: number[] = [];
      w.advance(now, (i) => batch.push(i));
      fired.push(batch.sort());
    }
    expect(fired).toEqual([[], [1, 2], [], [0]]);
  });

  test("a deadline in a second already processed is filed in the current one, looked at again", () => {
    const w = new TimerWheel(4);
    w.begin(10);
    w.advance(20.2, () => {});
    w.schedule(0, 5);
    w.schedule(1, 20.7);
    expect([w.due[0], w.due[1]]).toEqual([20, 20]);
    // Handed over within the second; the owner files the one not yet due again (same second).
    const fired: number[] = [];
    w.advance(20.3, (i) => {
      fired.push(i);
      if (i === 1) w.schedule(1, 20.7);
    });
    expect(fired.sort()).toEqual([0, 1]);
    w.advance(20.9, (i) => fired.push(i));
    expect(fired).toEqual([0, 1, 1]);
  });

  test("deadlines beyond one turn wait, and a jump of many turns fires everything due once", () => {
    const w = new TimerWheel(4);
    w.begin(0);
    w.schedule(0, 10);
    w.schedule(1, WHEEL_SLOTS + 10); // same slot as entry 0, one turn later
    w.schedule(2, 5 * WHEEL_SLOTS);
    const fired: number[] = [];
    w.advance(10, (i) => fired.push(i));
    expect(fired).toEqual([0]);
    w.advance(WHEEL_SLOTS + 9, (i) => fired.push(i));
    expect(fired).toEqual([0]);
    w.advance(10 * WHEEL_SLOTS, (i) => fired.push(i));
    expect(fired.sort()).toEqual([0, 1, 2]);
  });

  test("matches a naive scan under random filing, re-filing from fire, and cancels (model check)", () => {
    const n = 64;
    const w = new TimerWheel(n);
    const model = new Map<number, number>(); // entry -> second filed under
    let seed = 11;
    const rnd = (m: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % m;
    let now = 1000;
    w.begin(now);
    for (let step = 0; step < 3000; step++) {
      const i = rnd(n);
      const op = rnd(10);
      if (op < 6) {
        const deadline = now + rnd(3000) / 10;
        w.schedule(i, deadline);
        model.set(i, Math.floor(deadline));
      } else if (op < 7) {
        w.cancel(i);
        model.delete(i);
      } else {
        now += rnd(op === 9 ? 2500 : 40) / 10;
        const expected = [...model].filter(([, s]) => s <= Math.floor(now)).map(([e]) => e).sort((a, b) => a - b);
        const fired: number[] = [];
        w.advance(now, (e) => {
          fired.push(e);
          model.delete(e);
          // Half of them are still alive: filed again a little later.
          if (e % 2 === 0) {
            w.schedule(e, now + 3);
            model.set(e, Math.floor(now + 3));
          }
        });
        expect(fired.sort((a, b) => a - b)).toEqual(expected);
      }
    }
  });
});
