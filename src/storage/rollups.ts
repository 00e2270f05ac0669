/**
 * Reads and writes rollup rows in bun:sqlite, and ages them: minutes become hours after a day,
 * hours become days after a month, and days go after the retention period. The table comes from
 * the storage migrations (migrations.ts), so the database must have been opened with openDatabase.
 */
import type { Database, Statement } from "bun:sqlite";
import {
  DAY, DEFAULT_ROLLUP_RETENTION, HOUR, MAX_KEYS_PER_ROLLED_BUCKET, MINUTE, OTHER_KEY,
  type RollupCounters, type RollupDim, type RollupRetention, type RollupRow, type RollupSink,
} from "../analytics/model.ts";

/** Every dimension, so range scans use the (dim, bucket, ...) primary key instead of the whole table. */
const DIMS = (["total", "device", "service", "app", "dest"] satisfies RollupDim[]).map((d) => `'${d}'`).join(", ");

export class RollupStore implements RollupSink {
  readonly db: Database;
  readonly #get: Statement;
  readonly #put: Statement;

  constructor(db: Database) {
    this.db = db;
    this.#get = db.query(
      `SELECT bytes_out AS bytesOut, bytes_in AS bytesIn, packets_out AS packetsOut, packets_in AS packetsIn,
              flows, label FROM traffic_rollups WHERE dim = ? AND bucket = ? AND resolution = ? AND key = ?`,
    );
    // Absolute values: writing the same row twice leaves the same row (idempotent flushes).
    this.#put = db.query(
      `INSERT INTO traffic_rollups (dim, bucket, resolution, key, label, bytes_out, bytes_in, packets_out, packets_in, flows)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (dim, bucket, resolution, key) DO UPDATE SET label = coalesce(excluded.label, label),
         bytes_out = excluded.bytes_out, bytes_in = excluded.bytes_in, packets_out = excluded.packets_out,
         packets_in = excluded.packets_in, flows = excluded.flows`,
    );
  }

  get(dim: RollupDim, bucket: number, resolution: number, key: string): (RollupCounters & { label: string | null }) | undefined {
    return (this.#get.get(dim, bucket, resolution, key) as (RollupCounters & { label: string | null }) | null) ?? undefined;
  }

  /** Writes rows as they are (absolute counters), in one transaction. */
  put(rows: Iterable<RollupRow>): void {
    this.db.transaction(() => {
      for (const r of rows) {
        this.#put.run(r.dim, r.bucket, r.resolution, r.key, r.label, r.bytesOut, r.bytesIn, r.packetsOut, r.packetsIn, r.flows);
      }
    })();
  }

  /**
   * Rolls old minutes into hours and old hours into days (summing into any row already there),
   * then deletes what is past retention. Returns the rows moved or deleted.
   */
  compact(now: number, retention: RollupRetention = DEFAULT_ROLLUP_RETENTION): number {
    const minuteCutoff = Math.floor((now - retention.minuteHours * HOUR) / HOUR) * HOUR;
    const hourCutoff = Math.floor((now - retention.hourDays * DAY) / DAY) * DAY;
    const pruneCutoff = Math.floor((now - retention.retentionDays * DAY) / DAY) * DAY;
    let changed = 0;
    this.db.transaction(() => {
      changed += this.#merge(MINUTE, HOUR, minuteCutoff);
      changed += this.#merge(HOUR, DAY, hourCutoff);
      changed += this.db.query(`DELETE FROM traffic_rollups WHERE dim IN (${DIMS}) AND bucket < ?`).run(pruneCutoff).changes;
    })();
    return changed;
  }

  /**
   * Moves rows of resolution `from` with bucket < cutoff into buckets of resolution `to`. Per
   * bucket and dimension only the MAX_KEYS_PER_ROLLED_BUCKET biggest keys stay apart; the tail
   * (mostly one-off destinations) is summed under OTHER_KEY so old history stays small.
   */
  #merge(from: number, to: number, cutoff: number): number {
    this.db.query(
      `INSERT INTO traffic_rollups (dim, bucket, resolution, key, label, bytes_out, bytes_in, packets_out, packets_in, flows)
       SELECT dim, b, ?1, CASE WHEN rank > ?4 THEN ?5 ELSE key END, CASE WHEN rank > ?4 THEN NULL ELSE label END,
              sum(bo), sum(bi), sum(po), sum(pi), sum(fl)
       FROM (
         SELECT dim, (bucket / ?1) * ?1 AS b, key, max(label) AS label, sum(bytes_out) AS bo, sum(bytes_in) AS bi,
                sum(packets_out) AS po, sum(packets_in) AS pi, sum(flows) AS fl,
                row_number() OVER (PARTITION BY dim, (bucket / ?1) * ?1 ORDER BY sum(bytes_out + bytes_in) DESC, key) AS rank
         FROM traffic_rollups WHERE dim IN (${DIMS}) AND bucket < ?3 AND resolution = ?2
         GROUP BY dim, (bucket / ?1) * ?1, key
       ) WHERE true
       GROUP BY dim, b, CASE WHEN rank > ?4 THEN ?5 ELSE key END
       ON CONFLICT (dim, bucket, resolution, key) DO UPDATE SET label = coalesce(excluded.label, label),
         bytes_out = bytes_out + excluded.bytes_out, bytes_in = bytes_in + excluded.bytes_in,
         packets_out = packets_out + excluded.packets_out, packets_in = packets_in + excluded.packets_in,
         flows = flows + excluded.flows`,
    ).run(to, from, cutoff, MAX_KEYS_PER_ROLLED_BUCKET, OTHER_KEY);
    return this.db.query(`DELETE FROM traffic_rollups WHERE dim IN (${DIMS}) AND bucket < ? AND resolution = ?`).run(cutoff, from).changes;
  }
}
