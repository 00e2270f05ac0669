/**
 * The service of a flow from one payload packet: payload signatures first (nDPI-style, a table of
 * cheap tests), then the well-known port table. Names match the analytics/service vocabulary.
 */
import type { ServiceGuess } from "./types.ts";
import { u8, u16, u32 } from "./read.ts";
import { isKnownQuicLongHeader } from "./quic.ts";

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const DNS_HEADER = 12;
const MAX_DNS_COUNT = 64; // more questions/records than this in one datagram is not DNS we want
const DHCP_COOKIE_AT = 236;
const DHCP_COOKIE = 0x63825363;
const STUN_COOKIE = 0x2112a442;
const MAX_PREFIX = 64; // bytes of text a signature test looks at

/** Well-known ports, "proto/port" -> service. */
export const PORT_SERVICES: Record<string, string> = {
  "udp/53": "DNS", "tcp/53": "DNS", "tcp/853": "DNS", "udp/853": "DNS",
  "udp/5353": "mDNS", "udp/5355": "LLMNR", "tcp/5355": "LLMNR",
  "udp/137": "NetBIOS", "udp/138": "NetBIOS", "tcp/139": "NetBIOS",
  "udp/67": "DHCP", "udp/68": "DHCP", "udp/546": "DHCPv6", "udp/547": "DHCPv6",
  "udp/123": "NTP", "udp/1900": "SSDP",
  "tcp/80": "HTTP", "tcp/81": "HTTP", "tcp/8080": "HTTP", "tcp/8000": "HTTP", "tcp/8181": "HTTP", "tcp/3128": "HTTP",
  "tcp/443": "TLS", "tcp/8443": "TLS", "tcp/993": "TLS", "tcp/995": "TLS", "tcp/465": "TLS",
  "udp/443": "QUIC",
  "tcp/22": "SSH", "tcp/21": "FTP", "tcp/20": "FTP", "tcp/25": "SMTP", "tcp/587": "SMTP",
  "tcp/143": "IMAP", "tcp/110": "POP3", "tcp/445": "SMB", "tcp/3389": "RDP", "udp/3389": "RDP",
  "tcp/23": "Telnet", "udp/3478": "STUN", "tcp/3478": "STUN", "udp/19302": "STUN",
  "tcp/1883": "MQTT", "tcp/8883": "MQTT", "tcp/6881": "BitTorrent", "udp/6881": "BitTorrent",
  "udp/161": "SNMP", "udp/162": "SNMP", "udp/514": "Syslog", "tcp/514": "Syslog",
  "udp/500": "IPsec", "udp/4500": "IPsec", "udp/1194": "OpenVPN", "tcp/1194": "OpenVPN",
  "udp/51820": "WireGuard", "udp/5060": "SIP", "tcp/5060": "SIP", "tcp/5061": "SIP", "udp/69": "TFTP",
  "tcp/5222": "XMPP", "tcp/631": "IPP", "tcp/9100": "JetDirect", "udp/5683": "CoAP",
  "tcp/3306": "MySQL", "tcp/5432": "PostgreSQL", "tcp/6379": "Redis", "tcp/5900": "VNC", "tcp/5901": "VNC", "tcp/5800": "VNC",
  "tcp/548": "AFP", "tcp/2049": "NFS", "udp/2049": "NFS", "tcp/111": "RPC", "udp/111": "RPC",
  "tcp/179": "BGP", "tcp/2605": "BGP", "udp/520": "RIP", "udp/1701": "L2TP", "tcp/1723": "PPTP",
  "tcp/554": "RTSP", "tcp/7000": "AirPlay", "tcp/8009": "TLS", "tcp/5228": "TLS",
  "tcp/8333": "Bitcoin", "udp/3702": "WS-Discovery", "udp/10001": "Ubiquiti",
  "udp/5351": "NAT-PMP", "tcp/389": "LDAP", "udp/389": "LDAP", "tcp/43": "WHOIS", "tcp/1433": "MSSQL",
  "tcp/1720": "H323", "udp/1719": "H323", "tcp/6789": "Ceph", "tcp/3300": "Ceph", "udp/10000": "CiscoVPN",
  "tcp/88": "Kerberos", "udp/88": "Kerberos", "tcp/135": "RPC", "udp/427": "SLP", "tcp/427": "SLP",
  "tcp/646": "LDP", "udp/646": "LDP", "tcp/873": "rsync", "tcp/902": "VMware", "udp/902": "VMware",
  "tcp/1080": "SOCKS", "udp/1812": "RADIUS", "udp/1813": "RADIUS",
};

/** IP protocols that are a service by themselves (no ports). */
export const IP_PROTOCOL_SERVICES: Record<number, string> = { 47: "GRE", 50: "IPsec", 51: "IPsec", 89: "OSPF", 112: "VRRP" };

type Test = (b: Uint8Array, off: number, len: number, sport: number, dport: number) => boolean;
interface Signature { service: string | ((b: Uint8Array, off: number, len: number, sport: number, dport: number) => string | undefined); proto: number; test: Test }

const onPort = (sport: number, dport: number, ...ports: number[]) => ports.includes(sport) || ports.includes(dport);

function ascii(b: Uint8Array, off: number, len: number, max = MAX_PREFIX): string {
  const end = Math.min(off + len, b.length, off + max);
  let s = "";
  for (let i = off; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

function startsWith(b: Uint8Array, off: number, len: number, text: string): boolean {
  if (len < text.length || off + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[off + i] !== text.charCodeAt(i)) return false;
  return true;
}

function dnsHeaderSane(b: Uint8Array, off: number, len: number): boolean {
  const end = off + len;
  const flags = u16(b, off + 2, end);
  const qd = u16(b, off + 4, end);
  const an = u16(b, off + 6, end);
  const ns = u16(b, off + 8, end);
  const ar = u16(b, off + 10, end);
  if (flags === undefined || qd === undefined || an === undefined || ns === undefined || ar === undefined) return false;
  const opcode = (flags >> 11) & 0xf;
  const isResponse = (flags & 0x8000) !== 0;
  if (opcode > 6 || opcode === 3 || (flags & 0x0040) !== 0) return false; // reserved opcode / Z bit
  if (qd > MAX_DNS_COUNT || an > MAX_DNS_COUNT || ns > MAX_DNS_COUNT || ar > MAX_DNS_COUNT) return false;
  return isResponse ? qd + an + ns + ar > 0 : qd > 0 || opcode === 5 || ar > 0;
}

const DNS_BY_PORT: Record<number, string> = { 53: "DNS", 5353: "mDNS", 5355: "LLMNR" };

function dnsService(b: Uint8Array, off: number, len: number, sport: number, dport: number): string | undefined {
  const port = DNS_BY_PORT[dport] ? dport : DNS_BY_PORT[sport] ? sport : 0;
  return port && len >= DNS_HEADER && dnsHeaderSane(b, off, len) ? DNS_BY_PORT[port] : undefined;
}

function dnsTcpService(b: Uint8Array, off: number, len: number, sport: number, dport: number): string | undefined {
  const msgLen = u16(b, off, off + len);
  if (msgLen === undefined || msgLen < DNS_HEADER) return undefined;
  return dnsService(b, off + 2, len - 2, sport, dport);
}

const HTTP_METHODS = ["GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "PROPFIND ", "TRACE "];

/** Whether the payload starts with an HTTP method: a loop, not HTTP_METHODS.some(closure) (a scope made per TCP packet tried). */
function httpMethod(b: Uint8Array, off: number, len: number): boolean {
  for (let k = 0; k < HTTP_METHODS.length; k++) if (startsWith(b, off, len, HTTP_METHODS[k]!)) return true;
  return false;
}

/** "220 ..." greets both FTP and SMTP: the text or the port decides. */
function greeting220(b: Uint8Array, off: number, len: number, sport: number, dport: number): string | undefined {
  if (!startsWith(b, off, len, "220 ") && !startsWith(b, off, len, "220-")) return undefined;
  const text = ascii(b, off, len, 256);
  if (/E?SMTP|Postfix|Exim|Sendmail|mail/i.test(text)) return "SMTP";
  if (/FTP/i.test(text)) return "FTP";
  if (onPort(sport, dport, 25, 587, 2525)) return "SMTP";
  if (onPort(sport, dport, 21)) return "FTP";
  return undefined;
}

function smb(b: Uint8Array, off: number, len: number): boolean {
  // NetBIOS session message (type 0), then the SMB1 (\xffSMB), SMB2 (\xfeSMB) or transform (\xfdSMB) magic.
  if (len < 8 || u8(b, off, off + len) !== 0) return false;
  const m = u32(b, off + 4, off + len);
  return m === 0xff534d42 || m === 0xfe534d42 || m === 0xfd534d42;
}

function rdp(b: Uint8Array, off: number, len: number): boolean {
  // TPKT v3 whose length is the segment, then an X.224 connection request (0xe0) or confirm (0xd0).
  const end = off + len;
  if (u8(b, off, end) !== 3 || u8(b, off + 1, end) !== 0) return false;
  const tpktLen = u16(b, off + 2, end);
  const li = u8(b, off + 4, end);
  const code = u8(b, off + 5, end);
  return tpktLen === len && li !== undefined && li + 5 <= len && (code === 0xe0 || code === 0xd0);
}

function stun(b: Uint8Array, off: number, len: number): boolean {
  const end = off + len;
  const type = u16(b, off, end);
  const msgLen = u16(b, off + 2, end);
  return type !== undefined && (type & 0xc000) === 0 && u32(b, off + 4, end) === STUN_COOKIE && msgLen !== undefined && msgLen + 20 <= len && msgLen % 4 === 0;
}

function mqttConnect(b: Uint8Array, off: number, len: number): boolean {
  if (u8(b, off, off + len) !== 0x10) return false;
  let p = off + 1;
  for (let i = 0; i < 4; i++) { // remaining length: up to four varint bytes
    const v = u8(b, p++, off + len);
    if (v === undefined) return false;
    if ((v & 0x80) === 0) break;
  }
  return startsWith(b, p, off + len - p, "\x00\x04MQTT") || startsWith(b, p, off + len - p, "\x00\x06MQIsdp");
}

function ntp(b: Uint8Array, off: number, len: number): boolean {
  const first = u8(b, off, off + len);
  if (first === undefined || len < 48) return false;
  const version = (first >> 3) & 7;
  const mode = first & 7;
  return version >= 1 && version <= 4 && mode >= 1 && mode <= 5;
}

function gquic(b: Uint8Array, off: number, len: number): boolean {
  // Google QUIC: public flags with the version bit, then "Q0xx" (or IETF-style long header with it).
  const end = off + len;
  const flags = u8(b, off, end);
  if (flags === undefined) return false;
  const at = (flags & 0x80) !== 0 ? off + 1 : (flags & 0x01) !== 0 ? off + 1 + ((flags & 0x08) !== 0 ? 8 : 0) : -1;
  return at >= 0 && u8(b, at, end) === 0x51 && u8(b, at + 1, end) === 0x30; // "Q0"
}

function wireguard(b: Uint8Array, off: number, len: number): boolean {
  const type = u8(b, off, off + len);
  if (type === undefined || u8(b, off + 1, off + len) !== 0 || u16(b, off + 2, off + len) !== 0) return false;
  return (type === 1 && len === 148) || (type === 2 && len === 92) || (type === 3 && len === 64) || (type === 4 && len >= 32 && len % 16 === 0);
}

const GNUTELLA_HEADER = 23;
// Ping, Pong, Bye, vendor (0x31, 0x32), Push, DHT (0x44), Query, Query hit.
const GNUTELLA_TYPES = new Set([0x00, 0x01, 0x02, 0x31, 0x32, 0x40, 0x44, 0x80, 0x81]);

/** A Gnutella descriptor: GUID(16), type, TTL, hops, payload length (u32 LE) = the rest of the datagram. */
function gnutellaDescriptor(b: Uint8Array, off: number, len: number): boolean {
  if (len < GNUTELLA_HEADER || off + len > b.length) return false;
  if (!GNUTELLA_TYPES.has(b[off + 16]) || b[off + 17] > 15 || b[off + 18] > 15) return false;
  const payload = b[off + 19] | (b[off + 20] << 8) | (b[off + 21] << 16) | (b[off + 22] << 24);
  return payload === len - GNUTELLA_HEADER;
}

/** Payload signatures, most specific first. */
const SIGNATURES: Signature[] = [
  { service: dnsService, proto: IPPROTO_UDP, test: () => true },
  { service: dnsTcpService, proto: IPPROTO_TCP, test: () => true },
  { service: "TLS", proto: IPPROTO_TCP, test: (b, o, l) => l >= 6 && b[o] === 0x16 && b[o + 1] === 3 && b[o + 2] <= 4 && (b[o + 5] === 1 || b[o + 5] === 2) },
  { service: "SSH", proto: IPPROTO_TCP, test: (b, o, l) => startsWith(b, o, l, "SSH-") },
  { service: "HTTP", proto: IPPROTO_TCP, test: (b, o, l) => startsWith(b, o, l, "HTTP/1.") || httpMethod(b, o, l) },
  { service: "SSDP", proto: IPPROTO_UDP, test: (b, o, l) => startsWith(b, o, l, "M-SEARCH * ") || startsWith(b, o, l, "NOTIFY * ") || (startsWith(b, o, l, "HTTP/1.1 200") && /\r\n(ST|USN):/i.test(ascii(b, o, l, 1024))) },
  { service: "QUIC", proto: IPPROTO_UDP, test: (b, o, l) => isKnownQuicLongHeader(b, o, l) || gquic(b, o, l) },
  { service: "DHCP", proto: IPPROTO_UDP, test: (b, o, l) => l >= 240 && (b[o] === 1 || b[o] === 2) && u32(b, o + DHCP_COOKIE_AT, o + l) === DHCP_COOKIE },
  { service: "NTP", proto: IPPROTO_UDP, test: (b, o, l, s, d) => onPort(s, d, 123) && ntp(b, o, l) },
  { service: "SMB", proto: IPPROTO_TCP, test: smb },
  { service: "RDP", proto: IPPROTO_TCP, test: rdp },
  { service: greeting220, proto: IPPROTO_TCP, test: () => true },
  { service: "SMTP", proto: IPPROTO_TCP, test: (b, o, l) => startsWith(b, o, l, "EHLO ") || startsWith(b, o, l, "HELO ") },
  { service: "POP3", proto: IPPROTO_TCP, test: (b, o, l) => startsWith(b, o, l, "+OK") },
  { service: "IMAP", proto: IPPROTO_TCP, test: (b, o, l) => startsWith(b, o, l, "* OK") || startsWith(b, o, l, "* PREAUTH") },
  { service: "Telnet", proto: IPPROTO_TCP, test: (b, o, l) => l >= 3 && b[o] === 0xff && b[o + 1] >= 0xfb && b[o + 1] <= 0xfe },
  { service: "BitTorrent", proto: IPPROTO_TCP, test: (b, o, l) => startsWith(b, o, l, "\x13BitTorrent protocol") },
  { service: "BitTorrent", proto: IPPROTO_UDP, test: (b, o, l) => startsWith(b, o, l, "d1:ad2:id20:") || startsWith(b, o, l, "d1:rd2:id20:") },
  { service: "Gnutella", proto: IPPROTO_TCP, test: (b, o, l) => startsWith(b, o, l, "GNUTELLA ") || startsWith(b, o, l, "GNUTELLA/") },
  { service: "Gnutella", proto: IPPROTO_UDP, test: (b, o, l) => (l >= 12 && startsWith(b, o, l, "GND")) || gnutellaDescriptor(b, o, l) },
  { service: "STUN", proto: IPPROTO_UDP, test: stun },
  { service: "STUN", proto: IPPROTO_TCP, test: stun },
  { service: "MQTT", proto: IPPROTO_TCP, test: mqttConnect },
  { service: "WireGuard", proto: IPPROTO_UDP, test: wireguard },
];

/** The signatures of each transport, in the table's order (one array walk per packet, no protocol test). */
const TCP_SIGNATURES = SIGNATURES.filter((sig) => sig.proto === IPPROTO_TCP);
const UDP_SIGNATURES = SIGNATURES.filter((sig) => sig.proto === IPPROTO_UDP);

/**
 * One frozen guess per (service, how), shared by every packet that gets it: identifyService runs on
 * the first payload packets of every flow, and its answer is read at once (service, by), never kept.
 */
const payloadGuesses = new Map<string, ServiceGuess>();
const portGuesses = new Map<string, ServiceGuess>();

function guessOf(service: string, by: "payload" | "port"): ServiceGuess {
  const guesses = by === "payload" ? payloadGuesses : portGuesses;
  let guess = guesses.get(service);
  if (guess === undefined) guesses.set(service, (guess = Object.freeze({ service, by })));
  return guess;
}

export function identifyService(bytes: Uint8Array, offset: number, length: number, ipProtocol: number, srcPort: number, dstPort: number): ServiceGuess | undefined {
  const len = Math.min(length, bytes.length - offset);
  const signatures = ipProtocol === IPPROTO_TCP ? TCP_SIGNATURES : ipProtocol === IPPROTO_UDP ? UDP_SIGNATURES : undefined;
  if (signatures !== undefined && offset >= 0 && len > 0) {
    for (const sig of signatures) {
      if (!sig.test(bytes, offset, len, srcPort, dstPort)) continue;
      const service = typeof sig.service === "string" ? sig.service : sig.service(bytes, offset, len, srcPort, dstPort);
      if (service) return guessOf(service, "payload");
    }
  }
  return serviceByPort(ipProtocol, srcPort, dstPort);
}

/** PORT_SERVICES as one array per transport, indexed by port: a lookup per packet without a key string. */
function portTable(proto: string): (string | undefined)[] {
  const table = new Array<string | undefined>(65536).fill(undefined);
  for (const [key, service] of Object.entries(PORT_SERVICES)) {
    const [p, port] = key.split("/");
    if (p === proto) table[Number(port)] = service;
  }
  return table;
}
const TCP_PORTS = portTable("tcp");
const UDP_PORTS = portTable("udp");

/** The port table, trying the lower (usually the server's) port first; portless IP protocols by number. */
export function serviceByPort(ipProtocol: number, srcPort: number, dstPort: number): ServiceGuess | undefined {
  const table = ipProtocol === IPPROTO_TCP ? TCP_PORTS : ipProtocol === IPPROTO_UDP ? UDP_PORTS : undefined;
  if (!table) {
    const service = IP_PROTOCOL_SERVICES[ipProtocol];
    return service ? guessOf(service, "port") : undefined;
  }
  const lo = srcPort < dstPort ? srcPort : dstPort, hi = srcPort < dstPort ? dstPort : srcPort;
  const service = table[lo] ?? table[hi];
  return service ? guessOf(service, "port") : undefined;
}
