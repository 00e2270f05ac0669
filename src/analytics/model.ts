/**
 * The traffic rollups' domain: what a rollup row is, how long each resolution is kept, the answers
 * of the analytics window queries, and the store a TrafficRollup writes to (src/storage/rollups.ts).
 */

/** Bucket lengths in seconds. */
export const MINUTE = 60;
export const HOUR = 3600;
export const DAY = 86400;

/** What a rollup row is keyed by, besides its time bucket. */
export type RollupDim = "total" | "device" | "service" | "app" | "dest";

export interface RollupCounters {
  bytesOut: number;
  bytesIn: number;
  packetsOut: number;
  packetsIn: number;
  flows: number;
}

export interface RollupRow extends RollupCounters {
  dim: RollupDim;
  bucket: number; // epoch seconds at the start of the bucket
  resolution: number; // MINUTE, HOUR or DAY
  key: string;
  label: string | null;
}

export interface RollupRetention {
  /** Minute rows older than this become hour rows. */
  minuteHours: number;
  /** Hour rows older than this become day rows. */
  hourDays: number;
  /** Day rows (and anything else) older than this are deleted. */
  retentionDays: number;
}

/** Keys kept apart per dimension in an hour or day bucket; the rest are summed under OTHER_KEY. */
export const MAX_KEYS_PER_ROLLED_BUCKET = 200;
/** The key that sums what a cap left out. */
export const OTHER_KEY = "(other)";

export const DEFAULT_ROLLUP_RETENTION: RollupRetention = { minuteHours: 24, hourDays: 30, retentionDays: 365 };

/** Where rollup rows live (storage's RollupStore). */
export interface RollupSink {
  get(dim: RollupDim, bucket: number, resolution: number, key: string): (RollupCounters & { label: string | null }) | undefined;
  /** Writes rows as they are (absolute counters). */
  put(rows: Iterable<RollupRow>): void;
  /** Rolls old rows into coarser ones and deletes what is past retention. */
  compact(now: number, retention?: RollupRetention): number;
}

/** /api/analytics: traffic over a window of hours (times ISO-8601, as the report is served). */
export interface AnalyticsAnswer {
  hours: number;
  from: string;
  to: string;
  totals: { bytes: number; packets: number; flows: number; devices: number; threats: number };
  throughput: { time: string; bytes: number; packets: number }[];
  topTalkers: { deviceId: string | null; ip: string | null; name: string | null; bytesSent: number; bytesReceived: number; flows: number }[];
  topApplications: { application: string; category: string | null; bytes: number; flows: number }[];
  topDestinations: { host: string; bytes: number; flows: number }[];
}

/** /api/protocols and `analyze --json` "protocols": traffic by service and application. */
export interface ProtocolsAnswer {
  hours: number | null;
  services: { service: string; bytes: number; packets: number; flows: number; percent: number }[];
  applications: { application: string; category: string | null; bytes: number; flows: number; percent: number }[];
}
