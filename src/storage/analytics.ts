/**
 * The answers behind /api/analytics and /api/protocols, read from the rollup table over a window
 * of hours (analyticsReport / protocolsReport), or from the flows table while no rollups exist yet.
 * getAnalytics works on a database holding only the rollup table; it uses the devices and threats
 * tables for names and counts when they exist.
 */
import type { Database } from "bun:sqlite";
import type { AnalyticsAnswer, ProtocolsAnswer } from "../analytics/model.ts";

export type { AnalyticsAnswer, ProtocolsAnswer } from "../analytics/model.ts";

/** Points in a throughput series at most; the step grows with the window. */
export const MAX_SERIES_POINTS = 360;
const STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
export const TOP_LIMIT = 10;

export interface WindowOptions {
  /** Hours back from `now`; getProtocols also takes null for all stored history. */
  hours: number | null;
  /** Epoch seconds; the window ends here. */
  now: number;
  limit?: number;
  /** Display name of a device id, when the devices table is elsewhere. */
  deviceName?: (deviceId: string) => string | null;
  /** Threats seen in [from, to], when the threats table is elsewhere. */
  threatCount?: (from: number, to: number) => number;
}

interface Grouped { key: string; label: string | null; bytesOut: number; bytesIn: number; packets: number; flows: number }

const iso = (t: number) => new Date(t * 1000).toISOString();

/** A row belongs to the window when its bucket overlaps [from, to). */
const OVERLAP = "dim = ? AND bucket < ? AND bucket + resolution > ?";

/** Keys summed over the window, biggest first; the empty key (no application) is left out. */
function grouped(db: Database, dim: string, from: number, to: number, limit: number): Grouped[] {
  return db.query(
    `SELECT key, max(label) AS label, sum(bytes_out) AS bytesOut, sum(bytes_in) AS bytesIn,
            sum(packets_out + packets_in) AS packets, sum(flows) AS flows
     FROM traffic_rollups WHERE ${OVERLAP} AND key <> '' GROUP BY key ORDER BY sum(bytes_out + bytes_in) DESC, key LIMIT ?`,
  ).all(dim, to, from, limit) as Grouped[];
}

const DEFAULT_HOURS = 24;

function windowOf(opts: WindowOptions): { hours: number; from: number; to: number } {
  const h = opts.hours;
  const hours = typeof h === "number" && Number.isFinite(h) && h > 0 ? h : DEFAULT_HOURS;
  return { hours, from: opts.now - hours * 3600, to: opts.now };
}

function hasTable(db: Database, name: string): boolean {
  return db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== null;
}

function deviceNameFromTable(db: Database): (id: string) => string | null {
  if (!hasTable(db, "devices")) return () => null;
  const q = db.query("SELECT name, hostname FROM devices WHERE id = ?");
  return (id) => {
    try {
      const r = q.get(id) as { name: string; hostname: string | null } | null;
      if (!r) return null;
      const label = JSON.parse(r.name) as { value?: string | null };
      return label?.value ?? r.hostname ?? null;
    } catch {
      return null;
    }
  };
}

function threatCountFromTable(db: Database, from: number, to: number): number {
  if (!hasTable(db, "threats")) return 0;
  const r = db.query("SELECT count(*) AS n FROM threats WHERE last_seen >= ? AND first_seen < ?").get(from, to) as { n: number };
  return r.n;
}

function seriesStep(seconds: number): number {
  for (const s of STEPS) if (seconds / s <= MAX_SERIES_POINTS) return s;
  return STEPS[STEPS.length - 1];
}

export function getAnalytics(db: Database, opts: WindowOptions): AnalyticsAnswer {
  const { hours, from, to } = windowOf(opts);
  const limit = opts.limit ?? TOP_LIMIT;
  const total = db.query(
    `SELECT coalesce(sum(bytes_out + bytes_in), 0) AS bytes, coalesce(sum(packets_out + packets_in), 0) AS packets,
            coalesce(sum(flows), 0) AS flows FROM traffic_rollups WHERE ${OVERLAP}`,
  ).get("total", to, from) as { bytes: number; packets: number; flows: number };
  const devices = (db.query(`SELECT count(DISTINCT key) AS n FROM traffic_rollups WHERE ${OVERLAP}`)
    .get("device", to, from) as { n: number }).n;

  const step = seriesStep(to - from);
  const first = Math.floor(from / step) * step;
  const points = new Map<number, { bytes: number; packets: number }>();
  for (let t = first; t < to; t += step) points.set(t, { bytes: 0, packets: 0 });
  const rows = db.query(
    `SELECT (bucket / ?1) * ?1 AS t, sum(bytes_out + bytes_in) AS bytes, sum(packets_out + packets_in) AS packets
     FROM traffic_rollups WHERE dim = 'total' AND bucket < ?2 AND bucket + resolution > ?3 GROUP BY t`,
  ).all(step, to, from) as { t: number; bytes: number; packets: number }[];
  for (const r of rows) {
    const p = points.get(Math.max(r.t, first));
    if (p) { p.bytes += r.bytes; p.packets += r.packets; }
  }

  const nameOf = opts.deviceName ?? deviceNameFromTable(db);
  return {
    hours,
    from: iso(from),
    to: iso(to),
    totals: {
      bytes: total.bytes, packets: total.packets, flows: total.flows, devices,
      threats: opts.threatCount ? opts.threatCount(from, to) : threatCountFromTable(db, from, to),
    },
    throughput: [...points].map(([t, p]) => ({ time: iso(t), bytes: p.bytes, packets: p.packets })),
    topTalkers: grouped(db, "device", from, to, limit).map((g) => {
      // Keys are device ids, or the address itself when no device tracker named the device.
      const isAddress = g.key === g.label;
      return {
        deviceId: isAddress ? null : g.key, ip: g.label, name: isAddress ? null : nameOf(g.key),
        bytesSent: g.bytesOut, bytesReceived: g.bytesIn, flows: g.flows,
      };
    }),
    topApplications: grouped(db, "app", from, to, limit).map((g) => ({
      application: g.key, category: g.label, bytes: g.bytesOut + g.bytesIn, flows: g.flows,
    })),
    topDestinations: grouped(db, "dest", from, to, limit).map((g) => ({
      host: g.key, bytes: g.bytesOut + g.bytesIn, flows: g.flows,
    })),
  };
}

export function getProtocols(db: Database, opts: WindowOptions): ProtocolsAnswer {
  const all = opts.hours === null;
  const { hours, from, to } = all ? { hours: null, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER } : windowOf(opts);
  const limit = opts.limit ?? 50;
  const percent = (part: number, total: number) => (total > 0 ? Math.round((part / total) * 10000) / 100 : 0);
  const services = grouped(db, "service", from, to, limit);
  const apps = grouped(db, "app", from, to, limit);
  const total = (db.query(`SELECT coalesce(sum(bytes_out + bytes_in), 0) AS b FROM traffic_rollups WHERE ${OVERLAP}`)
    .get("total", to, from) as { b: number }).b;
  return {
    hours,
    services: services.map((g) => ({
      service: g.key, bytes: g.bytesOut + g.bytesIn, packets: g.packets, flows: g.flows,
      percent: percent(g.bytesOut + g.bytesIn, total),
    })),
    applications: apps.map((g) => ({
      application: g.key, category: g.label, bytes: g.bytesOut + g.bytesIn, flows: g.flows,
      percent: percent(g.bytesOut + g.bytesIn, total),
    })),
  };
}

/** /api/analytics: from the rollups, or from the flows table while there are none yet. */
export function analyticsReport(db: Database, q: { hours: number; now: number }): AnalyticsAnswer {
  return haveRollups(db) ? getAnalytics(db, q) : fallbackAnalytics(db, q);
}

/** /api/protocols over `hours`, or (hours undefined) everything stored, from the oldest rollup on. */
export function protocolsReport(db: Database, q: { hours?: number; now: number }): ProtocolsAnswer {
  if (!haveRollups(db)) return fallbackProtocols(db, q);
  const oldest = (db.query("SELECT min(bucket) AS b FROM traffic_rollups").get() as { b: number | null }).b ?? q.now;
  const hours = q.hours ?? Math.max(1, Math.ceil((q.now - oldest) / 3600) + 1);
  return { ...getProtocols(db, { hours, now: q.now }), hours: q.hours ?? null };
}

function haveRollups(db: Database): boolean {
  return db.query("SELECT 1 FROM traffic_rollups LIMIT 1").get() !== null;
}

// ---- before the first rollup: simple answers computed from the flows table, same shapes ----

/** The API's rounding of epoch seconds to ISO-8601 (the rollup answers keep theirs). */
const isoRounded = (t: number) => new Date(Math.round(t * 1000)).toISOString();

/** Points in the fallback throughput series at most. */
export const FALLBACK_MAX_POINTS = 120;
const TOP_N = 10;

function bucketSeconds(hours: number): number {
  return Math.max(60, Math.ceil((hours * 3600) / FALLBACK_MAX_POINTS / 60) * 60);
}

function fallbackAnalytics(db: Database, q: { hours: number; now: number }): AnalyticsAnswer {
  const from = q.now - q.hours * 3600;
  const totals = db.query(`SELECT coalesce(sum(bytes_sent + bytes_received), 0) AS bytes,
    coalesce(sum(packets_sent + packets_received), 0) AS packets, count(*) AS flows FROM flows WHERE last_seen >= ?`)
    .get(from) as { bytes: number; packets: number; flows: number };
  const devices = (db.query("SELECT count(*) AS n FROM devices WHERE last_seen >= ?").get(from) as { n: number }).n;
  const threats = (db.query("SELECT count(*) AS n FROM threats WHERE last_seen >= ?").get(from) as { n: number }).n;
  const b = bucketSeconds(q.hours);
  const throughput = (db.query(`SELECT CAST(last_seen / ?1 AS INTEGER) * ?1 AS t, sum(bytes_sent + bytes_received) AS bytes,
    sum(packets_sent + packets_received) AS packets FROM flows WHERE last_seen >= ?2 GROUP BY t ORDER BY t`)
    .all(b, from) as { t: number; bytes: number; packets: number }[]).map((r) => ({ time: isoRounded(r.t), bytes: r.bytes, packets: r.packets }));
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
    .all(from, TOP_N) as AnalyticsAnswer["topApplications"];
  const topDestinations = db.query(`SELECT coalesce(hostname, dst_ip) AS host, sum(bytes_sent + bytes_received) AS bytes,
    count(*) AS flows FROM flows WHERE last_seen >= ? GROUP BY host ORDER BY bytes DESC LIMIT ?`)
    .all(from, TOP_N) as AnalyticsAnswer["topDestinations"];
  return {
    hours: q.hours, from: isoRounded(from), to: isoRounded(q.now),
    totals: { ...totals, devices, threats },
    throughput, topTalkers, topApplications, topDestinations,
  };
}

function fallbackProtocols(db: Database, q: { hours?: number; now: number }): ProtocolsAnswer {
  const from = q.hours === undefined ? Number.MIN_SAFE_INTEGER : q.now - q.hours * 3600;
  const total = (db.query("SELECT coalesce(sum(bytes_sent + bytes_received), 0) AS bytes FROM flows WHERE last_seen >= ?")
    .get(from) as { bytes: number }).bytes;
  const pct = (bytes: number) => (total > 0 ? Math.round((bytes / total) * 10000) / 100 : 0);
  const services = (db.query(`SELECT coalesce(service, protocol) AS service, sum(bytes_sent + bytes_received) AS bytes,
    sum(packets_sent + packets_received) AS packets, count(*) AS flows FROM flows WHERE last_seen >= ?
    GROUP BY 1 ORDER BY bytes DESC`).all(from) as Omit<ProtocolsAnswer["services"][number], "percent">[])
    .map((s) => ({ ...s, percent: pct(s.bytes) }));
  const applications = (db.query(`SELECT application, max(category) AS category, sum(bytes_sent + bytes_received) AS bytes,
    count(*) AS flows FROM flows WHERE last_seen >= ? AND application IS NOT NULL GROUP BY application ORDER BY bytes DESC`)
    .all(from) as Omit<ProtocolsAnswer["applications"][number], "percent">[]).map((a) => ({ ...a, percent: pct(a.bytes) }));
  return { hours: q.hours ?? null, services, applications };
}
