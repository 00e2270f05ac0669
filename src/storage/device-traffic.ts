/**
 * One device's traffic for its page: applications and destinations from the flows it took part in,
 * and its throughput over time from the per-device rollups (or its flows, before any rollup exists).
 * Bytes are from the device's side: sent is what the device sent.
 */
import type { Database } from "bun:sqlite";

export interface DeviceWindow { deviceId: string; from: number; to: number; limit?: number }
export interface DeviceApplication { application: string; category: string | null; bytesSent: number; bytesReceived: number; flows: number }
export interface DeviceDestination { host: string; ip: string; bytesSent: number; bytesReceived: number; flows: number }
/** `time`: epoch seconds, the start of a `step`-second bucket. */
export interface DeviceTimeline { step: number; points: { time: number; bytesSent: number; bytesReceived: number; packets: number }[] }

export const DEVICE_TOP_LIMIT = 20;
/** Steps a timeline may use; the smallest giving at most MAX_TIMELINE_POINTS points wins. */
const STEPS = [60, 300, 600, 1800, 3600, 10800, 21600, 86400];
export const MAX_TIMELINE_POINTS = 200;

/**
 * The device's flows in the window, each end read through its own index (src, then dst that is not
 * also src), with the device's side's columns: peer, sent, received. Closed rows come through the
 * ordered partial indexes, rows still open through flows_open (migration 6).
 */
const DEVICE_FLOWS = ["status = 'closed'", "status <> 'closed'"].map((status) => `
  SELECT application, category, coalesce(hostname, dst_ip) AS host, dst_ip AS ip, bytes_sent AS sent, bytes_received AS recv
    FROM flows WHERE ${status} AND src_device_id = ?1 AND last_seen >= ?2 AND start_time < ?3
  UNION ALL
  SELECT application, category, src_ip, src_ip, bytes_received, bytes_sent
    FROM flows WHERE ${status} AND dst_device_id = ?1 AND src_device_id IS NOT ?1 AND last_seen >= ?2 AND start_time < ?3`).join(`
  UNION ALL`);

/** The device's flows last seen in [?4, ?3), for the timeline before any rollup: the same four index scans. */
const DEVICE_TIMELINE_FLOWS = ["status = 'closed'", "status <> 'closed'"].flatMap((status) => [
  `SELECT * FROM flows WHERE ${status} AND src_device_id = ?2 AND last_seen < ?3 AND last_seen >= ?4`,
  `SELECT * FROM flows WHERE ${status} AND dst_device_id = ?2 AND src_device_id IS NOT ?2 AND last_seen < ?3 AND last_seen >= ?4`,
]).join(" UNION ALL ");

export class DeviceTraffic {
  constructor(private readonly db: Database) {}

  applications(w: DeviceWindow): DeviceApplication[] {
    return this.db.query(`SELECT application, max(category) AS category, sum(sent) AS bytesSent, sum(recv) AS bytesReceived,
      count(*) AS flows FROM (${DEVICE_FLOWS}) WHERE application IS NOT NULL GROUP BY application
      ORDER BY sum(sent + recv) DESC, application LIMIT ?4`).all(w.deviceId, w.from, w.to, w.limit ?? DEVICE_TOP_LIMIT) as DeviceApplication[];
  }

  destinations(w: DeviceWindow): DeviceDestination[] {
    return this.db.query(`SELECT host, max(ip) AS ip, sum(sent) AS bytesSent, sum(recv) AS bytesReceived, count(*) AS flows
      FROM (${DEVICE_FLOWS}) GROUP BY host ORDER BY sum(sent + recv) DESC, host LIMIT ?4`)
      .all(w.deviceId, w.from, w.to, w.limit ?? DEVICE_TOP_LIMIT) as DeviceDestination[];
  }

  timeline(w: DeviceWindow): DeviceTimeline {
    const step = STEPS.find((s) => (w.to - w.from) / s <= MAX_TIMELINE_POINTS) ?? STEPS[STEPS.length - 1];
    const first = Math.floor(w.from / step) * step;
    const points = new Map<number, { time: number; bytesSent: number; bytesReceived: number; packets: number }>();
    for (let t = first; t < w.to; t += step) points.set(t, { time: t, bytesSent: 0, bytesReceived: 0, packets: 0 });
    const rows = this.#haveRollups()
      ? this.db.query(`SELECT (bucket / ?1) * ?1 AS t, sum(bytes_out) AS sent, sum(bytes_in) AS recv, sum(packets_out + packets_in) AS packets
          FROM traffic_rollups WHERE dim = 'device' AND key = ?2 AND bucket < ?3 AND bucket + resolution > ?4 GROUP BY t`)
        .all(step, w.deviceId, w.to, w.from)
      : this.db.query(`SELECT CAST(last_seen / ?1 AS INTEGER) * ?1 AS t,
            sum(CASE WHEN src_device_id = ?2 THEN bytes_sent ELSE bytes_received END) AS sent,
            sum(CASE WHEN src_device_id = ?2 THEN bytes_received ELSE bytes_sent END) AS recv,
            sum(packets_sent + packets_received) AS packets
          FROM (${DEVICE_TIMELINE_FLOWS}) GROUP BY t`)
        .all(step, w.deviceId, w.to, w.from);
    for (const r of rows as { t: number; sent: number; recv: number; packets: number }[]) {
      const p = points.get(Math.max(r.t, first));
      if (p) (p.bytesSent += r.sent, p.bytesReceived += r.recv, p.packets += r.packets);
    }
    return { step, points: [...points.values()] };
  }

  #haveRollups(): boolean {
    try {
      return this.db.query("SELECT 1 FROM traffic_rollups LIMIT 1").get() !== null;
    } catch {
      return false; // no analytics tables in this database
    }
  }
}
