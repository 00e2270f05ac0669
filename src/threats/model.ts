/** A threat record: repeats of the same activity update one record (count, lastSeen). Times: epoch seconds. */
export type Severity = "low" | "medium" | "high" | "critical";

/**
 * Every kind of threat, each spelled once (snake_case): a Threat's `type` in the API, on the live
 * feed and in storage. A new detector adds its kinds here; the compiler then checks every report
 * and every exhaustive switch over ThreatType.
 */
export const THREAT_TYPES = [
  // scans and floods
  "port_scan", "host_sweep", "syn_flood", "icmp_flood", "udp_flood",
  // credentials
  "brute_force", "cleartext_credentials",
  // the local segment
  "arp_spoofing", "rogue_dhcp", "dhcp_starvation", "rogue_router_advertisement", "new_device",
  // DNS and command and control
  "dns_tunneling", "dga", "beaconing", "blocklist", "intel_match", "malware_download", "malware_c2",
  // what a request or a payload says
  "http_attack", "sql_injection", "xss", "command_injection", "path_traversal", "log4shell", "heartbleed", "zerologon",
] as const;

export type ThreatType = (typeof THREAT_TYPES)[number];

const KNOWN_TYPES: ReadonlySet<string> = new Set(THREAT_TYPES);

/** True for a spelling in THREAT_TYPES (a stored row may hold one an older version wrote). */
export function isThreatType(s: string): s is ThreatType {
  return KNOWN_TYPES.has(s);
}

export interface Threat {
  id: string;
  type: ThreatType;
  severity: Severity;
  title: string;
  description: string;
  sourceIp: string | null;
  sourceMac: string | null;
  targetIp: string | null;
  targetPort: number | null;
  deviceId: string | null;
  firstSeen: number;
  lastSeen: number;
  count: number;
  /** The numbers that crossed the thresholds, e.g. { ports: 120, windowSeconds: 60, threshold: 50 }. */
  evidence: Record<string, string | number | boolean | string[] | number[]>;
  status: "active" | "dismissed";
}
