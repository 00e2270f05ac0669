/** The device_edits table: one row per device a user named, typed, annotated or marked known. */
import type { Database, Statement } from "bun:sqlite";
import type { DeviceEdit } from "../devices/edit.ts";
import type { DeviceType } from "../devices/model.ts";

interface EditRow { device_id: string; name: string | null; type: string | null; notes: string | null; known: number; updated_at: number }

const toEdit = (r: EditRow): DeviceEdit => ({
  deviceId: r.device_id, name: r.name, type: r.type as DeviceType | null, notes: r.notes, known: r.known === 1, updatedAt: r.updated_at,
});

export class StoredDeviceEdits {
  readonly #db: Database;
  readonly #put: Statement;

  constructor(db: Database) {
    this.#db = db;
    this.#put = db.query(`INSERT OR REPLACE INTO device_edits (device_id, name, type, notes, known, updated_at) VALUES (?, ?, ?, ?, ?, ?)`);
  }

  put(e: DeviceEdit): void {
    this.#put.run(e.deviceId, e.name, e.type, e.notes, e.known ? 1 : 0, e.updatedAt);
  }

  get(deviceId: string): DeviceEdit | undefined {
    const r = this.#db.query("SELECT * FROM device_edits WHERE device_id = ?").get(deviceId) as EditRow | null;
    return r ? toEdit(r) : undefined;
  }

  all(): DeviceEdit[] {
    return (this.#db.query("SELECT * FROM device_edits").all() as EditRow[]).map(toEdit);
  }

  /** Whether the household marked this device known (the alerts' "new device" check). */
  isKnown(deviceId: string): boolean {
    return this.#db.query("SELECT 1 FROM device_edits WHERE device_id = ? AND known = 1").get(deviceId) !== null;
  }
}
