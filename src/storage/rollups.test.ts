import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { DAY, HOUR, MAX_KEYS_PER_ROLLED_BUCKET, MINUTE, OTHER_KEY, type RollupRow } from "../analytics/model.ts";
import { migrate, openDatabase, schemaVersion } from "./db.ts";
import { MIGRATIONS } from "./migrations.ts";
import { RollupStore } from "./rollups.ts";

const DAY0 = 1_700_006_400; // a UTC midnight (divisible by 86400)

function minuteRow(bucket: number, key: string, bytes: number): RollupRow {
  return { dim: "app", bucket, resolution: MINUTE, key, label: "video", bytesOut: bytes, bytesIn: 2 * bytes, packetsOut: 1, packetsIn: 2, flows: 1 };
}
function rows(db: Database, resolution: number) {
  return db.query("SELECT bucket, key, bytes_out AS bytesOut, bytes_in AS bytesIn, flows FROM traffic_rollups WHERE resolution = ? ORDER BY bucket, key").all(resolution) as
    { bucket: number; key: string; bytesOut: number; bytesIn: number; flows: number }[];
}

describe("schema", () => {
  test("the rollup table is part of the one migration sequence", () => {
    const db = openDatabase(":memory:");
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.query("SELECT name FROM sqlite_master WHERE name IN ('traffic_rollups', 'analytics_schema')").all()).toEqual([{ name: "traffic_rollups" }]);
  });

  test("a database whose rollups the old analytics runner created opens with its rows, without that runner's table", () => {
    const db = new Database(":memory:");
    migrate(db, MIGRATIONS.filter((m) => m.version <= 2));
    // What src/analytics/schema.ts used to do beside the storage migrations.
    db.exec(`CREATE TABLE analytics_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT;
      INSERT INTO analytics_schema VALUES (100, 'traffic rollups');
      CREATE TABLE traffic_rollups (dim TEXT NOT NULL, bucket INTEGER NOT NULL, resolution INTEGER NOT NULL, key TEXT NOT NULL,
        label TEXT, bytes_out INTEGER NOT NULL, bytes_in INTEGER NOT NULL, packets_out INTEGER NOT NULL, packets_in INTEGER NOT NULL,
        flows INTEGER NOT NULL, PRIMARY KEY (dim, bucket, resolution, key)) STRICT, WITHOUT ROWID;`);
    new RollupStore(db).put([minuteRow(DAY0, "YouTube", 10)]);
    migrate(db);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(rows(db, MINUTE)).toEqual([{ bucket: DAY0, key: "YouTube", bytesOut: 10, bytesIn: 20, flows: 1 }]);
    expect(db.query("SELECT 1 FROM sqlite_master WHERE name = 'analytics_schema'").get()).toBeNull();
  });
});

describe("RollupStore.compact", () => {
  test("minutes older than a day become hours, summed; younger minutes stay", () => {
    const db = openDatabase(":memory:");
    const store = new RollupStore(db);
    const now = DAY0 + 2 * DAY + 30 * MINUTE;
    store.put([
      minuteRow(DAY0 + 5 * HOUR, "YouTube", 10),
      minuteRow(DAY0 + 5 * HOUR + 59 * MINUTE, "YouTube", 5), // last minute of the same hour
      minuteRow(DAY0 + 6 * HOUR, "YouTube", 1), // next hour
      minuteRow(now - 10 * MINUTE, "YouTube", 7), // recent: stays a minute row
    ]);
    store.compact(now);
    expect(rows(db, HOUR)).toEqual([
      { bucket: DAY0 + 5 * HOUR, key: "YouTube", bytesOut: 15, bytesIn: 30, flows: 2 },
      { bucket: DAY0 + 6 * HOUR, key: "YouTube", bytesOut: 1, bytesIn: 2, flows: 1 },
    ]);
    expect(rows(db, MINUTE)).toEqual([{ bucket: now - 10 * MINUTE, key: "YouTube", bytesOut: 7, bytesIn: 14, flows: 1 }]);
    store.compact(now); // again: nothing moves twice
    expect(rows(db, HOUR)[0].bytesOut).toBe(15);
  });

  test("a late minute row for an hour already rolled up is added to that hour", () => {
    const db = openDatabase(":memory:");
    const store = new RollupStore(db);
    const now = DAY0 + 3 * DAY;
    store.put([minuteRow(DAY0 + HOUR, "Netflix", 10)]);
    store.compact(now);
    store.put([minuteRow(DAY0 + HOUR + 30 * MINUTE, "Netflix", 4)]);
    store.compact(now);
    expect(rows(db, HOUR)).toEqual([{ bucket: DAY0 + HOUR, key: "Netflix", bytesOut: 14, bytesIn: 28, flows: 2 }]);
  });

  test("hours older than a month become days; days past retention are deleted", () => {
    const db = openDatabase(":memory:");
    const store = new RollupStore(db);
    const now = DAY0 + 40 * DAY;
    store.put([
      { ...minuteRow(DAY0 + 1 * HOUR, "Steam", 3), resolution: HOUR },
      { ...minuteRow(DAY0 + 23 * HOUR, "Steam", 4), resolution: HOUR },
      { ...minuteRow(DAY0 + 20 * DAY, "Steam", 9), resolution: HOUR }, // younger than 30 days
    ]);
    store.compact(now);
    expect(rows(db, DAY)).toEqual([{ bucket: DAY0, key: "Steam", bytesOut: 7, bytesIn: 14, flows: 2 }]);
    expect(rows(db, HOUR).map((r) => r.bucket)).toEqual([DAY0 + 20 * DAY]);
    store.compact(now, { minuteHours: 24, hourDays: 30, retentionDays: 35 });
    expect(rows(db, DAY)).toEqual([]);
    expect(rows(db, HOUR).length).toBe(1);
  });

  test("an hour keeps its biggest keys apart and sums the tail under one key", () => {
    const db = openDatabase(":memory:");
    const store = new RollupStore(db);
    const extra = 50;
    const rowsIn: RollupRow[] = [];
    for (let i = 0; i < MAX_KEYS_PER_ROLLED_BUCKET + extra; i++) {
      // Key i has i + 1 bytes, spread over two minutes of the same hour.
      rowsIn.push({ ...minuteRow(DAY0 + MINUTE, `host${i}`, i + 1), dim: "dest", bytesIn: 0 });
      rowsIn.push({ ...minuteRow(DAY0 + 2 * MINUTE, `host${i}`, 0), dim: "dest", bytesIn: 0 });
    }
    store.put(rowsIn);
    store.compact(DAY0 + 3 * DAY);
    const hour = rows(db, HOUR);
    expect(hour.length).toBe(MAX_KEYS_PER_ROLLED_BUCKET + 1);
    const other = hour.find((r) => r.key === OTHER_KEY);
    // The smallest `extra` keys (1..extra bytes) are the tail.
    expect(other).toMatchObject({ bytesOut: (extra * (extra + 1)) / 2, flows: 2 * extra });
    expect(hour.find((r) => r.key === `host${extra - 1}`)).toBeUndefined();
    expect(hour.find((r) => r.key === `host${extra}`)?.bytesOut).toBe(extra + 1);
    const sum = hour.reduce((a, r) => a + r.bytesOut, 0);
    expect(sum).toBe(((MAX_KEYS_PER_ROLLED_BUCKET + extra) * (MAX_KEYS_PER_ROLLED_BUCKET + extra + 1)) / 2);
  });
});
