/**
 * Tables of the traffic rollups. Versions 100+ so they can join the storage migration list; the
 * SQL is idempotent and `ensureAnalyticsSchema` applies it standalone without touching user_version.
 */
import type { Database } from "bun:sqlite";

export interface AnalyticsMigration { version: number; name: string; sql: string }

/** Bucket lengths in seconds. */
export const MINUTE = 60;
export const HOUR = 3600;
export const DAY = 86400;

/** What a rollup row is keyed by, besides its time bucket. */
export type RollupDim = "total" | "device" | "service" | "app" | "dest";

export const ANALYTICS_MIGRATIONS: AnalyticsMigration[] = [
  {
    version: 100,
    name: "traffic rollups",
    // One table for all resolutions: a window query reads minutes, hours and days alike, and a
    // roll-up moves rows between resolutions (sums, then deletes) so nothing is counted twice.
    // `out` is initiator -> responder, or for a device: what the device sent. No second index:
    // windows read by (dim, bucket); the hourly roll-up scans once, and an index would cost 60%
    // more bytes per row.
    sql: `
      CREATE TABLE IF NOT EXISTS traffic_rollups (
        dim TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        resolution INTEGER NOT NULL,
        key TEXT NOT NULL,
        label TEXT,
        bytes_out INTEGER NOT NULL,
        bytes_in INTEGER NOT NULL,
        packets_out INTEGER NOT NULL,
        packets_in INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        PRIMARY KEY (dim, bucket, resolution, key)
      ) STRICT, WITHOUT ROWID;
    `,
  },
];

/** Applies the analytics migrations not yet recorded in `analytics_schema`; safe to call often. */
export function ensureAnalyticsSchema(db: Database): void {
  db.exec("CREATE TABLE IF NOT EXISTS analytics_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT");
  const applied = new Set(
    (db.query("SELECT version FROM analytics_schema").all() as { version: number }[]).map((r) => r.version),
  );
  for (const m of ANALYTICS_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.query("INSERT INTO analytics_schema (version, name) VALUES (?, ?)").run(m.version, m.name);
    })();
  }
}
