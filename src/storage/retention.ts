/**
 * Retention: deletes history older than RETENTION_DAYS and, while the database is larger than
 * MAX_DB_MB, the oldest flows. Each step deletes at most STEP_ROWS rows so capture never stalls.
 */
import type { Storage } from "./index.ts";

/** Rows per pruning step: ~40 ms on a table of 1 M flows with its five indexes (5000 took ~100 ms). */
export const STEP_ROWS = 2000;
/** Freed pages handed back to the file system per step (4 KiB pages: 16 MiB). */
export const VACUUM_PAGES = 4096;

export interface RetentionPolicy {
  retentionDays: number;
  maxDbBytes: number;
}

export interface RetentionStep {
  deletedByAge: number;
  deletedBySize: number;
  /** More work is left: call again (after yielding). */
  more: boolean;
}

/** Bytes the database's live pages take (free pages excluded: they are reused before the file grows). */
export function usedBytes(storage: Storage): number {
  const db = storage.db;
  const pages = (db.query("PRAGMA page_count").get() as { page_count: number }).page_count;
  const free = (db.query("PRAGMA freelist_count").get() as { freelist_count: number }).freelist_count;
  const size = (db.query("PRAGMA page_size").get() as { page_size: number }).page_size;
  return (pages - free) * size;
}

/** One small pruning step at time `now` (epoch seconds). */
export function retentionStep(storage: Storage, policy: RetentionPolicy, now: number): RetentionStep {
  const db = storage.db;
  const cutoff = now - policy.retentionDays * 86400;
  let deletedByAge = 0;
  let deletedBySize = 0;
  db.transaction(() => {
    deletedByAge = db.query(
      "DELETE FROM flows WHERE id IN (SELECT id FROM flows WHERE last_seen < ? AND status = 'closed' ORDER BY last_seen LIMIT ?)",
    ).run(cutoff, STEP_ROWS).changes;
    deletedByAge += db.query(
      "DELETE FROM threats WHERE id IN (SELECT id FROM threats WHERE last_seen < ? LIMIT ?)",
    ).run(cutoff, STEP_ROWS).changes;
    deletedByAge += db.query("DELETE FROM devices WHERE last_seen < ?").run(cutoff).changes;
    deletedByAge += db.query("DELETE FROM capture_sessions WHERE coalesce(stopped_at, started_at) < ? AND stopped_at IS NOT NULL").run(cutoff).changes;
  })();
  if (deletedByAge < STEP_ROWS && usedBytes(storage) > policy.maxDbBytes) {
    // Oldest flows first: ids grow with start time, so the primary key gives them cheaply.
    deletedBySize = db.query(
      "DELETE FROM flows WHERE id IN (SELECT id FROM flows WHERE status = 'closed' ORDER BY id LIMIT ?)",
    ).run(STEP_ROWS).changes;
  }
  // Stepped to completion: the pragma frees pages as it is stepped.
  if (deletedByAge + deletedBySize > 0) db.query(`PRAGMA incremental_vacuum(${VACUUM_PAGES})`).all();
  const more = deletedByAge >= STEP_ROWS || (deletedBySize > 0 && usedBytes(storage) > policy.maxDbBytes);
  return { deletedByAge, deletedBySize, more };
}
