/** The storage facade: one database and its tables, opened and migrated together. */
import type { Database } from "bun:sqlite";
import { openDatabase } from "./db.ts";
import { StoredDevices } from "./devices.ts";
import { StoredFlows } from "./flows.ts";
import { CaptureSessions, Meta } from "./sessions.ts";
import { StoredThreats } from "./threats.ts";

export interface Storage {
  readonly db: Database;
  readonly path: string;
  readonly flows: StoredFlows;
  readonly devices: StoredDevices;
  readonly threats: StoredThreats;
  readonly sessions: CaptureSessions;
  readonly meta: Meta;
  close(): void;
}

export function openStorage(path: string): Storage {
  const db = openDatabase(path);
  return {
    db,
    path,
    flows: new StoredFlows(db),
    devices: new StoredDevices(db),
    threats: new StoredThreats(db),
    sessions: new CaptureSessions(db),
    meta: new Meta(db),
    close() {
      try {
        db.exec("PRAGMA optimize");
      } catch {
        // best effort on the way out
      }
      db.close();
    },
  };
}

/** The flow id to give the next flow: continues after everything stored. */
export function nextFlowId(storage: Storage): number {
  const fromMeta = Number(storage.meta.get("next_flow_id") ?? 0);
  return Math.max(Number.isFinite(fromMeta) ? fromMeta : 0, storage.flows.maxId() + 1, 1);
}
