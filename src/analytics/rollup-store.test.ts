import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { MAX_KEYS_PER_ROLLED_BUCKET, OTHER_KEY, type RollupRow, RollupStore } from "./rollup-store.ts";
import { ANALYTICS_MIGRATIONS, DAY, ensureAnalyticsSchema, HOUR, MINUTE } from "./schema.ts";

const DAY0 = 1_700_006_400; // a UTC midnight (divisible by 86400)

function minuteRow(bucket: number, key: string, bytes: number): RollupRow {
  return { dim: "app", bucket, resolution: MINUTE, key, label: "video", bytesOut: bytes, bytesIn: 2 * bytes, packetsOut: 1, packetsIn: 2, flows: 1 };
}
function rows(db: Database, resolution: number) {
  return db.query("SELECT bucket, key, bytes_out AS bytesOut, bytes_in AS bytesIn, flows FROM traffic_rollups WHERE resolution = ? ORDER BY bucket, key").all(resolution) as
    { bucket: number; key: string; bytesOut: number; bytesIn: number; flows: number }[];
}

describe("schema", () => {
  test("ensureAnalyticsSchema is idempotent and leaves user_version alone", () => {
    const db = new Database(":memory:");
    ensureAnalyticsSchema(db);
    ensureAnalyticsSchema(db);
    expect((db.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(0);
    expect(db.query("SELECT count(*) AS n FROM analytics_schema").get()).toEqual({ n: ANALYTICS_MIGRATIONS.length });
  });

  test("migrations run by another runner first are not an error for ensureAnalyticsSchema", () => {
    const db = new Database(":memory:");
    for (const m of ANALYTICS_MIGRATIONS) db.exec(m.sql);
    ensureAnalyticsSchema(db);
    expect(ANALYTICS_MIGRATIONS.every((m) => m.version >= 100)).toBe(true);
  });
});

describe("RollupStore.compact", () => {
  test("minutes older than a day become hours, summed; younger minutes stay", () => {
    const db = new Database(":memory:");
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
    const db = new Database(":memory:");
    const store = new RollupStore(db);
    const now = DAY0 + 3 * DAY;
    store.put([minuteRow(DAY0 + HOUR, "Netflix", 10)]);
    store.compact(now);
    store.put([minuteRow(DAY0 + HOUR + 30 * MINUTE, "Netflix", 4)]);
    store.compact(now);
    expect(rows(db, HOUR)).toEqual([{ bucket: DAY0 + HOUR, key: "Netflix", bytesOut: 14, bytesIn: 28, flows: 2 }]);
  });

  test("hours older than a month become days; days past retention are deleted", () => {
    const db = new Database(":memory:");
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
    const db = new Database(":memory:");
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
