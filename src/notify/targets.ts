/**
 * Parsing of the notification settings' URLs, so config.ts can reject a bad one at start-up with a
 * message naming it: webhooks with their format, the MQTT broker, the syslog receiver.
 */
export const WEBHOOK_FORMATS = ["json", "ntfy", "gotify", "discord", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhookTarget {
  /** The URL requests go to (without a format prefix or `format=` parameter). */
  url: string;
  format: WebhookFormat;
}

export class TargetError extends Error {}

/** Hosts whose URL says the format (people paste these as they are). */
function guessFormat(u: URL): WebhookFormat {
  if (/(^|\.)discord(app)?\.com$/.test(u.hostname) && u.pathname.startsWith("/api/webhooks/")) return "discord";
  if (u.hostname === "hooks.slack.com") return "slack";
  if (u.hostname === "ntfy.sh") return "ntfy";
  return "json";
}

/** `https://x/y`, `ntfy+https://ntfy.sh/topic`, or `https://x/y?format=gotify`. */
export function parseWebhook(spec: string): WebhookTarget {
  let raw = spec.trim();
  let format: string | null = null;
  const prefix = /^([a-z]+)\+(https?:\/\/.*)$/i.exec(raw);
  if (prefix) {
    format = prefix[1].toLowerCase();
    raw = prefix[2];
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TargetError(`"${spec}" is not a URL (expected http(s)://..., optionally with a format prefix like ntfy+https://...)`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new TargetError(`"${spec}": webhooks must be http:// or https://`);
  const q = u.searchParams.get("format");
  if (q !== null) {
    format ??= q.toLowerCase();
    u.searchParams.delete("format");
  }
  format ??= guessFormat(u);
  if (!(WEBHOOK_FORMATS as readonly string[]).includes(format)) {
    throw new TargetError(`"${spec}": unknown format "${format}" (allowed: ${WEBHOOK_FORMATS.join(", ")})`);
  }
  return { url: u.toString(), format: format as WebhookFormat };
}

/** Splits a comma or whitespace separated list of webhook specs. */
export function parseWebhookList(list: string): WebhookTarget[] {
  return list.split(/[\s,]+/).filter(Boolean).map(parseWebhook);
}

export interface MqttTarget {
  tls: boolean;
  host: string;
  port: number;
  username: string | null;
  password: string | null;
}

export function parseMqttUrl(spec: string): MqttTarget {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new TargetError(`"${spec}" is not a URL (expected mqtt://host:1883 or mqtts://user:password@host:8883)`);
  }
  if (u.protocol !== "mqtt:" && u.protocol !== "mqtts:") throw new TargetError(`"${spec}": the scheme must be mqtt:// or mqtts://`);
  if (!u.hostname) throw new TargetError(`"${spec}": no broker host`);
  const tls = u.protocol === "mqtts:";
  return {
    tls,
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port ? Number(u.port) : tls ? 8883 : 1883,
    username: u.username ? decodeURIComponent(u.username) : null,
    password: u.password ? decodeURIComponent(u.password) : null,
  };
}

export interface SyslogTarget {
  transport: "udp" | "tcp";
  host: string;
  port: number;
}

export function parseSyslogUrl(spec: string): SyslogTarget {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new TargetError(`"${spec}" is not a URL (expected udp://host:514 or tcp://host:601)`);
  }
  if (u.protocol !== "udp:" && u.protocol !== "tcp:") throw new TargetError(`"${spec}": the scheme must be udp:// or tcp://`);
  if (!u.hostname) throw new TargetError(`"${spec}": no host`);
  const transport = u.protocol === "udp:" ? "udp" : "tcp";
  return { transport, host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port ? Number(u.port) : transport === "udp" ? 514 : 601 };
}
