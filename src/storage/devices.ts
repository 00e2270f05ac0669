/** The devices table: one row per device, lists and labels as JSON columns. */
import type { Database, Statement } from "bun:sqlite";
import type { Device } from "../devices/model.ts";

interface DeviceRow {
  id: string; mac: string; macs: string; ips: string; vendor: string; hostname: string | null; name: string;
  type: string; os: string; is_randomized_mac: number; is_gateway: number; first_seen: number; last_seen: number;
  packets_sent: number; bytes_sent: number; packets_received: number; bytes_received: number;
  flow_count: number; evidence: string;
}

function toDevice(r: DeviceRow): Device {
  return {
    id: r.id, mac: r.mac, macs: JSON.parse(r.macs), ips: JSON.parse(r.ips), vendor: JSON.parse(r.vendor),
    hostname: r.hostname, name: JSON.parse(r.name), type: JSON.parse(r.type), os: JSON.parse(r.os),
    isRandomizedMac: r.is_randomized_mac === 1, isGateway: r.is_gateway === 1, firstSeen: r.first_seen,
    lastSeen: r.last_seen, packetsSent: r.packets_sent, bytesSent: r.bytes_sent,
    packetsReceived: r.packets_received, bytesReceived: r.bytes_received, flowCount: r.flow_count,
    evidence: JSON.parse(r.evidence),
  };
}

export class StoredDevices {
  readonly #db: Database;
  readonly #upsert: Statement;

  constructor(db: Database) {
    this.#db = db;
    this.#upsert = db.query(`INSERT OR REPLACE INTO devices (id, mac, macs, ips, vendor, hostname, name, type, os,
      is_randomized_mac, is_gateway, first_seen, last_seen, packets_sent, bytes_sent, packets_received,
      bytes_received, flow_count, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  upsert(d: Device): void {
    this.#upsert.run(
      d.id, d.mac, JSON.stringify(d.macs), JSON.stringify(d.ips), JSON.stringify(d.vendor), d.hostname,
      JSON.stringify(d.name), JSON.stringify(d.type), JSON.stringify(d.os), d.isRandomizedMac ? 1 : 0,
      d.isGateway ? 1 : 0, d.firstSeen, d.lastSeen, d.packetsSent, d.bytesSent, d.packetsReceived,
      d.bytesReceived, d.flowCount, JSON.stringify(d.evidence),
    );
  }

  upsertMany(devices: Iterable<Device>): void {
    this.#db.transaction(() => {
      for (const d of devices) this.upsert(d);
    })();
  }

  /** Most recently seen first. */
  list(): Device[] {
    return (this.#db.query("SELECT * FROM devices ORDER BY last_seen DESC").all() as DeviceRow[]).map(toDevice);
  }

  get(id: string): Device | undefined {
    const row = this.#db.query("SELECT * FROM devices WHERE id = ?").get(id) as DeviceRow | null;
    return row ? toDevice(row) : undefined;
  }
}
