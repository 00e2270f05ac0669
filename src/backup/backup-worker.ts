/** Runs one backup off the API thread (schedule.ts): { databasePath, dir, keep } in, BackupResult or { error } out. */
import { backupDatabase } from "./backup.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent<{ databasePath: string; dir: string; keep: number }>) => {
  try {
    self.postMessage({ ok: true, result: backupDatabase(e.data.databasePath, e.data.dir, e.data.keep) });
  } catch (err) {
    self.postMessage({ ok: false, error: (err as Error).message });
  }
};
