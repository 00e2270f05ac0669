/**
 * Scheduled backups for `serve`: every BACKUP_HOURS into BACKUP_DIR, keeping BACKUP_KEEP. The first
 * one soon after start when the newest backup is older than the interval (or there is none). Each
 * runs in a short-lived worker thread, so neither the API nor capture waits for the copy.
 */
import { statSync } from "node:fs";
import type { Logger } from "../service/logger.ts";
import { backupDatabase, listBackups, type BackupResult } from "./backup.ts";

export interface BackupScheduleOptions {
  databasePath: string;
  dir: string;
  keep: number;
  hours: number;
  log: Logger;
  /** Delay of a due first backup, so start-up (migrations, capture) goes first. */
  firstDelayMs?: number;
}

export interface BackupSchedule {
  /** Runs one backup now (also what the timer calls). */
  runNow(): Promise<BackupResult>;
  stop(): void;
}

function inWorker(o: { databasePath: string; dir: string; keep: number }): Promise<BackupResult> {
  let worker: Worker;
  try {
    worker = new Worker(new URL("./backup-worker.ts", import.meta.url).href);
  } catch {
    return Promise.resolve().then(() => backupDatabase(o.databasePath, o.dir, o.keep));
  }
  return new Promise<BackupResult>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<{ ok: boolean; result?: BackupResult; error?: string }>) => {
      worker.terminate();
      if (e.data.ok) resolve(e.data.result!);
      else reject(new Error(e.data.error));
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(e.message));
    };
    worker.postMessage({ databasePath: o.databasePath, dir: o.dir, keep: o.keep });
  });
}

export function startBackups(o: BackupScheduleOptions): BackupSchedule {
  const intervalMs = o.hours * 3600_000;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<BackupResult> | null = null;
  let stopped = false;

  const runNow = (): Promise<BackupResult> => {
    running ??= inWorker(o).then(
      (r) => {
        running = null;
        const mb = (r.bytes / 1e6).toFixed(1);
        o.log.info(`backup: ${r.file} (${mb} MB, ${r.seconds.toFixed(1)} s)${r.deleted.length ? `; deleted ${r.deleted.length} older (BACKUP_KEEP=${o.keep})` : ""}`);
        return r;
      },
      (err: Error) => {
        running = null;
        o.log.error(`backup into ${o.dir} failed: ${err.message}`);
        throw err;
      },
    );
    return running;
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      runNow().catch(() => {}).finally(() => schedule(intervalMs));
    }, ms);
    (timer as { unref?: () => void }).unref?.();
  };
  const newest = listBackups(o.dir).at(-1);
  const age = newest ? Date.now() - statSync(newest).mtimeMs : Infinity;
  schedule(age >= intervalMs ? (o.firstDelayMs ?? 5_000) : intervalMs - age);
  o.log.info(`backups: every ${o.hours} h into ${o.dir}, keeping ${o.keep}${newest ? ` (newest: ${newest})` : ""}`);
  return {
    runNow,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
