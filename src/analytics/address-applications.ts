/**
 * Applications known by server address or LAN port, for flows that never name a host (nDPI's IP
 * lists in spirit): Telegram's and Teams' own networks, Google's, Dropbox and Spotify LAN discovery.
 * Only networks that an application owns outright belong here, never shared cloud ranges.
 */
import type { AppCategory } from "./applications.ts";
import { ipv4Number as dottedQuadNumber } from "../util/locality.ts";

export interface AddressApplication { app: string; category: AppCategory; prefixes: string[] }
export interface PortApplication { app: string; category: AppCategory; ipProtocol: number; port: number }

export const ADDRESS_APPLICATIONS: AddressApplication[] = [
  { app: "Telegram", category: "messaging", prefixes: [
    "91.108.4.0/22", "91.108.8.0/22", "91.108.12.0/22", "91.108.16.0/22", "91.108.20.0/22", "91.108.56.0/22",
    "149.154.160.0/20", "95.161.64.0/20", "185.76.151.0/24", "2001:67c:4e8::/48", "2001:b28:f23d::/48", "2001:b28:f23f::/48",
  ] },
  { app: "Microsoft Teams", category: "conferencing", prefixes: ["52.112.0.0/14", "52.120.0.0/14"] },
  { app: "Google", category: "web", prefixes: [
    "64.233.160.0/19", "66.102.0.0/20", "66.249.64.0/19", "72.14.192.0/18", "74.125.0.0/16", "108.177.0.0/17",
    "142.250.0.0/15", "172.217.0.0/16", "172.253.0.0/16", "173.194.0.0/16", "209.85.128.0/17", "216.58.192.0/19",
    "216.239.32.0/19", "2001:4860::/32", "2404:6800::/32", "2607:f8b0::/32", "2800:3f0::/32", "2a00:1450::/32",
  ] },
  { app: "Facebook", category: "social", prefixes: [
    "31.13.24.0/21", "31.13.64.0/18", "157.240.0.0/16", "179.60.192.0/22", "185.60.216.0/22", "66.220.144.0/20",
    "69.63.176.0/20", "69.171.224.0/19", "173.252.64.0/18", "2a03:2880::/32",
  ] },
  { app: "Netflix", category: "video", prefixes: [
    "23.246.0.0/18", "37.77.184.0/21", "45.57.0.0/17", "64.120.128.0/17", "66.197.128.0/17", "108.175.32.0/20",
    "192.173.64.0/18", "198.38.96.0/19", "198.45.48.0/20", "2a00:86c0::/32",
  ] },
  { app: "Cloudflare", category: "cdn", prefixes: ["1.1.1.0/24", "1.0.0.0/24", "104.16.0.0/13", "172.64.0.0/13", "162.158.0.0/15", "2606:4700::/32"] },
  { app: "KakaoTalk", category: "messaging", prefixes: ["110.76.140.0/22"] },
];

/** LAN discovery and device protocols that belong to one application. */
export const PORT_APPLICATIONS: PortApplication[] = [
  { app: "Dropbox", category: "storage", ipProtocol: 17, port: 17500 }, // LAN sync discovery broadcasts
  { app: "Spotify", category: "music", ipProtocol: 17, port: 57621 }, // Spotify Connect discovery
  { app: "Google Nest", category: "iot", ipProtocol: 6, port: 11095 }, // Nest Weave log sink
];

export interface AddressMatch { application: string; category: AppCategory }

/** Addresses whose answer is remembered; the cache starts over past this. */
const MAX_CACHED_ADDRESSES = 1 << 16;

/** Longest-prefix lookup: one Map probe per prefix length present in the table. */
export class AddressMatcher {
  readonly #v4 = new Map<number, Map<number, AddressMatch>>();
  readonly #v6 = new Map<number, Map<string, AddressMatch>>();
  readonly #ports = new Map<number, AddressMatch>();
  readonly #cache = new Map<string, AddressMatch | null>();
  /** #v4 as two arrays (longest first): probed per flow, with no Map iterator or entry pair made. */
  readonly #v4Bits: number[];
  readonly #v4Maps: Map<number, AddressMatch>[];
  /** The first 32 bits of every IPv6 prefix (all are /32 or longer), or null when some prefix is shorter. */
  readonly #v6Top: Set<number> | null;
  /** Per /16 block of IPv4 space, 1 when some prefix meets it: most servers are answered by this one read. */
  readonly #v4Blocks = new Uint8Array(65536);
  /** Per port, 1 when some port application uses it (either transport): most flows skip both lookups. */
  readonly #portFlags = new Uint8Array(65536);

  constructor(table: readonly AddressApplication[] = ADDRESS_APPLICATIONS, ports: readonly PortApplication[] = PORT_APPLICATIONS) {
    for (const row of table) {
      for (const prefix of row.prefixes) this.#add(prefix, { application: row.app, category: row.category });
    }
    for (const p of ports) {
      this.#ports.set(p.ipProtocol * 65536 + p.port, { application: p.app, category: p.category });
      if (p.port >= 0 && p.port < 65536) this.#portFlags[p.port] = 1;
    }
    // Longest prefixes first.
    sortKeysDesc(this.#v4);
    sortKeysDesc(this.#v6);
    this.#v4Bits = [...this.#v4.keys()];
    this.#v4Maps = [...this.#v4.values()];
    for (const [bits, m] of this.#v4) {
      for (const prefix of m.keys()) {
        const first = prefix >>> 16, count = bits >= 16 ? 1 : 2 ** (16 - bits);
        this.#v4Blocks.fill(1, first, first + count);
      }
    }
    this.#v6Top = [...this.#v6.keys()].every((bits) => bits >= 32)
      ? new Set([...this.#v6.values()].flatMap((m) => [...m.keys()].map((hex) => parseInt(hex.slice(0, 8), 16))))
      : null;
  }

  matchAddress(ip: string | null | undefined): AddressMatch | undefined {
    if (!ip) return undefined;
    // A dotted quad is read by character codes and probed by number; an IPv6 address outside every
    // /32 of the table is answered from its first two groups: neither needs a cache entry.
    const quad = dottedQuadNumber(ip);
    if (quad >= 0) return this.matchIpv4(quad);
    if (this.#v6Top && ip.includes(":")) {
      const top = ipv6Top32(ip);
      if (top >= 0 && !this.#v6Top.has(top)) return undefined;
    }
    // Flows repeat their servers: each other address is parsed and probed once (bounded cache).
    const cached = this.#cache.get(ip);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.#lookup(ip);
    if (this.#cache.size >= MAX_CACHED_ADDRESSES) this.#cache.clear();
    this.#cache.set(ip, found ?? null);
    return found;
  }

  /**
   * matchAddress for an IPv4 address as a number (the flow table's form): a few integer probes, so
   * neither text nor a cache entry per server address (a capture talks to tens of thousands).
   */
  matchIpv4(n: number): AddressMatch | undefined {
    if (this.#v4Blocks[n >>> 16] === 0) return undefined;
    const lengths = this.#v4Bits, maps = this.#v4Maps;
    for (let k = 0; k < lengths.length; k++) {
      const bits = lengths[k]!;
      const hit = maps[k]!.get(bits === 0 ? 0 : (n >>> (32 - bits)) << (32 - bits) >>> 0);
      if (hit) return hit;
    }
    return undefined;
  }

  #lookup(ip: string): AddressMatch | undefined {
    if (ip.includes(":")) {
      // Most IPv6 servers share no /32 with the table: answered from two groups, not the whole address.
      const top = this.#v6Top ? ipv6Top32(ip) : -1;
      if (top >= 0 && !this.#v6Top!.has(top)) return undefined;
      const hex = ipv6Hex(ip);
      if (!hex) return undefined;
      for (const [bits, m] of this.#v6) {
        const hit = m.get(hex.slice(0, bits / 4));
        if (hit) return hit;
      }
      return undefined;
    }
    const n = ipv4Number(ip);
    return n === undefined ? undefined : this.matchIpv4(n);
  }

  matchPort(ipProtocol: number, srcPort: number, dstPort: number): AddressMatch | undefined {
    const flags = this.#portFlags;
    if (flags[dstPort & 0xffff] === 0 && flags[srcPort & 0xffff] === 0 && dstPort >= 0 && dstPort < 65536 && srcPort >= 0 && srcPort < 65536) return undefined;
    return this.#ports.get(ipProtocol * 65536 + dstPort) ?? this.#ports.get(ipProtocol * 65536 + srcPort);
  }

  #add(prefix: string, match: AddressMatch): void {
    const slash = prefix.indexOf("/");
    const bits = Number(prefix.slice(slash + 1));
    const addr = prefix.slice(0, slash);
    if (addr.includes(":")) {
      const hex = ipv6Hex(addr);
      // Nibble-aligned prefixes only: that is all the table needs.
      if (!hex || bits % 4 !== 0) throw new Error(`bad IPv6 prefix ${prefix}`);
      getOrMake(this.#v6, bits).set(hex.slice(0, bits / 4), match);
    } else {
      const n = ipv4Number(addr);
      if (n === undefined || !(bits >= 0 && bits <= 32)) throw new Error(`bad IPv4 prefix ${prefix}`);
      getOrMake(this.#v4, bits).set(bits === 0 ? 0 : (n >>> (32 - bits)) << (32 - bits) >>> 0, match);
    }
  }
}

function getOrMake<K, V>(m: Map<number, Map<K, V>>, bits: number): Map<K, V> {
  let inner = m.get(bits);
  if (!inner) m.set(bits, (inner = new Map()));
  return inner;
}

function sortKeysDesc<V>(m: Map<number, V>): void {
  const entries = [...m].sort((a, b) => b[0] - a[0]);
  m.clear();
  for (const [k, v] of entries) m.set(k, v);
}

export function ipv4Number(ip: string): number | undefined {
  // Dotted digits (every address the flows and the labeler hand in) by character codes, no split.
  const quad = dottedQuadNumber(ip);
  if (quad >= 0) return quad;
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!Number.isInteger(v) || v < 0 || v > 255 || p === "") return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** 32 lower-case hex digits of an IPv6 address, or undefined. */
export function ipv6Hex(ip: string): string | undefined {
  const zone = ip.indexOf("%");
  const text = (zone >= 0 ? ip.slice(0, zone) : ip).toLowerCase();
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let out = "";
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
    out += g.padStart(4, "0");
  }
  return out.length === 32 ? out : undefined;
}

/**
 * The first 32 bits of IPv6 text written with two full groups first ("2001:db8:..."), or -1 (a "::"
 * among them, or anything else): then the caller reads the whole address.
 */
function ipv6Top32(ip: string): number {
  let value = 0, group = 0, digits = 0, groups = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 58) {
      if (digits === 0) return -1;
      value = value * 0x10000 + group;
      if (++groups === 2) return value;
      group = digits = 0;
      continue;
    }
    const l = c | 0x20;
    const d = c >= 48 && c <= 57 ? c - 48 : l >= 97 && l <= 102 ? l - 87 : -1;
    if (d < 0 || ++digits > 4) return -1;
    group = group * 16 + d;
  }
  return -1;
}
