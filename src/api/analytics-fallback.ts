/**
 * A simple /api/analytics and /api/protocols computed from the flows table, used until the
 * analytics rollups (src/analytics/queries.ts) exist. Same response shapes as the final ones.
 */
import type { Database } from "bun:sqlite";
import { iso } from "./convert.ts";
import type { Analytics, Protocols } from "./schemas.ts";

export const MAX_POINTS = 120;
export const TOP_N = 10;

function bucketSeconds(hours: number): number {
  return Math.max(60, Math.ceil((hours * 3600) / MAX_POINTS / 60) * 60);
}

export function fallbackAnalytics(db: Database, q: { hours: number; now: number }): Analytics {
  const from = q.now - q.hours * 3600;
  const totals = db.query(`SELECT coalesce(sum(bytes_sent + bytes_received), 0) AS bytes,
    coalesce(sum(packets_sent + packets_received), 0) AS packets, count(*) AS flows FROM flows WHERE last_seen >= ?`)
    .get(from) as { bytes: number; packets: number; flows: number };
  const devices = (db.query("SELECT count(*) AS n FROM devices WHERE last_seen >= ?").get(from) as { n: number }).n;
  const threats = (db.query("SELECT count(*) AS n FROM threats WHERE last_seen >= ?").get(from) as { n: number }).n;
  const b = bucketSeconds(q.hours);
  const throughput = (db.query(`SELECT CAST(last_seen / ?1 AS INTEGER) * ?1 AS t, sum(bytes_sent + bytes_received) AS bytes,
    sum(packets_sent + packets_received) AS packets FROM flows WHERE last_seen >= ?2 GROUP BY t ORDER BY t`)
    .all(b, from) as { t: number; bytes: number; packets: number }[]).map((r) => ({ time: iso(r.t), bytes: r.bytes, packets: r.packets }));
  const haveDevices = devices > 0;
  const talkers = db.query(`SELECT ip, dev, sum(sent) AS sent, sum(recv) AS recv, count(*) AS flows FROM (
      SELECT src_ip AS ip, src_device_id AS dev, bytes_sent AS sent, bytes_received AS recv FROM flows WHERE last_seen >= ?1
      UNION ALL
      SELECT dst_ip, dst_device_id, bytes_received, bytes_sent FROM flows WHERE last_seen >= ?1
    ) ${haveDevices ? "WHERE dev IS NOT NULL" : ""} GROUP BY coalesce(dev, ip) ORDER BY sent + recv DESC LIMIT ?2`)
    .all(from, TOP_N) as { ip: string; dev: string | null; sent: number; recv: number; flows: number }[];
  const nameOf = db.query("SELECT json_extract(name, '$.value') AS name, hostname FROM devices WHERE id = ?");
  const topTalkers = talkers.map((t) => {
    const d = t.dev ? (nameOf.get(t.dev) as { name: string | null; hostname: string | null } | null) : null;
    return { deviceId: t.dev, ip: t.ip, name: d?.name ?? d?.hostname ?? null, bytesSent: t.sent, bytesReceived: t.recv, flows: t.flows };
  });
  const topApplications = db.query(`SELECT application, max(category) AS category, sum(bytes_sent + bytes_received) AS bytes,
    count(*) AS flows FROM flows WHERE last_seen >= ? AND application IS NOT NULL GROUP BY application ORDER BY bytes DESC LIMIT ?`)
    .all(from, TOP_N) as Analytics["topApplications"];
  const topDestinations = db.query(`SELECT coalesce(hostname, dst_ip) AS host, sum(bytes_sent + bytes_received) AS bytes,
    count(*) AS flows FROM flows WHERE last_seen >= ? GROUP BY host ORDER BY bytes DESC LIMIT ?`)
    .all(from, TOP_N) as Analytics["topDestinations"];
  return {
    hours: q.hours, from: iso(from), to: iso(q.now),
    totals: { ...totals, devices, threats },
    throughput, topTalkers, topApplications, topDestinations,
  };
}

export function fallbackProtocols(db: Database, q: { hours?: number; now: number }): Protocols {
  const from = q.hours === undefined ? Number.MIN_SAFE_INTEGER : q.now - q.hours * 3600;
  const total = (db.query("SELECT coalesce(sum(bytes_sent + bytes_received), 0) AS bytes FROM flows WHERE last_seen >= ?")
    .get(from) as { bytes: number }).bytes;
  const pct = (bytes: number) => (total > 0 ? Math.round((bytes / total) * 10000) / 100 : 0);
  const services = (db.query(`SELECT coalesce(service, protocol) AS service, sum(bytes_sent + bytes_received) AS bytes,
    sum(packets_sent + packets_received) AS packets, count(*) AS flows FROM flows WHERE last_seen >= ?
    GROUP BY 1 ORDER BY bytes DESC`).all(from) as Omit<Protocols["services"][number], "percent">[])
    .map((s) => ({ ...s, percent: pct(s.bytes) }));
  const applications = (db.query(`SELECT application, max(category) AS category, sum(bytes_sent + bytes_received) AS bytes,
    count(*) AS flows FROM flows WHERE last_seen >= ? AND application IS NOT NULL GROUP BY application ORDER BY bytes DESC`)
    .all(from) as Omit<Protocols["applications"][number], "percent">[]).map((a) => ({ ...a, percent: pct(a.bytes) }));
  return { hours: q.hours ?? null, services, applications };
}
