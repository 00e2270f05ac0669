/**
 * What the application-layer decoders report. Each decoder (one file per protocol in this folder)
 * is a pure function `decodeX(bytes, offset, length)` returning one of these or `undefined`; it never
 * throws on packet bytes. Devices, threats and analytics consume these through the engine's
 * Observation events (src/engine/events.ts); they never parse bytes themselves.
 */

/** DHCPv4 (RFC 2131/2132). Option numbers are kept raw where the meaning is a fingerprint. */
export interface DhcpMessage {
  op: 1 | 2; // 1 BOOTREQUEST, 2 BOOTREPLY
  /** Option 53: 1 DISCOVER, 2 OFFER, 3 REQUEST, 4 DECLINE, 5 ACK, 6 NAK, 7 RELEASE, 8 INFORM; 0 when absent (BOOTP). */
  messageType: number;
  xid: number;
  clientMac: string; // chaddr, "aa:bb:cc:dd:ee:ff"
  clientIp: string; // ciaddr
  yourIp: string; // yiaddr
  serverIp: string; // siaddr
  relayIp: string; // giaddr
  hostname?: string; // option 12
  requestedIp?: string; // option 50
  serverId?: string; // option 54
  parameterList?: number[]; // option 55, in order (the fingerprint)
  vendorClass?: string; // option 60
  clientId?: string; // option 61, hex "01aabbccddeeff"
  fqdn?: string; // option 81 domain name
  router?: string[]; // option 3
  dnsServers?: string[]; // option 6
  leaseTime?: number; // option 51
  /** Option numbers in the order they appear (another fingerprint). */
  optionOrder: number[];
}

/** DHCPv6 (RFC 8415). */
export interface Dhcpv6Message {
  messageType: number; // 1 SOLICIT, 2 ADVERTISE, 3 REQUEST, 7 REPLY, 11 INFORMATION-REQUEST, ...
  transactionId: number;
  clientId?: string; // DUID hex
  serverId?: string; // DUID hex
  /** Link-layer address inside a DUID-LLT/DUID-LL, when present. */
  duidMac?: string;
  fqdn?: string; // option 39
  vendorClass?: { enterprise: number; data: string[] }; // option 16
  enterpriseNumber?: number; // option 17 vendor opts enterprise
  optionRequest?: number[]; // option 6
  userClass?: string[]; // option 15
}

export interface DnsQuestion { name: string; type: number; class: number; unicastResponse?: boolean }
export interface DnsRecord {
  name: string;
  type: number; // 1 A, 28 AAAA, 5 CNAME, 12 PTR, 16 TXT, 33 SRV, 10 NULL, 15 MX, 2 NS, 6 SOA, 47 NSEC
  class: number;
  ttl: number;
  /** A/AAAA: address text; CNAME/PTR/NS: name; TXT: strings joined by "\n" is not done: see txt. */
  data: string;
  txt?: string[]; // TXT strings ("md=Chromecast", ...)
  srv?: { priority: number; weight: number; port: number; target: string };
  rdLength: number;
}
/** DNS, mDNS (5353) and LLMNR (5355) share this shape. */
export interface DnsMessage {
  id: number;
  isResponse: boolean;
  opcode: number;
  rcode: number; // 3 NXDOMAIN
  truncated: boolean;
  /** Read-only: a single question's list is shared by the messages that ask it (see decodeDns). */
  questions: readonly DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  /** Bytes of the DNS message (payload volume for tunnelling detection). */
  size: number;
}

/** NetBIOS name service (UDP 137): registrations, queries and their names. */
export interface NetbiosMessage {
  isResponse: boolean;
  opcode: number; // 0 query, 5 registration, 6 release, 8 refresh
  /** Decoded first-level names with the suffix byte: { name: "DESKTOP-1", suffix: 0x00 }. */
  names: { name: string; suffix: number }[];
  addresses: string[]; // IPv4 addresses in answers / additional records
}

/** SSDP (UDP 1900): M-SEARCH, NOTIFY and HTTP/1.1 200 responses. */
export interface SsdpMessage {
  method: "M-SEARCH" | "NOTIFY" | "RESPONSE";
  headers: Record<string, string>; // lower-case names: server, user-agent, nt, st, usn, location, nts
}

/** The first line and a few headers of an HTTP/1.x request or response. */
export interface HttpMessage {
  isRequest: boolean;
  method?: string;
  uri?: string;
  status?: number;
  version: string;
  host?: string;
  userAgent?: string;
  server?: string;
  contentType?: string;
  /** "Basic" / "Bearer" / ... when an Authorization header is present; the secret is never kept. */
  authorizationScheme?: string;
  /** Basic auth user name only (never the password). */
  basicUser?: string;
}

/**
 * TLS ClientHello (also found inside QUIC Initial CRYPTO frames). Its lists are shared by the hellos
 * that carry the same values (frozen): read them, copy to change.
 */
export interface TlsClientHello {
  version: number; // legacy_version
  supportedVersions: readonly number[];
  sni?: string;
  alpn: readonly string[];
  cipherSuites: readonly number[];
  extensions: readonly number[]; // in order, GREASE included as seen
  signatureAlgorithms: readonly number[];
  /** supported_groups (elliptic curves) and ec_point_formats, when sent: what JA3 needs besides the above. */
  supportedGroups?: readonly number[];
  ecPointFormats?: readonly number[];
  /** JA4 (FoxIO, BSD-3): e.g. "t13d1516h2_8daaf6152771_e5627efa2ab1". "q" prefix for QUIC. */
  ja4: string;
}
export interface TlsServerHello { version: number; cipherSuite: number; selectedVersion?: number; alpn?: string }

/** TCP SYN / SYN+ACK traits (p0f style). */
export interface TcpSynTraits {
  isSynAck: boolean;
  ttl: number;
  /** Initial TTL guess (32/64/128/255) and hop distance. */
  initialTtl: number;
  window: number;
  mss?: number;
  windowScale?: number;
  /** Option kinds in order as p0f letters: "mss,nop,ws,nop,nop,ts,sok,eol+0". */
  optionLayout: string;
  ipVersion: 4 | 6;
  df: boolean;
  totalLength: number;
}

/** IPv6 neighbour discovery (ICMPv6 133-137). */
export interface NdpMessage {
  type: 133 | 134 | 135 | 136 | 137; // RS, RA, NS, NA, Redirect
  targetAddress?: string; // NS/NA
  sourceLinkAddress?: string; // option 1 (MAC)
  targetLinkAddress?: string; // option 2
  routerLifetime?: number; // RA
  prefixes?: string[]; // RA prefix information "2001:db8::/64"
  flags?: { router?: boolean; solicited?: boolean; override?: boolean; managed?: boolean; other?: boolean };
}

/** ARP (the L2 decoder fills this directly). */
export interface ArpMessage {
  op: number; // 1 request, 2 reply
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
  /** A reply nobody asked for / a request announcing itself (sender ip == target ip). */
  gratuitous: boolean;
}

/** Cleartext login seen on FTP/Telnet/POP3/IMAP/HTTP Basic. The secret itself is never reported. */
export interface CleartextAuth {
  protocol: "FTP" | "Telnet" | "POP3" | "IMAP" | "HTTP" | "SMTP";
  user?: string;
  /** True when a password / PASS / LOGIN secret was sent. */
  secretSent: boolean;
  /** Server verdict when seen: true success, false failure. */
  success?: boolean;
}

/** The service of a flow, from payload first and port second. */
export interface ServiceGuess {
  service: string; // "DNS", "TLS", "HTTP", "QUIC", "SSH", ...
  by: "payload" | "port";
}
