/** A threat record: repeats of the same activity update one record (count, lastSeen). Times: epoch seconds. */
export type Severity = "low" | "medium" | "high" | "critical";

export interface Threat {
  id: string;
  /** "port_scan", "host_sweep", "syn_flood", "icmp_flood", "udp_flood", "brute_force", "arp_spoofing",
   * "rogue_dhcp", "dns_tunneling", "dga", "blocklist", "beaconing", "cleartext_credentials", "new_device", ... */
  type: string;
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
