import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { HOUR, MINUTE, type RollupDim, type RollupRow } from "../analytics/model.ts";
import { getAnalytics, getProtocols } from "./analytics.ts";
import { migrate } from "./db.ts";
import { migrationNamed } from "./migrations.ts";
import { RollupStore } from "./rollups.ts";

/** A database with only the rollup table (the queries find devices and threats tables when they exist). */
function rollupsOnly(): Database {
  const db = new Database(":memory:");
  migrate(db, [migrationNamed("traffic rollups")]);
  return db;
}

const NOW = 1_700_006_400 + 12 * HOUR; // noon UTC

function r(dim: RollupDim, bucket: number, key: string, out: number, inb: number, flows = 1, label: string | null = null, resolution = MINUTE): RollupRow {
  return { dim, bucket, resolution, key, label, bytesOut: out, bytesIn: inb, packetsOut: 1, packetsIn: 1, flows };
}

function seeded() {
  const db = rollupsOnly();
  const store = new RollupStore(db);
  const m1 = NOW - 30 * MINUTE;
  const m2 = NOW - 5 * MINUTE;
  store.put([
    r("total", m1, "", 1000, 9000, 3), r("total", m2, "", 500, 500, 1),
    r("total", NOW - 3 * HOUR, "", 77, 0, 1, null, HOUR), // outside a 1-hour window
    r("device", m1, "aabbccddeeff", 1000, 9000, 3, "192.168.1.10"), r("device", m2, "192.168.1.11", 500, 500, 1, "192.168.1.11"),
    r("service", m1, "QUIC", 800, 8000, 1), r("service", m1, "DNS", 200, 1000, 2), r("service", m2, "TLS", 500, 500, 1),
    r("app", m1, "YouTube", 800, 8000, 1, "video"), r("app", m1, "", 200, 1000, 2), r("app", m2, "Netflix", 500, 500, 1, "video"),
    r("dest", m1, "rr1.googlevideo.com", 800, 8000, 1, "1.1.1.1"), r("dest", m2, "www.netflix.com", 500, 500, 1, "2.2.2.2"),
  ]);
  return db;
}

describe("getAnalytics", () => {
  test("sums the window, ranks talkers, applications and destinations", () => {
    const db = seeded();
    db.exec(`CREATE TABLE devices (id TEXT PRIMARY KEY, name TEXT NOT NULL, hostname TEXT)`);
    db.query("INSERT INTO devices VALUES (?, ?, ?)").run("aabbccddeeff", JSON.stringify({ value: "Living room TV", confidence: 0.9 }), null);
    db.exec(`CREATE TABLE threats (id TEXT PRIMARY KEY, first_seen REAL, last_seen REAL)`);
    db.query("INSERT INTO threats VALUES ('t1', ?, ?), ('t2', ?, ?)").run(NOW - 600, NOW - 500, NOW - 5 * HOUR, NOW - 5 * HOUR);
    const a = getAnalytics(db, { hours: 1, now: NOW });
    expect(a.from).toBe(new Date((NOW - HOUR) * 1000).toISOString());
    expect(a.to).toBe(new Date(NOW * 1000).toISOString());
    expect(a.totals).toEqual({ bytes: 11000, packets: 4, flows: 4, devices: 2, threats: 1 });
    expect(a.topTalkers[0]).toEqual({ deviceId: "aabbccddeeff", ip: "192.168.1.10", name: "Living room TV", bytesSent: 1000, bytesReceived: 9000, flows: 3 });
    expect(a.topTalkers[1]).toMatchObject({ deviceId: null, ip: "192.168.1.11", name: null });
    expect(a.topApplications.map((x) => x.application)).toEqual(["YouTube", "Netflix"]);
    expect(a.topApplications[0]).toEqual({ application: "YouTube", category: "video", bytes: 8800, flows: 1 });
    expect(a.topDestinations[0]).toEqual({ host: "rr1.googlevideo.com", bytes: 8800, flows: 1 });
  });

  test("the throughput series covers the window at minute steps with zeros in the gaps", () => {
    const a = getAnalytics(seeded(), { hours: 1, now: NOW });
    expect(a.throughput.length).toBe(60);
    expect(a.throughput.reduce((s, p) => s + p.bytes, 0)).toBe(11000);
    const at = (t: number) => a.throughput.find((p) => p.time === new Date(t * 1000).toISOString());
    expect(at(NOW - 30 * MINUTE)?.bytes).toBe(10000);
    expect(at(NOW - 29 * MINUTE)?.bytes).toBe(0);
  });

  test("a day window steps by five minutes and includes hour rows", () => {
    const a = getAnalytics(seeded(), { hours: 24, now: NOW });
    expect(a.throughput.length).toBe(288);
    expect(a.totals.bytes).toBe(11077);
    expect(a.throughput.reduce((s, p) => s + p.bytes, 0)).toBe(11077);
  });

  test("works on an empty database with only the analytics tables", () => {
    const a = getAnalytics(rollupsOnly(), { hours: 2, now: NOW });
    expect(a.totals).toEqual({ bytes: 0, packets: 0, flows: 0, devices: 0, threats: 0 });
    expect(a.topTalkers).toEqual([]);
    expect(a.throughput.length).toBe(120);
  });
});

describe("getProtocols", () => {
  test("distributes bytes by service and application with percentages of the total", () => {
    const p = getProtocols(seeded(), { hours: 1, now: NOW });
    expect(p.hours).toBe(1);
    expect(p.services).toEqual([
      { service: "QUIC", bytes: 8800, packets: 2, flows: 1, percent: 80 },
      { service: "DNS", bytes: 1200, packets: 2, flows: 2, percent: 10.91 },
      { service: "TLS", bytes: 1000, packets: 2, flows: 1, percent: 9.09 },
    ]);
    expect(p.applications[0]).toEqual({ application: "YouTube", category: "video", bytes: 8800, flows: 1, percent: 80 });
    expect(p.applications.map((a) => a.application)).toEqual(["YouTube", "Netflix"]);
  });

  test("null hours means all stored history", () => {
    const p = getProtocols(seeded(), { hours: null, now: NOW });
    expect(p.hours).toBeNull();
    expect(p.services.reduce((s, x) => s + x.bytes, 0)).toBe(11000);
  });
});
