/**
 * Service configuration: flags win over the environment, which wins over `.env` in the working
 * directory, which wins over `.env` beside the database. Validated once at start-up with zod.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseCollectorList, type CollectorSpec, type ExportFormat } from "./export/collectors.ts";
import { parseMqttUrl, parseSyslogUrl, parseWebhookList, TargetError, type WebhookTarget } from "./notify/targets.ts";

export const SYSTEM_DB_DIR = "/var/lib/netinsight";
export const LOCAL_DB_FILE = "./netinsight.db";

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

const intIn = (min: number, max: number) =>
  z.coerce.number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });

const collectorList = (format: ExportFormat) =>
  z.string().default("").transform((s, ctx): CollectorSpec[] => {
    const { collectors, errors } = parseCollectorList(s, format);
    for (const message of errors) ctx.addIssue({ code: "custom", message });
    return collectors;
  });

const yesNo = z.enum(["1", "0", "true", "false", "yes", "no", "on", "off"], { error: "must be true or false" })
  .default("false").transform((v) => ["1", "true", "yes", "on"].includes(v));

/** Flow export and the packet ring (issue 16): used by `serve` and, for export, by `analyze`. */
export const ExportConfigSchema = z.object({
  /** IPFIX collectors: HOST:PORT (UDP), udp://HOST:PORT or tcp://HOST:PORT, comma-separated (--ipfix, repeatable). */
  IPFIX_COLLECTORS: collectorList("ipfix"),
  /** NetFlow v9 collectors, the same forms (--netflow9, repeatable). */
  NETFLOW9_COLLECTORS: collectorList("netflow9"),
  /** Long flows are exported in parts every this many seconds. */
  EXPORT_ACTIVE_TIMEOUT: intIn(1, 86_400).default(60),
  /** A flow without packets for this long is exported (what it has so far). */
  EXPORT_IDLE_TIMEOUT: intIn(1, 86_400).default(15),
  /** UDP collectors are sent the templates again this often. */
  EXPORT_TEMPLATE_SECONDS: intIn(1, 86_400).default(60),
  /** IPFIX as RFC 5103 biflows (reverse counters, enterprise 29305) instead of one record per direction. */
  IPFIX_BIFLOW: yesNo,
  /** Observation domain (IPFIX) / source id (NetFlow v9): tells several sensors apart at one collector. */
  EXPORT_DOMAIN_ID: intIn(0, 4_294_967_295).default(1),
  /** On-disk ring of recent packets in MB (0: off, nothing is written). */
  PCAP_RING_MB: intIn(0, 1_048_576).default(0).refine((n) => n === 0 || n >= 4, { error: "must be 0 (off) or at least 4 (MB)" }),
  /** Where the ring's segment files go (default: pcap-ring beside the database). */
  PCAP_RING_DIR: z.string().min(1, { error: "must be a directory path" }).optional(),
});
const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, yes: true, no: false, on: true, off: false };
const bool = (dflt: boolean) => z.string().default(String(dflt)).transform((v, ctx) => {
  const b = BOOLEAN_WORDS[v.trim().toLowerCase()];
  if (b === undefined) ctx.addIssue({ code: "custom", message: "must be true or false" });
  return b ?? dflt;
});
/** A URL setting checked by one of the notify/targets.ts parsers. */
const target = <T>(parse: (s: string) => T) => z.string().optional().transform((v, ctx): T | undefined => {
  if (v === undefined || v.trim() === "") return undefined;
  try {
    return parse(v.trim());
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err instanceof TargetError ? err.message : String(err) });
    return undefined;
  }
});
const SEVERITY_LEVELS = ["low", "medium", "high", "critical"] as const;

/** HTTPS and scheduled backups (issue 18): the appliance's production checklist, built in. */
export const ApplianceConfigSchema = z.object({
  /** auto: HTTPS on every address but loopback; on; off (plain HTTP). */
  HTTPS: z.enum(["auto", "on", "off"], { error: "must be auto (HTTPS unless HOST is loopback), on or off" }).default("auto"),
  /** PEM certificate (chain) and key; unset: a self-signed certificate kept beside the database. */
  TLS_CERT: z.string().min(1, { error: "must be a PEM file path" }).optional(),
  TLS_KEY: z.string().min(1, { error: "must be a PEM file path" }).optional(),
  /** Where scheduled database backups go (unset: no backups). */
  BACKUP_DIR: z.string().min(1, { error: "must be a directory path" }).optional(),
  /** Backups kept in BACKUP_DIR; older ones are deleted. */
  BACKUP_KEEP: intIn(1, 1000).default(7),
  /** Hours between backups (the first one an hour after start, or at once when the newest is older). */
  BACKUP_HOURS: intIn(1, 8760).default(24),
});

export const ConfigSchema = z.object({
  ...ExportConfigSchema.shape,
  ...ApplianceConfigSchema.shape,
  NETWORK_INTERFACE: z.string().min(1).optional(),
  HOST: z.string().min(1, { error: "must be a host name or address, e.g. 0.0.0.0 or 127.0.0.1" }).default("0.0.0.0"),
  PORT: intIn(1, 65535).default(8000),
  ALLOWED_ORIGINS: z.string().default("").transform((s, ctx) => {
    const list = s.split(",").map((o) => o.trim()).filter(Boolean);
    for (const o of list) {
      if (o !== "*" && !/^https?:\/\/[^/\s]+$/.test(o)) {
        ctx.addIssue({ code: "custom", message: `"${o}" is not an origin: use "*" or a comma list like http://pi.local:8000,https://example.org` });
      }
    }
    return list;
  }),
  DATABASE_PATH: z.string().min(1, { error: "must be a file path" }),
  API_TOKEN: z.string().min(16, { error: "must be at least 16 characters (or unset it to have one generated)" }).optional(),
  RETENTION_DAYS: intIn(1, 3650).default(30),
  MAX_DB_MB: intIn(16, 1_048_576).default(1024),
  CAPTURE_FILTER: z.string().optional(),
  FLUSH_SECONDS: intIn(1, 300).default(5),
  MAX_FLOWS: intIn(1000, 10_000_000).default(200_000),
  MAX_MEMORY_MB: intIn(64, 1_048_576).default(1024),
  /** The kernel ring of live capture, in MB (tcpdump's -B): more rides out longer stalls, and all of it counts in RSS. */
  CAPTURE_BUFFER_MB: intIn(1, 1024).default(16),
  /** GET /metrics: per-device series for at most this many devices (the busiest). */
  METRICS_MAX_DEVICES: intIn(0, 100_000).default(100),
  // ---- notifications (src/notify/) ----
  /** Comma list of webhook URLs; a format per URL: `ntfy+https://...` or `?format=ntfy`. */
  ALERT_WEBHOOKS: z.string().default("").transform((v, ctx): WebhookTarget[] => {
    try {
      return parseWebhookList(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
      return [];
    }
  }),
  /** Signs each webhook body: X-NetInsight-Signature: sha256=<HMAC-SHA256 of the body, hex>. */
  ALERT_WEBHOOK_SECRET: z.string().min(8, { error: "must be at least 8 characters" }).optional(),
  ALERT_MIN_SEVERITY: z.enum(SEVERITY_LEVELS, { error: `must be one of ${SEVERITY_LEVELS.join(", ")}` }).default("medium"),
  ALERT_NEW_DEVICES: bool(true),
  /** Device leaving/returning alerts: off, known (devices marked known), all. */
  ALERT_PRESENCE: z.enum(["off", "known", "all"], { error: "must be off, known or all" }).default("off"),
  ALERT_AWAY_MINUTES: intIn(1, 10_080).default(15),
  /** Per channel: at most this many notifications a minute; the rest wait (and floods fold into one). */
  ALERT_RATE_PER_MINUTE: intIn(1, 10_000).default(10),
  /** A new notification waits this long before it is sent, so a threat that ramps up is told once, settled. */
  ALERT_GROUP_WAIT_SECONDS: intIn(0, 3600).default(10),
  /** Packets dropped by capture within a minute that raise a "dropping packets" alert. */
  ALERT_DROPS_PER_MINUTE: intIn(1, 1_000_000_000).default(1000),
  /** Base URL of the live view for links in notifications (default http://<host name>:PORT). */
  PUBLIC_URL: z.string().optional().refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), { error: "must be an http(s):// URL, e.g. http://pi.local:8000" }),
  MQTT_URL: target(parseMqttUrl),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  /** Extra CA certificates (PEM) for mqtts:// to a broker with a private CA. */
  MQTT_CA_FILE: z.string().optional().refine((f) => f === undefined || isFile(f), { error: "must be a readable PEM file" }),
  MQTT_TOPIC_PREFIX: z.string().regex(/^[^#+\s]+$/, { error: "must be a topic without #, + or spaces, e.g. netinsight" }).default("netinsight"),
  /** Home Assistant MQTT discovery (sensors per device, active threats, throughput). */
  MQTT_DISCOVERY: bool(true),
  MQTT_DISCOVERY_PREFIX: z.string().regex(/^[^#+\s]+$/, { error: "must be a topic without #, + or spaces, e.g. homeassistant" }).default("homeassistant"),
  /** Devices given their own Home Assistant sensors and retained state (the most recently seen). */
  MQTT_MAX_DEVICES: intIn(0, 10_000).default(50),
  /** RFC 5424 syslog: udp://host:514 or tcp://host:601. */
  SYSLOG_URL: target(parseSyslogUrl),
  /** JSON lines, one notification per line, appended to this file. */
  ALERT_FILE: z.string().optional().refine((f) => f === undefined || !isDirectory(f), { error: "must be a file path, not a directory" }),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  /** Started as root: switch to this user once capture and database are open (default: netinsight if it exists; root: stay). */
  RUN_AS_USER: z.string().regex(/^[a-z_][a-z0-9_.-]*\$?$|^\d+$/i, { error: "must be a user name or uid (root to keep running as root)" }).optional(),
});

function isDirectory(f: string): boolean {
  try {
    return statSync(f).isDirectory();
  } catch {
    return false;
  }
}

function isFile(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = Partial<Record<keyof z.input<typeof ConfigSchema>, string | undefined>>;
export const CONFIG_KEYS = Object.keys(ConfigSchema.shape) as (keyof Config)[];

/** Settings whose values never appear in error messages (URLs may carry tokens: their parsers quote only what is wrong). */
const SECRET_KEYS: ReadonlySet<string> = new Set(["API_TOKEN", "ALERT_WEBHOOK_SECRET", "MQTT_PASSWORD", "ALERT_WEBHOOKS", "MQTT_URL"]);

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses KEY=VALUE lines (# comments, optional `export`, single or double quotes). */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\"/g, '"');
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    out[m[1]] = value;
  }
  return out;
}

function readDotEnv(file: string): Record<string, string> {
  try {
    return existsSync(file) && statSync(file).isFile() ? parseDotEnv(readFileSync(file, "utf8")) : {};
  } catch {
    return {};
  }
}

/** `/var/lib/netinsight/netinsight.db` on an installed box, `./netinsight.db` in a checkout. */
export function defaultDatabasePath(): string {
  try {
    if (statSync(SYSTEM_DB_DIR).isDirectory()) {
      accessSync(SYSTEM_DB_DIR, constants.W_OK);
      return path.join(SYSTEM_DB_DIR, "netinsight.db");
    }
  } catch {
    // not installed, or not ours to write: fall back to the working directory
  }
  return path.resolve(LOCAL_DB_FILE);
}

export interface LoadOptions {
  /** Values from command-line flags (win over everything). */
  flags?: ConfigInput;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Builds and validates the configuration; throws ConfigError naming the setting on a bad value. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const flags = stripUndefined(opts.flags ?? {});
  const cwdEnv = readDotEnv(path.join(cwd, ".env"));
  const early = { ...pick(cwdEnv), ...pick(env), ...flags };
  const dbPath = early.DATABASE_PATH ? path.resolve(cwd, early.DATABASE_PATH) : defaultDatabasePath();
  const dbEnv = readDotEnv(path.join(path.dirname(dbPath), ".env"));
  const merged: Record<string, string | undefined> = { ...pick(dbEnv), ...pick(cwdEnv), ...pick(env), ...flags, DATABASE_PATH: dbPath };
  return validated(ConfigSchema, merged);
}

export type ExportConfig = z.infer<typeof ExportConfigSchema>;
export type ExportConfigInput = Partial<Record<keyof z.input<typeof ExportConfigSchema>, string | undefined>>;

/** The export settings alone (`analyze`): flags over the environment; the service's other settings play no part. */
export function loadExportConfig(opts: { flags?: ExportConfigInput; env?: Record<string, string | undefined> } = {}): ExportConfig {
  const env = opts.env ?? process.env;
  const keys = Object.keys(ExportConfigSchema.shape);
  const fromEnv: Record<string, string> = {};
  for (const k of keys) if (env[k] !== undefined && env[k] !== "") fromEnv[k] = env[k]!;
  return validated(ExportConfigSchema, { ...fromEnv, ...stripUndefined(opts.flags ?? {}) });
}

function validated<S extends z.ZodType>(schema: S, merged: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const key = String(i.path[0] ?? "config");
      const got = merged[key];
      return `  ${key}: ${i.message}${got !== undefined && !SECRET_KEYS.has(key) ? ` (got "${got}")` : ""}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

function pick(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of CONFIG_KEYS) {
    const v = env[k];
    if (v !== undefined && v !== "") out[k] = v;
  }
  return out;
}

function stripUndefined(o: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
