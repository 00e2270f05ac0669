/** The storage facade: one database and its tables, opened and migrated together. */
import { Database } from "bun:sqlite";
import { openDatabase } from "./db.ts";
import { StoredDeviceEdits } from "./device-edits.ts";
import { DeviceTraffic } from "./device-traffic.ts";
import { StoredDevices } from "./devices.ts";
import { StoredFlows } from "./flows.ts";
import { CaptureSessions, Meta } from "./sessions.ts";
import { StoredDismissals } from "./threat-dismissals.ts";
import { StoredThreats } from "./threats.ts";

export interface Storage {
  readonly db: Database;
  readonly path: string;
  readonly flows: StoredFlows;
  readonly devices: StoredDevices;
  readonly threats: StoredThreats;
  readonly sessions: CaptureSessions;
  readonly meta: Meta;
  /** What users said about devices (names, types, notes, known). */
  readonly deviceEdits: StoredDeviceEdits;
  /** Who dismissed which threat when. */
  readonly dismissals: StoredDismissals;
  /** One device's applications, destinations and timeline. */
  readonly deviceTraffic: DeviceTraffic;
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
    deviceEdits: new StoredDeviceEdits(db),
    dismissals: new StoredDismissals(db),
    deviceTraffic: new DeviceTraffic(db),
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

/** A second, read-only connection to a database another connection writes (WAL lets them run side by side). */
export interface StorageReader {
  readonly flows: StoredFlows;
  close(): void;
}

export function openReader(path: string): StorageReader {
  const db = new Database(path, { readonly: true });
  db.exec("PRAGMA busy_timeout = 5000");
  // The HTTP thread's reader: many clients polling the same page get it from the page cache.
  return { flows: new StoredFlows(db, { pageCache: true }), close: () => db.close() };
}

/** The flow id to give the next flow: continues after everything stored. */
export function nextFlowId(storage: Storage): number {
  const fromMeta = Number(storage.meta.get("next_flow_id") ?? 0);
  return Math.max(Number.isFinite(fromMeta) ? fromMeta : 0, storage.flows.maxId() + 1, 1);
}
