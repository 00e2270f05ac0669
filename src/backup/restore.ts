/**
 * `netinsight restore FILE`: puts a backup in place of the database, after checking the backup
 * (full integrity check, a NetInsight database) and that nothing holds the database open. The
 * database it replaces is kept beside it as `<db>.before-restore-<time>`.
 */
import { Database } from "bun:sqlite";
import { chownSync, copyFileSync, existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { backupName, checkDatabaseFile } from "./backup.ts";

export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RestoreError";
  }
}

/** Tables every NetInsight database has since its first migration. */
const REQUIRED_TABLES = ["meta", "flows", "devices", "threats"];

export function checkBackup(file: string): void {
  if (!existsSync(file) || !statSync(file).isFile()) throw new RestoreError(`${file}: no such file`);
  let check: string;
  try {
    check = checkDatabaseFile(file, true);
  } catch (e) {
    throw new RestoreError(`${file} is not a readable SQLite database: ${(e as Error).message}`);
  }
  if (check !== "ok") throw new RestoreError(`${file} fails the integrity check: ${check}`);
  const db = new Database(file, { readonly: true });
  try {
    const tables = new Set(db.query("SELECT name FROM sqlite_master WHERE type = 'table'").values().map((r) => String(r[0])));
    const lacking = REQUIRED_TABLES.filter((t) => !tables.has(t));
    if (lacking.length) throw new RestoreError(`${file} is not a NetInsight database (no ${lacking.join(", ")} table)`);
  } finally {
    db.close();
  }
}

/** Who has the database (or its WAL) open: "process 123 (netinsight)", or null. Reads /proc. */
export function openedBy(databasePath: string): string | null {
  if (!existsSync(databasePath)) return null;
  const real = realpathSync(databasePath);
  const targets = new Set([real, `${real}-wal`, `${real}-shm`]);
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's (restore runs as root to see every process)
    }
    for (const fd of fds) {
      let target = "";
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (targets.has(target)) {
        let comm = "?";
        try {
          comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
        } catch {
          // gone meanwhile
        }
        return `process ${pid} (${comm})`;
      }
    }
  }
  return null;
}

/**
 * Whether any other connection has the database open: leaving WAL mode needs every other
 * connection gone. Also checkpoints the WAL into the file we are about to set aside.
 */
function holdsOtherConnections(databasePath: string): boolean {
  const db = new Database(databasePath);
  try {
    db.run("PRAGMA busy_timeout = 0");
    const mode = String(Object.values(db.query("PRAGMA journal_mode = DELETE").get() as object)[0]);
    return mode !== "delete";
  } catch {
    return true;
  } finally {
    db.close();
  }
}

export interface RestoreResult {
  /** Where the replaced database went (null when there was none). */
  previous: string | null;
}

export function restoreDatabase(backupFile: string, databasePath: string, now = new Date()): RestoreResult {
  checkBackup(backupFile);
  const inUse = openedBy(databasePath) ?? (existsSync(databasePath) && holdsOtherConnections(databasePath) ? "another connection" : null);
  if (inUse) {
    throw new RestoreError(`${databasePath} is in use by ${inUse}: stop NetInsight first (sudo systemctl stop netinsight), then restore`);
  }
  let previous: string | null = null;
  let owner: { uid: number; gid: number } | null = null;
  if (existsSync(databasePath)) {
    const st = statSync(databasePath);
    owner = { uid: st.uid, gid: st.gid };
    previous = `${databasePath}.before-restore-${backupName(now).slice("netinsight-".length, -".db".length)}`;
    renameSync(databasePath, previous);
  }
  for (const side of ["-wal", "-shm"]) rmSync(`${databasePath}${side}`, { force: true });
  const tmp = `${databasePath}.restoring`;
  copyFileSync(backupFile, tmp);
  if (owner) chownSync(tmp, owner.uid, owner.gid); // the service user keeps owning its database
  renameSync(tmp, databasePath);
  return { previous };
}
