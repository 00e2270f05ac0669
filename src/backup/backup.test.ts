import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../storage/db.ts";
import { backupDatabase, backupName, checkDatabaseFile, listBackups } from "./backup.ts";
import { checkBackup, openedBy, restoreDatabase, RestoreError } from "./restore.ts";

const dir = mkdtempSync(join(tmpdir(), "ni-backup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const count = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.query("SELECT count(*) AS n FROM meta").get() as { n: number }).n;
  } finally {
    db.close();
  }
};

function freshDatabase(name: string, rows: number): { path: string; db: Database } {
  const path = join(dir, name);
  const db = openDatabase(path);
  const insert = db.query("INSERT INTO meta (key, value) VALUES (?, ?)");
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`k${i}`, "x".repeat(100));
  })();
  return { path, db };
}

describe("backups", () => {
  test("a backup is one consistent snapshot taken beside a writer that holds its write lock", () => {
    const { path, db } = freshDatabase("live.db", 1000);
    // The writer is in the middle of a batch (as the capture worker's flush would be).
    db.exec("BEGIN IMMEDIATE");
    db.query("INSERT INTO meta (key, value) VALUES ('uncommitted', 'y')").run();
    const r = backupDatabase(path, join(dir, "bk"), 7, new Date("2026-12-07T01:30:00Z"));
    db.exec("COMMIT"); // the writer was not blocked by the copy, and goes on
    db.query("INSERT INTO meta (key, value) VALUES ('after', 'z')").run();
    expect(r.file).toBe(join(dir, "bk", "netinsight-20261207-013000.db"));
    expect(count(r.file)).toBe(1000); // the snapshot: no half of a batch, nothing later
    expect(count(path)).toBe(1002);
    expect(checkDatabaseFile(r.file, true)).toBe("ok");
    expect(existsSync(`${r.file}.partial`)).toBe(false);
    db.close();
  });

  test("keeps the newest BACKUP_KEEP", () => {
    const { path, db } = freshDatabase("keep.db", 10);
    const out = join(dir, "keep");
    const times = ["2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z", "2026-12-04T00:00:00Z"];
    const results = times.map((t) => backupDatabase(path, out, 2, new Date(t)));
    expect(listBackups(out).map((f) => f.slice(out.length + 1))).toEqual([backupName(new Date(times[2]!)), backupName(new Date(times[3]!))]);
    expect(results.at(-1)!.deleted.map((f) => f.slice(out.length + 1))).toEqual([backupName(new Date(times[1]!))]);
    db.close();
  });
});

describe("restore", () => {
  test("refuses a damaged file, and a SQLite file that is not NetInsight's", () => {
    const { path, db } = freshDatabase("src.db", 2000);
    db.close();
    const bad = join(dir, "damaged.db");
    const bytes = readFileSync(path);
    bytes.fill(0x41, 8192, 16384); // two pages of table data overwritten
    writeFileSync(bad, bytes);
    expect(() => checkBackup(bad)).toThrow(RestoreError);
    expect(() => checkBackup(bad)).toThrow(/fails the integrity check|not a readable SQLite database/);
    const other = join(dir, "other.db");
    new Database(other).exec("CREATE TABLE t (x)");
    expect(() => checkBackup(other)).toThrow(`${other} is not a NetInsight database (no meta, flows, devices, threats table)`);
    expect(() => checkBackup(join(dir, "nothing.db"))).toThrow("no such file");
  });

  test("refuses while another process holds the database; afterwards puts the backup in place and keeps the old one", async () => {
    const { path, db } = freshDatabase("target.db", 5);
    const backup = backupDatabase(path, join(dir, "bk2"), 7).file;
    db.query("INSERT INTO meta (key, value) VALUES ('newer', 'n')").run();
    db.close();
    // A running NetInsight: another process with the database open.
    const holder = Bun.spawn([process.execPath, "-e", `const d = new (require("bun:sqlite").Database)(${JSON.stringify(path)}); d.query("SELECT 1 FROM meta").get(); console.log("open"); setInterval(() => {}, 1000);`], { stdout: "pipe" });
    try {
      await holder.stdout.getReader().read(); // "open"
      const comm = readFileSync(`/proc/${holder.pid}/comm`, "utf8").trim();
      expect(openedBy(path)).toBe(`process ${holder.pid} (${comm})`);
      expect(() => restoreDatabase(backup, path)).toThrow(`${path} is in use by process ${holder.pid} (${comm}): stop NetInsight first (sudo systemctl stop netinsight), then restore`);
      expect(count(path)).toBe(6); // untouched
    } finally {
      holder.kill();
      await holder.exited;
    }
    const r = restoreDatabase(backup, path, new Date("2026-12-07T01:45:00Z"));
    expect(r.previous).toBe(`${path}.before-restore-20261207-014500`);
    expect(count(path)).toBe(5);
    expect(count(r.previous!)).toBe(6);
    expect(checkDatabaseFile(path, true)).toBe("ok");
    // It opens as a NetInsight database again (migrations are up to date).
    openDatabase(path).close();
  });

  test("a connection in this very process counts too", () => {
    const { path, db } = freshDatabase("self.db", 1);
    const backup = backupDatabase(path, join(dir, "bk3"), 7).file;
    expect(() => restoreDatabase(backup, path)).toThrow(`${path} is in use by another connection`);
    db.close();
    expect(restoreDatabase(backup, path).previous).not.toBeNull();
  });

  test("to a database that does not exist yet: nothing to keep", () => {
    const { path, db } = freshDatabase("seed.db", 3);
    db.close();
    const target = join(dir, "new", "..", "fresh.db");
    copyFileSync(path, join(dir, "seed-copy.db"));
    expect(restoreDatabase(join(dir, "seed-copy.db"), target).previous).toBeNull();
    expect(count(target)).toBe(3);
  });
});
