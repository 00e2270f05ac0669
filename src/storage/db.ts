/**
 * Opens the SQLite database (WAL, NORMAL sync, incremental vacuum) and brings its schema up to
 * date with the migrations, each in its own transaction.
 */
import { Database } from "bun:sqlite";
import { chmodSync, closeSync, openSync, statSync } from "node:fs";
import { MIGRATIONS, type Migration } from "./migrations.ts";

/**
 * WAL pages after which a commit checkpoints (SQLite's default is 1000, ~4 MB). Ingest rewrites the
 * same index pages commit after commit: with ~40 MB between checkpoints each page is copied to the
 * database once for many commits (with the writer thread's 8 MB page cache, the writer thread's
 * system time on the bench capture went from 2.9 to 1.1 s).
 */
export const WAL_CHECKPOINT_PAGES = 10_000;
/** Size the WAL file is cut back to after a checkpoint: above the checkpoint size, so it is not cut and regrown every time. */
export const WAL_SIZE_LIMIT_BYTES = 48 * 1024 * 1024;

export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageError";
  }
}

/** The database file's mode: history says who talked to whom, so only its owner reads it. */
export const DATABASE_MODE = 0o600;

/**
 * Creates the file 0600 before SQLite does (SQLite gives its -wal and -shm files the database's
 * mode), and narrows an existing one that others could read.
 */
function privateFile(path: string): void {
  if (path === ":memory:" || path.startsWith("file:")) return;
  try {
    closeSync(openSync(path, "a", DATABASE_MODE));
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, DATABASE_MODE);
  } catch {
    // Not ours to change (another owner, a read-only place): SQLite says what is wrong below.
  }
}

/** Opens (creating if needed) and migrates; `":memory:"` for tests. */
export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): Database {
  let db: Database;
  try {
    privateFile(path);
    db = new Database(path, { create: true, strict: true });
  } catch (err) {
    throw new StorageError(`cannot open database ${path}: ${(err as Error).message}`);
  }
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    // A WAL that grew while checkpoints were starved (a long read, a full disk) shrinks back on its next reset.
    db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    db.exec(`PRAGMA wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    db.exec("PRAGMA foreign_keys = ON");
    migrate(db, migrations);
  } catch (err) {
    db.close();
    if (err instanceof StorageError) throw err;
    throw new StorageError(`cannot prepare database ${path}: ${(err as Error).message}`);
  }
  return db;
}

export function schemaVersion(db: Database): number {
  return (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
}

/** Applies every migration newer than `user_version`, in order. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  let current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new StorageError(`database schema version ${current} is newer than this NetInsight understands (${latest}); upgrade NetInsight`);
  }
  if (current === 0) {
    // Must precede the first table: lets retention hand freed pages back to the file system.
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
    })();
    current = m.version;
  }
  return current;
}
