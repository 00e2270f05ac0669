/**
 * The pipeline worker dies (killed here, as a crash would end it): the API thread answers 503 for
 * what needed it, says so on the bus and in health, starts a new worker after a backoff, and the
 * new one serves the history the old one wrote.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openStorage } from "../storage/index.ts";
import { StorageWriter } from "../storage/writer.ts";
import { flowRecord } from "../../test/support/records.ts";
import { LiveBus, type LiveEvent } from "./bus.ts";
import { ServiceUnavailableError } from "./context.ts";
import { PipelineWorker, RESTART_FIRST_MS } from "./remote.ts";
import { LIVE_SNAPSHOT_IDLE_MS, LIVE_SNAPSHOT_MS, LIVE_SNAPSHOT_SIZE } from "./worker-protocol.ts";

const dir = mkdtempSync(path.join(tmpdir(), "ni-restart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(f: () => T | Promise<T>, what: string, ms = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

describe("a pipeline worker that dies", () => {
  test("is restarted with backoff; health and the bus say so; history is still served", async () => {
    const bus = new LiveBus();
    const events: LiveEvent[] = [];
    bus.subscribe((e) => events.push(e));
    // History an earlier run wrote (no capture here: the worker under test needs no libpcap).
    const databasePath = path.join(dir, "r.db");
    const storage = openStorage(databasePath);
    const w = new StorageWriter(storage);
    for (let i = 1; i <= 4; i++) w.flow(flowRecord({ id: String(i), status: "closed", srcPort: 40000 + i }));
    w.flushSync();
    storage.close();
    const pw = await PipelineWorker.start({
      databasePath, version: "t", flushSeconds: 1, maxFlows: 1024,
      retention: { retentionDays: 30, maxDbBytes: 2 ** 30 }, logLevel: "error",
    }, bus);
    const ctx = pw.context("t");
    try {
      expect((await ctx.flows.list({ limit: 100, status: "closed" })).length).toBe(4);
      await until(() => ctx.health().lastFlushAt !== null, "a first report with a flush");

      pw.kill();
      const down = await until(() => (ctx.health().problems.join(" ").includes("worker stopped") ? ctx.health() : null), "health to say the worker stopped");
      expect(down.captureRunning).toBe(false);
      await expect(Promise.resolve().then(() => ctx.devices.list())).rejects.toBeInstanceOf(ServiceUnavailableError);
      const died = events.find((e) => e.type === "capture" && e.event === "error");
      expect(died?.data).toMatchObject({ running: false });
      expect((died?.data as { error: string }).error).toMatch(/pipeline worker stopped/);

      await until(() => pw.restarts === 1, "the restart", RESTART_FIRST_MS + 15_000);
      expect(events.some((e) => e.type === "capture" && e.event === "restarted")).toBe(true);
      const after = ctx.health();
      expect(after.problems.join(" ")).toMatch(/restarted .* after the worker stopped/);
      expect(after.dbOk).toBe(true);
      // The new worker continues from the database.
      expect((await ctx.flows.list({ limit: 100, status: "closed" })).length).toBe(4);
      expect(Array.isArray(await ctx.devices.list())).toBe(true);
    } finally {
      await pw.shutdown();
    }
  }, 60_000);
});

describe("live snapshots", () => {
  test("start when flows are read, stop LIVE_SNAPSHOT_IDLE_MS after the last read, and start again on the next", async () => {
    let now = Date.now();
    const pw = await PipelineWorker.start({
      databasePath: path.join(dir, "s.db"), version: "t", flushSeconds: 1, maxFlows: 1024,
      retention: { retentionDays: 30, maxDbBytes: 2 ** 30 }, logLevel: "error",
    }, new LiveBus(), { now: () => now });
    const ctx = pw.context("t");
    // Every request is answered after those sent before it, and the worker's messages keep their order:
    // once this answer is in, whatever the worker sent before it has been received.
    const settled = async () => void (await pw.ops.capture.status());
    try {
      await settled();
      expect(pw.liveSnapshots).toBe(false);
      expect(pw.snapshotsReceived).toBe(0);

      await ctx.flows.list({ limit: 10 });
      expect(pw.liveSnapshots).toBe(true);
      const first = await until(() => pw.snapshotsReceived, "a first snapshot");
      await until(() => pw.snapshotsReceived >= first + 2, "snapshots to keep coming");

      // Just short of the idle time: still wanted (the idle check runs every second).
      now += LIVE_SNAPSHOT_IDLE_MS - 1000;
      await Bun.sleep(1500);
      expect(pw.liveSnapshots).toBe(true);

      now += 1000;
      await until(() => !pw.liveSnapshots, "snapshots to stop");
      await settled();
      const stopped = pw.snapshotsReceived;
      await Bun.sleep(4 * LIVE_SNAPSHOT_MS);
      await settled();
      expect(pw.snapshotsReceived).toBe(stopped);

      // On demand again: the next read asks for them, and they come.
      await ctx.flows.list({ limit: 10 });
      expect(pw.liveSnapshots).toBe(true);
      await until(() => pw.snapshotsReceived > stopped, "snapshots again");
    } finally {
      await pw.shutdown();
    }
  }, 60_000);

  test("are as large as the pages read lately: larger at once, smaller a LIVE_SNAPSHOT_IDLE_MS after the last larger page", async () => {
    let now = Date.now();
    const pw = await PipelineWorker.start({
      databasePath: path.join(dir, "z.db"), version: "t", flushSeconds: 1, maxFlows: 1024,
      retention: { retentionDays: 30, maxDbBytes: 2 ** 30 }, logLevel: "error",
    }, new LiveBus(), { now: () => now });
    const ctx = pw.context("t");
    try {
      expect(pw.snapshotSize).toBe(0);
      await ctx.flows.list({ limit: 10 });
      expect(pw.snapshotSize).toBe(100);
      // offset + limit: 300 flows, the next size up.
      expect(await ctx.flows.list({ limit: 200, offset: 100 })).toEqual([]);
      expect(pw.snapshotSize).toBe(500);
      // Beyond any snapshot: answered by the worker; the snapshots stay as they are.
      expect(await ctx.flows.list({ limit: 1000, offset: 500 })).toEqual([]);
      expect(pw.snapshotSize).toBe(500);

      // Small pages go on being read: the size stays until a whole LIVE_SNAPSHOT_IDLE_MS went by without a larger one.
      now += LIVE_SNAPSHOT_IDLE_MS - 2000;
      await ctx.flows.list({ limit: 50 });
      await Bun.sleep(1500);
      expect(pw.snapshotSize).toBe(500);
      now += 2000;
      await ctx.flows.list({ limit: 50 });
      await until(() => pw.snapshotSize === 100, "the snapshots to shrink");
      expect(pw.liveSnapshots).toBe(true);

      // A page of the largest size still fits one.
      await ctx.flows.list({ limit: LIVE_SNAPSHOT_SIZE });
      expect(pw.snapshotSize).toBe(LIVE_SNAPSHOT_SIZE);
    } finally {
      await pw.shutdown();
    }
  }, 60_000);
});
