/**
 * Consistent online copies of the database: `VACUUM INTO` on a read-only connection of its own,
 * which reads one snapshot while the writer goes on (WAL: readers never block the writer, so
 * capture and flushes never wait), then checks the copy and keeps the newest BACKUP_KEEP.
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";

/** netinsight-20261207-013000.db: sorts by time. */
const BACKUP_NAME = /^netinsight-\d{8}-\d{6}\.db$/;

export interface BackupResult {
  file: string;
  bytes: number;
  seconds: number;
  /** Older backups deleted to keep BACKUP_KEEP. */
  deleted: string[];
}

export function backupName(d: Date): string {
  const iso = d.toISOString(); // 2026-12-07T01:30:00.000Z
  return `netinsight-${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}.db`;
}

/** The backups in dir, oldest first. */
export function listBackups(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => BACKUP_NAME.test(f)).sort().map((f) => path.join(dir, f));
}

/** `PRAGMA quick_check` of a database file (read-only); "ok" or the first problems. */
export function checkDatabaseFile(file: string, full = false): string {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.query(full ? "PRAGMA integrity_check" : "PRAGMA quick_check").values().map((r) => String(r[0]));
    return rows.length === 1 && rows[0] === "ok" ? "ok" : rows.slice(0, 5).join("; ");
  } finally {
    db.close();
  }
}

export function backupDatabase(databasePath: string, dir: string, keep: number, now = new Date()): BackupResult {
  const started = performance.now();
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, backupName(now));
  const tmp = `${file}.partial`;
  rmSync(tmp, { force: true });
  const db = new Database(databasePath, { readonly: true });
  try {
    db.run("PRAGMA busy_timeout = 5000");
    db.run("VACUUM INTO ?", [tmp]);
  } finally {
    db.close();
  }
  const check = checkDatabaseFile(tmp);
  if (check !== "ok") {
    rmSync(tmp, { force: true });
    throw new Error(`the copy failed its check: ${check}`);
  }
  renameSync(tmp, file);
  const all = listBackups(dir);
  const deleted = all.slice(0, Math.max(0, all.length - keep));
  for (const f of deleted) rmSync(f, { force: true });
  return { file, bytes: statSync(file).size, seconds: (performance.now() - started) / 1000, deleted };
}
