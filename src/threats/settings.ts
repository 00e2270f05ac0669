/**
 * Every detector threshold, named, with defaults tuned for a home LAN (quiet on normal traffic,
 * loud on tools like nmap, hydra, hping3, arpspoof and DNS tunnels). Validated with zod.
 */
import { z } from "zod";

const count = z.number().int().positive();
const seconds = z.number().positive();
const ratio = z.number().min(0).max(1);

export const ThreatSettingsSchema = z.object({
  /** Distinct ports of one host probed by one source within the window = vertical port scan. */
  portScanPorts: count.default(20),
  portScanWindowSeconds: seconds.default(60),
  /** FIN / NULL / Xmas probes (no SYN, no ACK) from one source to one host. */
  stealthScanProbes: count.default(3),
  /** Slow scans: distinct ports of one host that one source probed (no payload either way) within the long window;
   * more than a client looking for its service tries. */
  slowScanPorts: count.default(6),
  slowScanWindowSeconds: seconds.default(1800),
  /** ICMP port-unreachable replies one host sends one source (closed UDP ports answering a UDP scan). */
  udpScanUnreachables: count.default(10),

  /** Distinct hosts one source probes (ARP who-has, ICMP echo, or one TCP/UDP port) within the window. */
  sweepHosts: count.default(30),
  sweepWindowSeconds: seconds.default(60),

  /** Packet rates to one target, measured over floodWindowSeconds. */
  floodWindowSeconds: seconds.default(5),
  synFloodPerSecond: count.default(100),
  /** Share of the flooded target's judged connections that must stay half-open (no ACK from the initiator). */
  synFloodHalfOpenRatio: ratio.default(0.5),
  icmpFloodPerSecond: count.default(100),
  /** New UDP flows per second to one target (random ports / spoofed sources). */
  udpFloodNewFlowsPerSecond: count.default(200),
  /** One-way packets per second of a single UDP flow (measured when it ends). */
  udpFloodPacketsPerSecond: count.default(5000),
  /** Minimum packets before a single-flow rate counts (avoids tiny bursts). */
  floodMinPackets: count.default(1000),

  /** Short connections from one source to one login service (SSH, Telnet, RDP, FTP, SMB, VNC ...). */
  bruteForceConnections: count.default(10),
  bruteForceWindowSeconds: seconds.default(300),
  /** A login attempt connection lasts at most this long. */
  bruteForceShortSeconds: seconds.default(30),
  /** Failed SSH logins (inferred from each connection's packet sizes) from one source to one server within the window:
   * more than a person retyping a password or offering a few keys. */
  sshFailedAttempts: count.default(8),
  /** Failed logins (FTP/POP3/IMAP/Telnet verdicts, HTTP 401) from one source to one server. */
  failedAuthAttempts: count.default(10),

  /** A MAC answering for this many IPs within the ARP window claims addresses that are not its own. */
  arpMacIps: count.default(10),
  arpWindowSeconds: seconds.default(300),
  /** An IP -> MAC binding is "established" for this long after it was last confirmed. */
  arpBindingSeconds: seconds.default(1800),
  /** Known gateway IPs (also learned from DHCP router options). */
  gatewayIps: z.array(z.string()).default([]),

  /** Legitimate DHCP servers (IP addresses). Empty: the first server seen is learned as legitimate. */
  dhcpServers: z.array(z.string()).default([]),
  /** DHCP DISCOVER/REQUESTs from one source MAC within the window (lease starvation). */
  dhcpStarvationRequests: count.default(100),
  dhcpStarvationWindowSeconds: seconds.default(60),

  /** A label this long and random is encoded data on its own (one query is enough). */
  dnsLongLabel: count.default(50),
  /** Labels at least this long, hex or with entropy >= dnsLabelEntropy, count as "encoded"; dnsEncodedQueries unique such names fire. */
  dnsEncodedLabel: count.default(24),
  dnsLabelEntropy: z.number().positive().default(3.5),
  dnsEncodedQueries: count.default(10),
  /** ... and only when those names' encoded labels add up to this many characters (data, not ids). */
  dnsEncodedChars: count.default(4000),
  dnsUniqueSubdomains: count.default(150),
  /** Queries for record types that carry data (NULL, TXT, CNAME, MX, SRV) to one domain. */
  dnsTxtNullQueries: count.default(50),
  /** NULL-record queries to one domain: the type has no use outside experiments and tunnels (iodine's default). */
  dnsNullQueries: count.default(2),
  /** Packets to a port-53 server that are not DNS messages (a tunnel's raw mode). */
  dnsNotDnsPackets: count.default(5),
  dnsBytesPerDomain: count.default(200_000),
  dnsWindowSeconds: seconds.default(600),

  /** NXDOMAIN answers for distinct names to one client, most of them random-looking. */
  dgaNxdomains: count.default(25),
  dgaRandomRatio: ratio.default(0.5),
  dgaWindowSeconds: seconds.default(300),

  /** HTTP requests from one client to one server matching a SQLi / XSS / RCE / traversal / JNDI rule (one is proof enough). */
  webAttackRequests: count.default(1),

  /** Connections from one source to one destination at a steady period. */
  beaconMinIntervals: count.default(8),
  beaconMaxJitter: ratio.default(0.1),
  beaconMinPeriodSeconds: seconds.default(5),
  beaconMaxPeriodSeconds: seconds.default(7200),

  /** Plain-text IP / CIDR / domain list files, and how often (wall seconds) to check them for changes. */
  blocklists: z.array(z.string()).default([]),
  blocklistReloadSeconds: seconds.default(10),
  /** Blocklists given as http(s) URLs are feeds: downloaded into this directory (default: the system temp dir) ... */
  feedDir: z.string().optional(),
  /** ... and downloaded again this often (wall seconds); a failed download keeps the last good copy. */
  feedRefreshSeconds: seconds.default(3600),

  /** Bot traits (odd port, impossible or random User-Agent, random path, POST) besides a bare internet IP that make an HTTP request a malware check-in. */
  malwareC2Traits: count.default(2),

  /** A TLS heartbeat record larger than this is not a keep-alive (OpenSSL's are ~40 bytes, ~100 encrypted); Heartbleed asks for up to 64 KB. */
  tlsHeartbeatMaxBytes: count.default(512),

  /** Netlogon authentications in one DCE-RPC connection that make a Zerologon attempt even without a zero credential (a client needs one). */
  zerologonAuthentications: count.default(5),

  /** Keys each detector tracks at most (sources, targets, pairs); oldest dropped past it. */
  maxTrackedKeys: count.default(10_000),
  /** Tracked state idle this long (capture seconds) is dropped. */
  stateExpirySeconds: seconds.default(900),
});

export type ThreatSettings = z.infer<typeof ThreatSettingsSchema>;

/** Defaults merged with overrides; throws a zod error on a bad value (a config mistake, not packet data). */
export function resolveThreatSettings(partial: Partial<ThreatSettings> = {}): ThreatSettings {
  return ThreatSettingsSchema.parse(partial);
}
