/**
 * Measures how much the rollup tables grow per day at a stated traffic mix: inserts one synthetic
 * day of minute rows into a temp database file, then rolls it up, and prints rows and bytes.
 * Run: `bun src/storage/db-growth.ts [devices] [services] [apps] [destsPerMinute] [destPool]`.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DAY, HOUR, MINUTE, type RollupDim, type RollupRow } from "../analytics/model.ts";
import { migrate } from "./db.ts";
import { migrationNamed } from "./migrations.ts";
import { RollupStore } from "./rollups.ts";

export interface TrafficMix {
  devices: number; // devices active every minute
  services: number; // services seen each minute
  apps: number; // applications seen each minute
  destsPerMinute: number; // distinct destinations each minute
  destPool: number; // distinct destinations over the day
}

function usedBytes(db: Database): number {
  const q = (p: string) => Object.values(db.query(`PRAGMA ${p}`).get() as Record<string, number>)[0];
  return (q("page_count") - q("freelist_count")) * q("page_size");
}

function dayOfRows(mix: TrafficMix, day0: number, minuteOfDay: number): RollupRow[] {
  const bucket = day0 + minuteOfDay * MINUTE;
  const row = (dim: RollupDim, key: string, label: string | null): RollupRow => ({
    dim, bucket, resolution: MINUTE, key, label, bytesOut: 1_234_567, bytesIn: 23_456_789, packetsOut: 12_345, packetsIn: 23_456, flows: 17,
  });
  const rows = [row("total", "", null)];
  for (let d = 0; d < mix.devices; d++) rows.push(row("device", `a4c3f0${(0x100000 + d).toString(16)}`, `192.168.1.${10 + d}`));
  for (let s = 0; s < mix.services; s++) rows.push(row("service", ["TLS", "QUIC", "DNS", "HTTP", "mDNS", "SSDP", "NTP", "STUN", "SSH", "DHCP", "TCP", "UDP"][s % 12] + (s >= 12 ? s : ""), null));
  for (let a = 0; a < mix.apps; a++) rows.push(row("app", `Application ${a}`, "video"));
  for (let i = 0; i < mix.destsPerMinute; i++) {
    const d = (minuteOfDay * 37 + i * 13) % mix.destPool;
    rows.push(row("dest", `host${d}.cdn-provider${d % 50}.example.com`, `203.0.${d >> 8}.${d & 255}`));
  }
  return rows;
}

export function measureGrowth(mix: TrafficMix): { minuteRows: number; minuteBytes: number; hourRows: number; hourBytes: number; dayRows: number; dayBytes: number } {
  const dir = mkdtempSync(path.join(tmpdir(), "ni-growth-"));
  try {
    const db = new Database(path.join(dir, "growth.db"), { create: true, strict: true });
    migrate(db, [migrationNamed("traffic rollups")]);
    const store = new RollupStore(db);
    const base = usedBytes(db);
    const day0 = 1_700_006_400;
    for (let m = 0; m < DAY / MINUTE; m += 60) {
      const rows: RollupRow[] = [];
      for (let k = m; k < m + 60; k++) rows.push(...dayOfRows(mix, day0, k));
      store.put(rows);
    }
    const count = (res: number) => (db.query("SELECT count(*) AS n FROM traffic_rollups WHERE resolution = ?").get(res) as { n: number }).n;
    const minuteRows = count(MINUTE);
    const minuteBytes = usedBytes(db) - base;
    // A day later the minutes become hours; a month later the hours become one day.
    store.compact(day0 + 2 * DAY, { minuteHours: 24, hourDays: 30, retentionDays: 365 });
    const hourRows = count(HOUR);
    const hourBytes = usedBytes(db) - base;
    store.compact(day0 + 32 * DAY, { minuteHours: 24, hourDays: 30, retentionDays: 365 });
    const dayRows = count(DAY);
    const dayBytes = usedBytes(db) - base;
    db.close();
    return { minuteRows, minuteBytes, hourRows, hourBytes, dayRows, dayBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const [devices = 20, services = 12, apps = 25, destsPerMinute = 150, destPool = 3000] = process.argv.slice(2).map(Number);
  const mix = { devices, services, apps, destsPerMinute, destPool };
  const g = measureGrowth(mix);
  const perMinute = 1 + devices + services + apps + destsPerMinute;
  const mb = (b: number) => (b / 1048576).toFixed(2);
  console.log(`traffic mix: ${JSON.stringify(mix)} -> ${perMinute} rows per minute`);
  console.log(`minute rows, 1 day: ${g.minuteRows} rows, ${mb(g.minuteBytes)} MiB (${(g.minuteBytes / g.minuteRows).toFixed(0)} B/row)`);
  console.log(`as hour rows: ${g.hourRows} rows, ${mb(g.hourBytes)} MiB; as day rows: ${g.dayRows} rows, ${mb(g.dayBytes)} MiB`);
  const steady = g.minuteBytes + 29 * g.hourBytes + 335 * g.dayBytes;
  console.log(`steady state at 1 day of minutes + 29 days of hours + 335 days of days: ${mb(steady)} MiB`);
}
