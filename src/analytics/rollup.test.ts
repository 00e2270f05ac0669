import type { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import type { FlowRecord } from "../flows/record.ts";
import { MAX_DEST_KEYS_PER_MINUTE, TrafficRollup } from "./rollup.ts";
import { OTHER_KEY, type RollupDim } from "./model.ts";
import { openDatabase } from "../storage/db.ts";
import { RollupStore } from "../storage/rollups.ts";

const T0 = 1_700_000_040; // a minute edge (divisible by 60)

function flow(id: string, patch: Partial<FlowRecord> = {}): FlowRecord {
  return {
    id, protocol: "TCP", ipProtocol: 6, ipVersion: 4, srcIp: "192.168.1.10", srcPort: 50000, dstIp: "142.250.1.1",
    dstPort: 443, srcMac: null, dstMac: null, vlan: 0, packetsSent: 0, bytesSent: 0, packetsReceived: 0,
    bytesReceived: 0, startTime: T0, lastSeen: T0, status: "active", tcpState: "established", tcpFlags: "SA",
    service: "TLS", serviceBy: "payload", hostname: "www.youtube.com", application: "YouTube", category: "video",
    srcDeviceId: null, dstDeviceId: null, ...patch,
  };
}

function grow(f: FlowRecord, at: number, bytesOut: number, bytesIn: number, pktsOut = 1, pktsIn = 1): void {
  f.bytesSent += bytesOut; f.bytesReceived += bytesIn;
  f.packetsSent += pktsOut; f.packetsReceived += pktsIn;
  f.lastSeen = at;
}

function setup(db: Database = openDatabase(":memory:")) {
  const store = new RollupStore(db);
  const active: FlowRecord[] = [];
  const rollup = new TrafficRollup({ store, activeFlows: () => active });
  return { db, store, active, rollup };
}

function row(store: RollupStore, dim: RollupDim, bucket: number, key: string) {
  return store.get(dim, bucket, 60, key);
}

describe("TrafficRollup", () => {
  test("attributes each snapshot's delta to the minute of the flow's last packet", () => {
    const { store, active, rollup } = setup();
    const f = flow("1");
    active.push(f);
    grow(f, T0 + 10, 1000, 5000, 2, 4);
    rollup.tick(T0 + 10); // first tick snapshots at once
    grow(f, T0 + 59.9, 100, 200); // last packet just before the minute edge
    rollup.tick(T0 + 30); // no snapshot before the edge
    rollup.tick(T0 + 60.2); // edge: the delta belongs to minute T0
    grow(f, T0 + 61, 7, 9);
    rollup.tick(T0 + 120);
    expect(row(store, "total", T0, "")).toMatchObject({ bytesOut: 1100, bytesIn: 5200, packetsOut: 3, packetsIn: 5, flows: 1 });
    expect(row(store, "total", T0 + 60, "")).toMatchObject({ bytesOut: 7, bytesIn: 9, flows: 0 });
    expect(row(store, "app", T0, "YouTube")).toMatchObject({ bytesOut: 1100, label: "video" });
    expect(row(store, "service", T0, "TLS")?.bytesIn).toBe(5200);
    expect(row(store, "dest", T0, "www.youtube.com")?.flows).toBe(1);
  });

  test("devices see a flow from their own side; remote ends are not devices", () => {
    const { store, active, rollup } = setup();
    const f = flow("1", { dstIp: "192.168.1.20", dstDeviceId: "aabbccddeeff" });
    active.push(f);
    grow(f, T0 + 1, 300, 700);
    rollup.tick(T0 + 2);
    expect(row(store, "device", T0, "192.168.1.10")).toMatchObject({ bytesOut: 300, bytesIn: 700, label: "192.168.1.10" });
    expect(row(store, "device", T0, "aabbccddeeff")).toMatchObject({ bytesOut: 700, bytesIn: 300 });
    const g = flow("2");
    active.push(g);
    grow(g, T0 + 3, 1, 1);
    rollup.tick(T0 + 61);
    expect(row(store, "device", T0, "142.250.1.1")).toBeUndefined();
  });

  test("a late packet reported after its minute was flushed and evicted adds to that minute", () => {
    const { store, active, rollup } = setup();
    const f = flow("1");
    active.push(f);
    grow(f, T0 + 5, 100, 100);
    rollup.tick(T0 + 5);
    // Ten minutes of other traffic move the open window far past T0.
    const other = flow("2", { hostname: "example.org", application: null, category: null });
    active.push(other);
    for (let m = 1; m <= 10; m++) {
      grow(other, T0 + m * 60 + 1, 10, 10);
      rollup.tick(T0 + m * 60 + 1);
    }
    // Flow 1 ends; its last counted bytes happened in minute T0 (reported late).
    active.splice(0, 1);
    grow(f, T0 + 50, 40, 60);
    rollup.flowEnded(f);
    rollup.flush();
    expect(row(store, "total", T0, "")).toMatchObject({ bytesOut: 140, bytesIn: 160, flows: 1 });
    expect(row(store, "app", T0, "YouTube")?.bytesOut).toBe(140);
  });

  test("flushing twice writes the same rows (idempotent)", () => {
    const { store, active, rollup } = setup();
    const f = flow("1");
    active.push(f);
    grow(f, T0 + 1, 100, 100);
    rollup.snapshot(T0 + 2);
    rollup.flush();
    rollup.snapshot(T0 + 3);
    rollup.flush();
    rollup.flush();
    expect(row(store, "total", T0, "")).toMatchObject({ bytesOut: 100, bytesIn: 100, flows: 1 });
  });

  test("a restart in the middle of a minute keeps what the first run stored and adds the rest", () => {
    const db = openDatabase(":memory:");
    const first = setup(db);
    const f = flow("1");
    first.active.push(f);
    grow(f, T0 + 10, 500, 500);
    first.rollup.tick(T0 + 20); // flushed at T0+20, then the process dies
    grow(f, T0 + 25, 1, 1); // lost with the process: never flushed
    const second = setup(db); // new process, same database, same minute
    const g = flow("1"); // flow ids restart; counters restart from zero
    second.active.push(g);
    grow(g, T0 + 40, 200, 300);
    second.rollup.tick(T0 + 41);
    second.rollup.flush();
    expect(row(second.store, "total", T0, "")).toMatchObject({ bytesOut: 700, bytesIn: 800, flows: 2 });
  });

  test("a relabelled flow moves its new bytes to the new application and counts there once", () => {
    const { store, active, rollup } = setup();
    const f = flow("1", { hostname: null, application: null, category: null });
    active.push(f);
    grow(f, T0 + 1, 10, 10);
    rollup.snapshot(T0 + 1);
    Object.assign(f, { hostname: "www.netflix.com", application: "Netflix", category: "video" });
    grow(f, T0 + 2, 90, 90);
    rollup.snapshot(T0 + 2);
    grow(f, T0 + 3, 5, 5);
    rollup.snapshot(T0 + 3);
    rollup.flush();
    expect(row(store, "app", T0, "")).toMatchObject({ bytesOut: 10, flows: 1 });
    expect(row(store, "app", T0, "Netflix")).toMatchObject({ bytesOut: 95, flows: 1 });
    expect(row(store, "total", T0, "")).toMatchObject({ bytesOut: 105, flows: 1 });
  });

  test("destinations beyond the per-minute cap are summed under one key", () => {
    const { store, rollup } = setup();
    const n = MAX_DEST_KEYS_PER_MINUTE + 20;
    for (let i = 0; i < n; i++) {
      const f = flow(String(i), { hostname: null, dstIp: `8.8.${i >> 8}.${i & 255}` });
      grow(f, T0 + 1, 1, 1);
      rollup.flowEnded(f);
    }
    rollup.flush();
    expect(row(store, "dest", T0, OTHER_KEY)).toMatchObject({ bytesOut: 20, flows: 20 });
    const destRows = store.db.query("SELECT count(*) AS n FROM traffic_rollups WHERE dim = 'dest'").get() as { n: number };
    expect(destRows.n).toBe(MAX_DEST_KEYS_PER_MINUTE + 1);
  });
});

describe("TrafficRollup from the flow table (serve's pipeline)", () => {
  test("writes the same rows as from flow records, on a capture with devices, DNS and TLS", async () => {
    const { buildPipeline } = await import("../engine/pipeline.ts");
    const { openOffline } = await import("../capture/offline.ts");
    const tableDb = openDatabase(":memory:"), recordDb = openDatabase(":memory:");
    const p = buildPipeline({ rollups: new RollupStore(tableDb), liveDeviceCounters: true });
    // The record form beside it, last as before: the engine makes its record before any end hook runs.
    const byRecord = new TrafficRollup({ store: new RollupStore(recordDb), activeFlows: () => p.engine.flows.active() });
    p.engine.addAnalyzer(byRecord);
    const source = await openOffline(new URL("../../samples/home-lab.pcap", import.meta.url).pathname);
    try {
      for (let b = source.next(); b; b = source.next()) p.engine.processBatch(b, source.linkType);
    } finally {
      source.close();
    }
    p.engine.finish();
    p.rollup!.close();
    byRecord.close();
    const rows = (db: Database) => db.query("SELECT * FROM traffic_rollups ORDER BY dim, bucket, resolution, key").all();
    const fromTable = rows(tableDb);
    expect(fromTable.length).toBeGreaterThan(20);
    expect(new Set(fromTable.map((r: any) => r.dim))).toEqual(new Set(["total", "service", "app", "dest", "device"]));
    expect(fromTable).toEqual(rows(recordDb));
  });
});
