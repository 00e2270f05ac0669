import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeSampleCapture } from "../api/testing.ts";
import { pcapBytes } from "../capture/pcapfile.ts";
import { ethernet, ipv4, udp } from "../decode/testing/frames.ts";
import { nextFlowId, openStorage } from "../storage/index.ts";
import { MAX_PENDING_ROWS } from "../storage/writer.ts";
import type { LiveEvent } from "./bus.ts";
import { NetInsightService } from "./service.ts";
import { resolveToken, tokenFileFor } from "./token.ts";

const dir = mkdtempSync(path.join(tmpdir(), "ni-service-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const capture = writeSampleCapture(path.join(dir, "sample.pcap"));

describe("NetInsightService", () => {
  test("flows are served from the live table, the write queue and storage, without duplicates", async () => {
    const storage = openStorage(":memory:");
    const service = await NetInsightService.create({ storage, version: "t" });
    const events: LiveEvent[] = [];
    service.bus.subscribe((e) => events.push(e));
    await service.capture.startFile(capture, 0);
    await service.capture.feedDone;

    expect(storage.flows.count()).toBe(0); // nothing written yet: ended flows wait in the queue
    expect(service.writer.pending).toBeGreaterThan(0);
    const before = service.flows.list({ limit: 100 });
    expect(before.map((f) => f.status)).toEqual(["active", "closed", "closed", "closed"]);

    await service.flush();
    expect(service.writer.pending).toBe(0);
    // The flow still live is written by the next sync: one that ends before it is stored once, at its end.
    expect(storage.flows.count()).toBe(3);
    await service.flush();
    expect(storage.flows.count()).toBe(4);
    expect(storage.flows.query({ limit: 10, status: "active" }).length).toBe(1);
    const written = service.writer.writtenRows;
    await service.flush();
    expect(service.writer.writtenRows).toBe(written); // unchanged since: not queued again
    const after = service.flows.list({ limit: 100 });
    expect(after).toEqual(before);
    expect(service.flows.list({ limit: 100, status: "closed" }).length).toBe(3);
    expect(service.flows.get(after[0].id)!.status).toBe("active");

    const kinds = events.map((e) => `${e.type}:${"event" in e ? e.event : ""}`);
    expect(kinds.filter((k) => k === "flow:new").length).toBe(4);
    expect(kinds.filter((k) => k === "flow:closed").length).toBe(3);
    expect(kinds).toContain("flow:updated");
    expect(kinds).toContain("device:new");
    expect(kinds[0]).toBe("capture:started");
    expect(kinds).toContain("capture:stopped");
    expect(storage.sessions.list()[0]).toMatchObject({ kind: "file", source: capture, packets: 12, error: null });
    await service.shutdown();
  });

  test("shutdown writes everything; a restart restores devices and continues flow ids", async () => {
    const file = path.join(dir, "restart.db");
    const s1 = await NetInsightService.create({ storage: openStorage(file), version: "t" });
    await s1.capture.startFile(capture, 0);
    await s1.capture.feedDone;
    const devices = s1.devices.list();
    expect(devices.length).toBeGreaterThan(0);
    await s1.shutdown();
    await s1.shutdown(); // twice is harmless

    const storage = openStorage(file);
    expect(storage.flows.count()).toBe(4);
    expect(nextFlowId(storage)).toBe(5);
    const s2 = await NetInsightService.create({ storage, version: "t" });
    expect(s2.flows.list({ limit: 10 }).every((f) => f.status === "closed")).toBe(true);
    expect(s2.devices.list().map((d) => d.id).sort()).toEqual(devices.map((d) => d.id).sort());
    await s2.capture.startFile(capture, 0);
    await s2.capture.feedDone;
    expect(s2.flows.list({ limit: 10 }).map((f) => Number(f.id)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await s2.shutdown();
  });

  test("a paced feed hands packets out over time and stops on request", async () => {
    const slow = writeSampleCapture(path.join(dir, "slow.pcap"), 7200);
    const service = await NetInsightService.create({ storage: openStorage(":memory:"), version: "t" });
    await service.capture.startFile(slow, 1);
    // The first connection spans 70 ms of capture time; the next packet is due a minute later.
    for (let i = 0; i < 100 && service.capture.status().packets < 8; i++) await Bun.sleep(20);
    const running = service.capture.status();
    expect(running.running).toBe(true);
    expect(running.packets).toBe(8);
    const stopped = await service.capture.stop();
    expect(stopped).toMatchObject({ running: false, packets: 8, error: null });
    await service.shutdown();
  });

  test("health reports failed writes, and recovers", async () => {
    const storage = openStorage(":memory:");
    const service = await NetInsightService.create({ storage, version: "t" });
    storage.db.exec("CREATE TRIGGER no_writes BEFORE INSERT ON flows BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END");
    await service.capture.startFile(capture, 0);
    await service.capture.feedDone;
    await service.flush();
    const bad = service.health();
    expect(bad.problems.join(" ")).toContain("disk I/O error");
    expect(bad.pendingRows).toBeGreaterThan(0);
    expect(bad.dbOk).toBe(false); // it answers SELECT 1, but it cannot be written: not ok
    storage.db.exec("DROP TRIGGER no_writes");
    await service.flush();
    const good = service.health();
    expect(good.problems).toEqual([]);
    expect(good.dbOk).toBe(true);
    expect(good.lastFlushError).toBeNull();
    expect(storage.flows.count()).toBe(3);
    await service.flush(); // the live flow, once writing works again
    expect(storage.flows.count()).toBe(4);
    await service.shutdown();
  });

  test("retention prunes old history in steps", async () => {
    const storage = openStorage(":memory:");
    const service = await NetInsightService.create({ storage, version: "t", retention: { retentionDays: 1, maxDbBytes: 2 ** 40 } });
    await service.capture.startFile(capture, 0);
    await service.capture.feedDone;
    await service.flush();
    await service.flush(); // the second sync writes the flow still live
    expect(storage.flows.count()).toBe(4);
    await service.runRetention(Date.now() / 1000 + 3 * 86400);
    expect(storage.flows.count()).toBe(1); // only the flow still active is kept
    await service.shutdown();
  });
});

describe("live flow ordering", () => {
  test("the newest live flows are picked without sorting the whole table, ties by id", async () => {
    // 300 UDP flows whose last packets come in a shuffled order, some at the same instant.
    const packets: { ts: number; data: Uint8Array }[] = [];
    const T = Math.floor(Date.now() / 1000) - 100;
    for (let i = 0; i < 300; i++) packets.push({ ts: T + i * 0.01, data: udpFrame(i) });
    for (let i = 0; i < 300; i++) packets.push({ ts: T + 5 + ((i * 7919) % 300) * 0.01 + (i % 3 === 0 ? 0.005 : 0), data: udpFrame((i * 37) % 300) });
    packets.sort((a, b) => a.ts - b.ts);
    const file = path.join(dir, "many.pcap");
    writeFileSync(file, pcapBytes(1, packets));
    const service = await NetInsightService.create({ storage: openStorage(":memory:"), version: "t" });
    await service.capture.startFile(file, 0);
    await service.capture.feedDone;
    const expected = service.pipeline.engine.flows.active()
      .sort((a, b) => b.lastSeen - a.lastSeen || Number(b.id) - Number(a.id)).map((f) => f.id);
    expect(expected.length).toBe(300);
    for (const limit of [1, 10, 99, 300]) expect(service.flows.list({ limit }).map((f) => f.id)).toEqual(expected.slice(0, limit));
    expect(service.flows.list({ limit: 10, offset: 20 }).map((f) => f.id)).toEqual(expected.slice(20, 30));
    expect(service.flows.list({ limit: 10, protocol: "UDP" }).map((f) => f.id)).toEqual(expected.slice(0, 10));
    await service.shutdown();
  });
});

function udpFrame(i: number): Uint8Array {
  return ethernet({ src: "a4:83:e7:0a:0b:0c", dst: "f0:9f:c2:11:22:33", type: 0x0800 },
    ipv4({ src: "192.168.1.23", dst: `10.9.${i >> 8}.${i & 255}`, proto: 17 }, udp({ sport: 40000 + i, dport: 53 }, new Uint8Array(12))));
}

describe("resolveToken", () => {
  test("generated once with mode 0600, then read back; API_TOKEN wins", () => {
    const db = path.join(dir, "tok.db");
    const a = resolveToken(undefined, db);
    expect(a.source).toBe("generated");
    expect(a.token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(tokenFileFor(db)).mode & 0o777).toBe(0o600);
    const b = resolveToken(undefined, db);
    expect(b).toEqual({ token: a.token, source: "file", file: tokenFileFor(db) });
    expect(resolveToken("from-the-environment-123", db)).toEqual({ token: "from-the-environment-123", source: "env", file: null });
    writeFileSync(tokenFileFor(db), "short\n");
    const c = resolveToken(undefined, db);
    expect(c.source).toBe("generated");
    expect(c.token).not.toBe(a.token);
  });
});

describe("a file fed at full speed", () => {
  test("never drops rows: the feed waits for storage, and every flow live at the file's end is written", async () => {
    // One-packet UDP flows 1 ms apart: more than the write queue's cap, nearly all still live when the file ends.
    const count = MAX_PENDING_ROWS + 10_000;
    const t0 = 1_700_000_000;
    const packets = Array.from({ length: count }, (_, i) => ({
      ts: t0 + i / 1000,
      data: ethernet({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", type: 0x0800 },
        ipv4({ src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: "192.168.1.1", proto: 17 }, udp({ sport: 10000 + (i % 50000), dport: 9999 }, new Uint8Array(8)))),
    }));
    const file = path.join(dir, "many.pcap");
    writeFileSync(file, pcapBytes(1, packets));
    const storage = openStorage(path.join(dir, "many.db"));
    const service = await NetInsightService.create({ storage, version: "t" });
    try {
      await service.feedFile(file, 0);
      await service.capture.feedDone;
      for (let i = 0; i < 600 && (storage.flows.count() < count || service.writer.pending > 0); i++) await Bun.sleep(50);
      expect(service.writer.droppedRows).toBe(0);
      expect(storage.flows.count()).toBe(count);
    } finally {
      await service.shutdown();
    }
  }, 60_000);
});
