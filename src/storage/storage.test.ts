import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Device } from "../devices/model.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { Threat } from "../threats/model.ts";
import { migrate, openDatabase, schemaVersion } from "./db.ts";
import { nextFlowId, openReader, openStorage } from "./index.ts";
import { flowOrder, flowText, StoredFlows, type FlowQuery } from "./flows.ts";
import { MIGRATIONS } from "./migrations.ts";
import { retentionStep, STEP_ROWS, usedBytes } from "./retention.ts";
import { ThreadSink } from "./thread-sink.ts";
import { CHUNK_ROWS, StorageWriter } from "./writer.ts";

function flow(id: number, over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    id: String(id), protocol: "TCP", ipProtocol: 6, ipVersion: 4, srcIp: "192.168.1.10", srcPort: 40000 + (id % 20000),
    dstIp: "93.184.216.34", dstPort: 443, srcMac: "aa:bb:cc:00:00:01", dstMac: "aa:bb:cc:00:00:02", vlan: 0,
    packetsSent: 10, bytesSent: 1000, packetsReceived: 8, bytesReceived: 6000, startTime: 1_700_000_000 + id,
    lastSeen: 1_700_000_010 + id, status: "closed", tcpState: "closed", tcpFlags: "SAF", service: "TLS",
    serviceBy: "payload", hostname: "example.com", application: null, category: null, srcDeviceId: "aabbcc000001",
    dstDeviceId: null, ...over,
  };
}

/** What a stored-flow query selects, said once in plain code. */
function matchesQuery(f: FlowRecord, q: FlowQuery): boolean {
  return (!q.status || f.status === q.status) && (!q.protocol || f.protocol === q.protocol) &&
    (q.since === undefined || f.lastSeen >= q.since) && (!q.ip || f.srcIp === q.ip || f.dstIp === q.ip) &&
    (!q.deviceId || f.srcDeviceId === q.deviceId || f.dstDeviceId === q.deviceId) &&
    (!q.q || flowText(f).includes(q.q.toLowerCase()));
}

const device: Device = {
  id: "aabbcc000001", mac: "aa:bb:cc:00:00:01", macs: ["aa:bb:cc:00:00:01"], ips: ["192.168.1.10", "fe80::1"],
  vendor: { value: "Acme", confidence: 0.9 }, hostname: "laptop", name: { value: "laptop", confidence: 0.8 },
  type: { value: "computer", confidence: 0.6 }, os: { value: null, confidence: 0 }, isRandomizedMac: false,
  isGateway: false, firstSeen: 1_700_000_000, lastSeen: 1_700_000_100, packetsSent: 5, bytesSent: 500,
  packetsReceived: 3, bytesReceived: 300, flowCount: 2,
  evidence: [{ signal: "dhcp.hostname", value: "laptop", firstSeen: 1_700_000_000, lastSeen: 1_700_000_000 }],
};

const threat: Threat = {
  id: "t-1", type: "port_scan", severity: "high", title: "Port scan", description: "many ports", sourceIp: "192.168.1.66",
  sourceMac: null, targetIp: "192.168.1.10", targetPort: null, deviceId: null, firstSeen: 1_700_000_000,
  lastSeen: 1_700_000_050, count: 3, evidence: { ports: 120, windowSeconds: 60 }, status: "active",
};

describe("migrations", () => {
  test("a new database gets every migration, strict tables and incremental vacuum", () => {
    const db = openDatabase(":memory:");
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect((db.query("PRAGMA auto_vacuum").get() as { auto_vacuum: number }).auto_vacuum).toBe(2);
    expect(() => db.query("INSERT INTO capture_sessions (kind, source, started_at, packets) VALUES ('file', 'x', 1, 'lots')").run()).toThrow(/cannot store TEXT value in INTEGER column/);
    db.close();
  });

  test("only newer migrations run, in order, and a newer schema is refused", () => {
    const db = new Database(":memory:");
    const steps = [
      { version: 1, name: "a", sql: "CREATE TABLE a (x INTEGER) STRICT;" },
      { version: 2, name: "b", sql: "CREATE TABLE b (y INTEGER) STRICT;" },
    ];
    expect(migrate(db, steps.slice(0, 1))).toBe(1);
    expect(migrate(db, steps)).toBe(2);
    expect(migrate(db, steps)).toBe(2); // idempotent: table a is not created twice
    expect(() => migrate(db, steps.slice(0, 1))).toThrow(/newer than this NetInsight/);
  });

  test("a database made by migration 1 is brought to the latest schema", () => {
    const db = new Database(":memory:");
    migrate(db, MIGRATIONS.slice(0, 1));
    db.query("INSERT INTO meta (key, value) VALUES ('kept', 'yes')").run();
    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    const cols = db.query("SELECT name FROM pragma_index_info('flows_src_ip')").all().map((r) => (r as { name: string }).name);
    expect(cols).toEqual(["src_ip", "last_seen"]);
    expect(db.query("SELECT value FROM meta WHERE key = 'kept'").get()).toEqual({ value: "yes" });
  });

  test("migration 6 keeps a database's flows in place; ordered indexes then hold closed rows only", () => {
    const db = new Database(":memory:");
    migrate(db, MIGRATIONS.filter((m) => m.version <= 5));
    const before = new StoredFlows(db);
    before.upsertMany([flow(1), flow(2, { status: "active" }), flow(3, { dstDeviceId: "aabbcc000002" })]);
    const rows = db.query("SELECT * FROM flows ORDER BY id").all();
    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.query("SELECT * FROM flows ORDER BY id").all()).toEqual(rows);
    const where = (name: string) => (db.query("SELECT sql FROM sqlite_master WHERE name = ?").get(name) as { sql: string }).sql;
    for (const name of ["flows_last_seen", "flows_src_ip", "flows_dst_ip", "flows_src_device", "flows_dst_device"]) {
      expect(where(name)).toContain("WHERE status = 'closed'");
    }
    expect(where("flows_open")).toContain("WHERE status <> 'closed'");
    const after = new StoredFlows(db);
    expect(after.query({ limit: 10 }).map((f) => f.id)).toEqual(["3", "2", "1"]);
    expect(after.query({ limit: 10, deviceId: "aabbcc000002" }).map((f) => f.id)).toEqual(["3"]);
    // The API's page (closed rows, newest first) is read in index order, not sorted.
    const plan = db.query("EXPLAIN QUERY PLAN SELECT id FROM flows WHERE status = 'closed' ORDER BY last_seen DESC, id DESC LIMIT 100").all()
      .map((r) => (r as { detail: string }).detail).join(" ");
    expect(plan).toContain("flows_last_seen");
    expect(plan).not.toContain("TEMP B-TREE");
    // A crash's orphans are found through flows_open at the next start, not by reading every row.
    expect(after.closeOrphans()).toBe(1);
    expect(after.get("2")!.status).toBe("closed");
    expect(after.query({ limit: 10 }).map((f) => f.id)).toEqual(["3", "2", "1"]);
  });

  test("a failing migration leaves the previous version", () => {
    const db = new Database(":memory:");
    expect(() => migrate(db, [{ version: 1, name: "bad", sql: "CREATE TABLE x (a INTEGER) STRICT; NOT SQL;" }])).toThrow();
    expect(schemaVersion(db)).toBe(0);
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 'x'").get()).toBeNull();
  });
});

describe("stored rows", () => {
  test("flows round-trip and upsert updates the changing fields", () => {
    const s = openStorage(":memory:");
    s.flows.upsertMany([flow(1, { status: "active", tcpState: "established" }), flow(2)]);
    s.flows.upsert(flow(1, { packetsSent: 99, status: "closed", lastSeen: 1_800_000_000 }));
    expect(s.flows.get("1")).toEqual(flow(1, { packetsSent: 99, status: "closed", lastSeen: 1_800_000_000 }));
    expect(s.flows.get("3")).toBeUndefined();
    expect(s.flows.get("x'; DROP")).toBeUndefined();
    expect(s.flows.count()).toBe(2);
  });

  test("a flow written again unchanged changes nothing; any changed field is written", () => {
    const s = openStorage(":memory:");
    s.flows.upsert(flow(1, { status: "active" }));
    const changes = () => (s.db.query("SELECT total_changes() AS n").get() as { n: number }).n;
    const before = changes();
    s.flows.upsert(flow(1, { status: "active" }));
    expect(changes()).toBe(before);
    s.flows.upsert(flow(1, { status: "active", hostname: null }));
    expect(changes()).toBe(before + 1);
    expect(s.flows.get("1")!.hostname).toBeNull();
    s.flows.upsert(flow(1, { status: "active", hostname: null, dstDeviceId: "aabbcc000002" }));
    expect(s.flows.get("1")!.dstDeviceId).toBe("aabbcc000002");
    s.flows.upsert(flow(1, { status: "closed", hostname: null, dstDeviceId: "aabbcc000002" }));
    expect(s.flows.get("1")).toEqual(flow(1, { status: "closed", hostname: null, dstDeviceId: "aabbcc000002" }));
  });

  test("flow queries filter and order newest first", () => {
    const s = openStorage(":memory:");
    s.flows.upsertMany([
      flow(1), flow(2, { protocol: "UDP", dstIp: "8.8.8.8" }), flow(3, { srcDeviceId: null, dstDeviceId: "aabbcc000001" }),
      flow(4, { srcDeviceId: "other", status: "active" }),
    ]);
    expect(s.flows.query({ limit: 10 }).map((f) => f.id)).toEqual(["4", "3", "2", "1"]);
    expect(s.flows.query({ limit: 2, offset: 1 }).map((f) => f.id)).toEqual(["3", "2"]);
    expect(s.flows.query({ limit: 10, protocol: "UDP" }).map((f) => f.id)).toEqual(["2"]);
    expect(s.flows.query({ limit: 10, ip: "8.8.8.8" }).map((f) => f.id)).toEqual(["2"]);
    expect(s.flows.query({ limit: 10, deviceId: "aabbcc000001" }).map((f) => f.id)).toEqual(["3", "2", "1"]);
    expect(s.flows.query({ limit: 10, status: "active" }).map((f) => f.id)).toEqual(["4"]);
    expect(s.flows.query({ limit: 10, since: 1_700_000_013 }).map((f) => f.id)).toEqual(["4", "3"]);
    expect(s.flows.query({ limit: 10, deviceId: "aabbcc000001", ip: "8.8.8.8" }).map((f) => f.id)).toEqual(["2"]);
    expect(s.flows.query({ limit: 1, offset: 1, deviceId: "aabbcc000001" }).map((f) => f.id)).toEqual(["2"]);
    expect(s.flows.closeOrphans()).toBe(1);
    expect(s.flows.get("4")!.status).toBe("closed");
  });

  test("queries over open and closed rows answer what filtering and sorting every row gives", () => {
    const s = openStorage(":memory:");
    const all: FlowRecord[] = [];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let id = 1; id <= 300; id++) {
      all.push(flow(id, {
        status: rnd(3) === 0 ? "active" : "closed", protocol: rnd(4) === 0 ? "UDP" : "TCP",
        srcIp: `10.0.0.${rnd(5)}`, dstIp: `10.0.0.${rnd(5)}`, srcDeviceId: rnd(4) === 0 ? null : `dev${rnd(4)}`,
        dstDeviceId: rnd(2) === 0 ? null : `dev${rnd(4)}`, lastSeen: 1_700_000_000 + rnd(50), bytesSent: rnd(4) * 100,
        hostname: rnd(3) === 0 ? "a.example" : null,
      }));
    }
    s.flows.upsertMany(all);
    const queries: FlowQuery[] = [];
    for (const status of [undefined, "active", "closed"] as const) {
      for (const extra of [{}, { ip: "10.0.0.1" }, { deviceId: "dev2" }, { ip: "10.0.0.3", deviceId: "dev1" }, { protocol: "UDP", since: 1_700_000_020 }, { q: "a.EXAMPLE" }]) {
        for (const sort of [undefined, "bytes"] as const) {
          for (const [limit, offset] of [[10, 0], [7, 5], [500, 0]]) queries.push({ limit, offset, status, sort, ...extra });
        }
      }
    }
    for (const q of queries) {
      const expected = all.filter((f) => matchesQuery(f, q)).sort(flowOrder(q.sort)).slice(q.offset ?? 0, (q.offset ?? 0) + q.limit);
      expect({ q, ids: s.flows.query(q).map((f) => f.id) }).toEqual({ q, ids: expected.map((f) => f.id) });
    }
  });

  test("a flow with the same address or device at both ends is listed once", () => {
    const s = openStorage(":memory:");
    s.flows.upsertMany([flow(1, { dstIp: "192.168.1.10", dstDeviceId: "aabbcc000001" }), flow(2, { srcIp: "10.0.0.9", dstIp: "192.168.1.10" }), flow(3, { srcIp: "10.0.0.9" })]);
    expect(s.flows.query({ limit: 10, ip: "192.168.1.10" }).map((f) => f.id)).toEqual(["2", "1"]);
    expect(s.flows.query({ limit: 10, deviceId: "aabbcc000001" }).map((f) => f.id)).toEqual(["3", "2", "1"]);
  });

  test("devices and threats round-trip, threats filter and change status", () => {
    const s = openStorage(":memory:");
    s.devices.upsertMany([device, { ...device, id: "other", lastSeen: 1_600_000_000 }]);
    expect(s.devices.get(device.id)).toEqual(device);
    expect(s.devices.list().map((d) => d.id)).toEqual([device.id, "other"]);
    s.threats.upsertMany([threat, { ...threat, id: "t-2", severity: "low", lastSeen: 1 }]);
    expect(s.threats.get("t-1")).toEqual(threat);
    expect(s.threats.list({ severity: "low" }).map((t) => t.id)).toEqual(["t-2"]);
    expect(s.threats.setStatus("t-2", "dismissed")).toBe(true);
    expect(s.threats.setStatus("nope", "dismissed")).toBe(false);
    expect(s.threats.list({ activeOnly: true }).map((t) => t.id)).toEqual(["t-1"]);
    expect(s.threats.list({ limit: 1 })).toHaveLength(1);
  });

  test("capture sessions record start and end", () => {
    const s = openStorage(":memory:");
    const id = s.sessions.begin("file", "/tmp/x.pcap", null, 100);
    s.sessions.end(id, { stoppedAt: 200, packets: 5, bytes: 500, dropped: 0 });
    expect(s.sessions.list()).toEqual([
      { id, kind: "file", source: "/tmp/x.pcap", filter: null, startedAt: 100, stoppedAt: 200, packets: 5, bytes: 500, dropped: 0, error: null },
    ]);
  });
});

describe("reader page cache", () => {
  test("a repeated page is answered again until any connection writes; the list is the caller's own", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ni-pages-"));
    const s = openStorage(path.join(dir, "t.db"));
    const r = openReader(path.join(dir, "t.db"));
    try {
      s.flows.upsertMany([flow(1), flow(2), flow(3)]);
      const first = r.flows.query({ limit: 2 });
      expect(first.map((f) => f.id)).toEqual(["3", "2"]);
      first.pop();
      expect(r.flows.query({ limit: 2 }).map((f) => f.id)).toEqual(["3", "2"]);
      expect(r.flows.query({ limit: 2, offset: 1 }).map((f) => f.id)).toEqual(["2", "1"]);
      // The writer's connection commits: the reader sees it on the next query.
      const version = r.flows.version();
      expect(r.flows.version()).toBe(version);
      s.flows.upsert(flow(4));
      expect(r.flows.version()).not.toBe(version);
      expect(s.flows.version()).toBeNull(); // no page cache there
      expect(r.flows.query({ limit: 2 }).map((f) => f.id)).toEqual(["4", "3"]);
      s.flows.upsert(flow(4, { bytesSent: 5 }));
      expect(r.flows.query({ limit: 2 })[0].bytesSent).toBe(5);
      // A connection reading what it writes itself sees its own writes too.
      const own = openStorage(":memory:");
      const cached = new StoredFlows(own.db, { pageCache: true });
      cached.upsert(flow(7));
      expect(cached.query({ limit: 5 }).map((f) => f.id)).toEqual(["7"]);
      const before = cached.version();
      cached.upsert(flow(8));
      expect(cached.version()).not.toBe(before);
      expect(cached.query({ limit: 5 }).map((f) => f.id)).toEqual(["8", "7"]);
      own.close();
    } finally {
      r.close();
      s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("StorageWriter", () => {
  test("queues the latest version and writes in chunked transactions", async () => {
    const s = openStorage(":memory:");
    const w = new StorageWriter(s);
    const n = CHUNK_ROWS * 2 + 17;
    for (let i = 1; i <= n; i++) w.flow(flow(i, { status: "active" }));
    w.flow(flow(5, { packetsSent: 777 }));
    w.device(device);
    w.threat(threat);
    expect(w.pending).toBe(n + 2);
    expect(s.flows.count()).toBe(0); // nothing written before a flush
    expect(w.pendingFlow("5")!.packetsSent).toBe(777);
    const info = await w.flush();
    expect(info).toMatchObject({ rows: n + 2, error: null });
    expect(w.pending).toBe(0);
    expect(s.flows.count()).toBe(n);
    expect(s.flows.get("5")!.packetsSent).toBe(777);
    expect(s.devices.get(device.id)).toEqual(device);
    expect(s.threats.get(threat.id)).toEqual(threat);
    expect(s.meta.get("next_flow_id")).toBe(String(n + 1));
  });

  test("a failed write keeps the queue for the next flush", () => {
    const s = openStorage(":memory:");
    const w = new StorageWriter(s);
    w.flow(flow(1));
    s.db.exec("CREATE TRIGGER no_writes BEFORE INSERT ON flows BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(w.flushSync().error).toContain("disk full");
    expect(w.pending).toBe(1);
    s.db.exec("DROP TRIGGER no_writes");
    expect(w.flushSync()).toMatchObject({ rows: 1, error: null });
    expect(s.flows.get("1")).toEqual(flow(1));
  });
});

describe("StorageWriter on a writer thread", () => {
  test("commits on the thread's connection, keeps rows queued until committed, and a failed write keeps them", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ni-wt-"));
    const file = path.join(dir, "t.db");
    const s = openStorage(file);
    const sink = await ThreadSink.open(file);
    try {
      const w = new StorageWriter(s, { sink });
      const n = CHUNK_ROWS * 3 + 5;
      for (let i = 1; i <= n; i++) w.flow(flow(i, { hostname: i % 2 ? null : `h${i}.example` }));
      w.device(device);
      w.threat(threat);
      const flushing = w.flush();
      // In flight: nothing leaves the queue before the thread has committed it.
      expect(w.pending).toBe(n + 2);
      expect(await flushing).toMatchObject({ rows: n + 2, error: null });
      expect(w.pending).toBe(0);
      expect(s.flows.count()).toBe(n);
      expect(s.flows.get("2")).toEqual(flow(2, { hostname: "h2.example" }));
      expect(s.flows.get("3")).toEqual(flow(3, { hostname: null }));
      expect(s.devices.get(device.id)).toEqual(device);
      expect(s.threats.get(threat.id)).toEqual(threat);
      expect(s.meta.get("next_flow_id")).toBe(String(n + 1));

      s.db.exec("CREATE TRIGGER no_writes BEFORE INSERT ON flows BEGIN SELECT RAISE(ABORT, 'disk full'); END");
      w.flow(flow(n + 1));
      expect((await w.flush()).error).toContain("disk full");
      expect(w.pending).toBe(1);
      s.db.exec("DROP TRIGGER no_writes");
      expect(await w.drain()).toMatchObject({ rows: 1, error: null });
      expect(s.flows.count()).toBe(n + 1);
      expect(() => w.flushSync()).toThrow(/drain/);
    } finally {
      await sink.close();
      s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a writer thread that is gone fails writes (kept queued) instead of hanging", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ni-wt-"));
    const file = path.join(dir, "t.db");
    const s = openStorage(file);
    const sink = await ThreadSink.open(file);
    try {
      await sink.close();
      const w = new StorageWriter(s, { sink });
      w.flow(flow(1));
      expect((await w.flush()).error).toMatch(/writer thread stopped/);
      expect(w.pending).toBe(1);
    } finally {
      s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("retention", () => {
  test("age pruning goes in steps of STEP_ROWS and keeps recent and active rows", () => {
    const s = openStorage(":memory:");
    const now = 1_800_000_000;
    const old = now - 40 * 86400;
    s.flows.upsertMany(Array.from({ length: STEP_ROWS + 10 }, (_, i) => flow(i + 1, { lastSeen: old })));
    s.flows.upsertMany([flow(100_000, { lastSeen: now }), flow(100_001, { lastSeen: old, status: "active" })]);
    s.threats.upsertMany([{ ...threat, lastSeen: old }]);
    const policy = { retentionDays: 30, maxDbBytes: 2 ** 40 };
    const first = retentionStep(s, policy, now);
    expect(first.deletedByAge).toBeGreaterThanOrEqual(STEP_ROWS);
    expect(first.more).toBe(true);
    const second = retentionStep(s, policy, now);
    expect(second.more).toBe(false);
    expect(s.flows.count()).toBe(2);
    expect(s.flows.get("100000")).toBeDefined();
    expect(s.threats.list()).toHaveLength(0);
  });

  test("size pruning removes the oldest flows until under the cap", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ni-ret-"));
    try {
      const s = openStorage(path.join(dir, "t.db"));
      s.flows.upsertMany(Array.from({ length: 20_000 }, (_, i) => flow(i + 1, { lastSeen: 1_800_000_000 })));
      const before = usedBytes(s);
      const policy = { retentionDays: 30, maxDbBytes: Math.floor(before / 2) };
      let steps = 0;
      while (retentionStep(s, policy, 1_800_000_000).more && steps < 100) steps++;
      expect(usedBytes(s)).toBeLessThanOrEqual(policy.maxDbBytes);
      expect(s.flows.count()).toBeGreaterThan(0);
      expect(s.flows.get("1")).toBeUndefined(); // oldest gone
      expect(s.flows.get("20000")).toBeDefined(); // newest kept
      s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("restart", () => {
  test("history and the flow id counter survive closing and reopening", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ni-restart-"));
    try {
      const file = path.join(dir, "h.db");
      const s1 = openStorage(file);
      const w = new StorageWriter(s1);
      w.flow(flow(41));
      w.flow(flow(42, { status: "active" }));
      w.device(device);
      w.threat(threat);
      await w.flush();
      s1.close();
      const s2 = openStorage(file);
      expect(nextFlowId(s2)).toBe(43);
      expect(s2.flows.closeOrphans()).toBe(1);
      expect(s2.flows.query({ limit: 10 }).map((f) => f.id)).toEqual(["42", "41"]);
      expect(s2.devices.list()).toEqual([device]);
      expect(s2.threats.list()).toEqual([threat]);
      s2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("file mode", () => {
  test("the database and its WAL are created 0600 whatever the umask; an existing 0644 one is narrowed", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ni-mode-"));
    const umask = process.umask(0o022);
    try {
      const file = path.join(dir, "private.db");
      const db = openDatabase(file);
      db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
      db.close();
      const old = path.join(dir, "old.db");
      writeFileSync(old, "", { mode: 0o644 });
      chmodSync(old, 0o644);
      openDatabase(old).close();
      expect(statSync(old).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(umask);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("flush on schedule", () => {
  test("a flush under rows that never stop arriving ends, commits what was queued at its start and records lastFlush", async () => {
    const s = openStorage(":memory:");
    const w = new StorageWriter(s);
    // More than one turn of back-to-back chunks (WRITE_TURN_MS) can write: the flush has to yield.
    const queued = 20_000;
    for (let i = 1; i <= queued; i++) w.flow(flow(i));
    let next = queued + 1;
    let feeding = true;
    // Faster than the writer: 300 new rows per turn of the event loop against its 250 per chunk.
    const feed = () => {
      if (!feeding) return;
      for (let k = 0; k < 300; k++) w.flow(flow(next++));
      setImmediate(feed);
    };
    feed();
    const info = await w.flush();
    feeding = false;
    expect(info.error).toBeNull();
    expect(info.rows).toBeGreaterThanOrEqual(queued);
    expect(w.lastFlush).toBe(info);
    expect(w.pending).toBeGreaterThan(0); // the queue never emptied, and the flush ended anyway
    expect(s.flows.count()).toBe(info.rows);
    s.close();
  });
});
