/** `serve --read FILE --loop`: the file replays again and again and capture time keeps moving forward. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { appendPacket, newBatch } from "../capture/batch.ts";
import { openStorage } from "../storage/index.ts";
import { T0, writeSampleCapture } from "../api/testing.ts";
import { LOOP_GAP_SECONDS, shiftBatch } from "./capture.ts";
import { NetInsightService } from "./service.ts";

const dir = mkdtempSync(path.join(tmpdir(), "ni-loop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("shiftBatch moves whole seconds and reports the original span", () => {
  const b = newBatch(4096);
  appendPacket(b, 100, 250_000, new Uint8Array(60));
  appendPacket(b, 103, 999_999, new Uint8Array(61));
  expect(shiftBatch(b, 10)).toEqual({ first: 100.25, last: 103.999999 });
  expect(b.view.getUint32(0, true)).toBe(110);
  expect(b.view.getUint32(4, true)).toBe(250_000);
  expect(shiftBatch(b, 0)).toEqual({ first: 110.25, last: 113.999999 });
});

test("a looped file replays with its time moving forward, until stopped", async () => {
  // 12 packets over 12 s of capture time, paced at 200x: a pass takes ~60 ms.
  const file = writeSampleCapture(path.join(dir, "loop.pcap"), 12);
  const service = await NetInsightService.create({ storage: openStorage(":memory:"), version: "0" });
  try {
    await service.feedFile(file, 200, undefined, true);
    const onePass = 12 + LOOP_GAP_SECONDS;
    // Three passes at least: the newest packet is then more than two passes after the first.
    for (let i = 0; i < 400 && (service.pipeline.engine.stats.lastSeen ?? 0) < T0 + 2 * onePass + 1; i++) await Bun.sleep(25);
    const last = service.pipeline.engine.stats.lastSeen!;
    expect(last).toBeGreaterThan(T0 + 2 * onePass);
    expect(service.capture.status().running).toBe(true);
    // The capture clock: every pass's packets later than the one before (no time going back).
    expect(service.clock(0)).toBe(last);
    // The capture clock runs on between packets while pacing, never behind the newest packet.
    expect(service.capture.captureNow(last)).toBeGreaterThanOrEqual(last);
    const before = service.capture.captureNow(last, 1000);
    await service.capture.stop();
    // Stopped, the clock goes on from there at the wall clock's pace (the chart keeps moving, never back).
    const after = service.capture.captureNow(last, 1000);
    expect(after).toBeGreaterThanOrEqual(before);
    expect(service.capture.captureNow(last, 1010) - after).toBeCloseTo(10, 6);
    expect(service.capture.status().running).toBe(false);
    expect(service.pipeline.engine.stats.packets).toBeGreaterThan(24);
  } finally {
    await service.shutdown();
  }
});
