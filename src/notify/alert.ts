/**
 * The notification every channel delivers: one Alert per thing worth telling someone (a threat, a
 * new device, capture or storage trouble), and the documented JSON body webhooks receive.
 */
import type { Severity } from "../threats/model.ts";

export type AlertKind =
  | "threat" | "device_new" | "device_left" | "device_returned"
  | "capture_stopped" | "capture_error" | "capture_drops" | "health" | "test";

export const SEVERITIES: readonly Severity[] = ["low", "medium", "high", "critical"];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** The device an alert is about (a flat copy: channels never see tracker objects). */
export interface AlertDevice {
  id: string;
  mac: string;
  ips: string[];
  name: string | null;
  hostname: string | null;
  vendor: string | null;
  type: string | null;
  /** Epoch seconds. */
  firstSeen: number;
  lastSeen: number;
}

export interface AlertThreat {
  id: string;
  type: string;
  severity: Severity;
  sourceIp: string | null;
  sourceMac: string | null;
  targetIp: string | null;
  targetPort: number | null;
  deviceId: string | null;
  firstSeen: number;
  lastSeen: number;
  count: number;
  evidence: Record<string, unknown>;
}

export interface Alert {
  /** De-duplication key: alerts with one key are one notification that updates ("threat:17", "device:a4c3f0123456"). */
  key: string;
  kind: AlertKind;
  severity: Severity;
  title: string;
  description: string;
  /** Epoch seconds. */
  time: number;
  /** Raised this many times since it was queued (a flood is one alert with a count). */
  count: number;
  device: AlertDevice | null;
  threat: AlertThreat | null;
  /** The live view, at the thing the alert is about. */
  link: string;
}

const iso = (s: number) => new Date(s * 1000).toISOString();

/**
 * The JSON body of a plain webhook (format "json"); documented in the README. Stable field names:
 * receivers parse it.
 */
export function alertBody(a: Alert) {
  return {
    source: "netinsight",
    kind: a.kind,
    key: a.key,
    severity: a.severity,
    title: a.title,
    description: a.description,
    time: iso(a.time),
    count: a.count,
    link: a.link,
    device: a.device ? { ...a.device, firstSeen: iso(a.device.firstSeen), lastSeen: iso(a.device.lastSeen) } : null,
    threat: a.threat ? { ...a.threat, firstSeen: iso(a.threat.firstSeen), lastSeen: iso(a.threat.lastSeen) } : null,
  };
}

/** One line for text channels (syslog, chat): "[high] Port scan of 10.0.0.1: 120 ports in 60 s". */
export function alertText(a: Alert): string {
  const repeat = a.count > 1 ? ` (x${a.count})` : "";
  return `[${a.severity}] ${a.title}${repeat}: ${a.description}`;
}
