/**
 * Parses plain-text blocklists (one IP, CIDR or domain per line; "#" comments; hosts-file lines
 * "0.0.0.0 bad.example" too) and abuse.ch-style CSV feeds (Feodo Tracker / SSLBL IP lists, URLhaus
 * host lists, SSLBL JA3 fingerprints: the first field that is an indicator counts, the last field
 * of a fingerprint line is its label) into sets that match addresses, domain suffixes and TLS fingerprints.
 */

/** Lines longer than this are not list entries (a binary or a mistake). */
const MAX_LINE = 512;

export interface Blocklist {
  ips: Set<string>;
  /** prefix length -> network addresses (bit strings of that length). */
  cidrs: Map<number, Set<string>>;
  domains: Set<string>;
  /** JA4 fingerprint -> label ("" when the list gives none). */
  ja4: Map<string, string>;
  /** JA3 MD5 -> label (abuse.ch SSLBL's format). */
  ja3: Map<string, string>;
  entries: number;
}

export function emptyBlocklist(): Blocklist {
  return { ips: new Set(), cidrs: new Map(), domains: new Set(), ja4: new Map(), ja3: new Map(), entries: 0 };
}

const JA4 = /^[tqd]\d{2}[di]\d{4}[a-z0-9]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/;
const JA3 = /^[0-9a-f]{32}$/;

function v4Bits(ip: string): string | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let bits = "";
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    bits += Number(p).toString(2).padStart(8, "0");
  }
  return bits;
}

function v6Bits(ip: string): string | undefined {
  if (!ip.includes(":") || !/^[0-9a-fA-F:.]+$/.test(ip)) return undefined;
  const [head, tail, extra] = ip.split("::");
  if (extra !== undefined) return undefined;
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(2).padStart(16, "0")).join("");
}

/** The address as a bit string ("v4:0101..." / "v6:..."), or undefined when it is not an address. */
export function ipBits(ip: string): string | undefined {
  const v4 = v4Bits(ip);
  if (v4) return `4${v4}`;
  const v6 = v6Bits(ip);
  return v6 ? `6${v6}` : undefined;
}

const DOMAIN = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}$/;

export function parseBlocklist(text: string, into: Blocklist = emptyBlocklist()): Blocklist {
  for (const raw of text.split(/\r?\n/)) {
    if (raw.length > MAX_LINE) continue;
    const line = raw.replace(/#.*/, "").trim().toLowerCase();
    if (!line) continue;
    if (line.includes(",")) {
      // CSV: "first_seen,dst_ip,dst_port,..." (Feodo, SSLBL IPs) or "ja3_md5,first,last,reason" (SSLBL JA3).
      const cells = line.split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
      const label = cells[cells.length - 1] ?? "";
      const cell = cells.find((c) => JA4.test(c) || JA3.test(c) || ipBits(c.split("/")[0]!) !== undefined || DOMAIN.test(c));
      if (cell && JA4.test(cell)) { into.ja4.set(cell, label === cell ? "" : label); into.entries++; continue; }
      if (cell && JA3.test(cell)) { into.ja3.set(cell, label === cell ? "" : label); into.entries++; continue; }
      if (cell) addEntry(cell, into);
      continue;
    }
    const fields = line.split(/\s+/);
    // hosts-file format: the sink address first, the domain second.
    const entry = fields.length >= 2 && (fields[0] === "0.0.0.0" || fields[0] === "127.0.0.1") ? fields[1] : fields[0];
    if (JA4.test(entry)) { into.ja4.set(entry, fields.slice(1).join(" ")); into.entries++; continue; }
    if (JA3.test(entry)) { into.ja3.set(entry, fields.slice(1).join(" ")); into.entries++; continue; }
    addEntry(entry, into);
  }
  return into;
}

function addEntry(entry: string, into: Blocklist): void {
  const [addr, prefix] = entry.split("/");
  const bits = ipBits(addr);
  if (bits) {
    const len = prefix === undefined ? bits.length - 1 : Number(prefix);
    if (!Number.isInteger(len) || len < 0 || len > bits.length - 1) return;
    if (len === bits.length - 1) into.ips.add(bits);
    else {
      const key = bits[0] === "4" ? len : 1000 + len; // v4 and v6 prefixes kept apart
      let set = into.cidrs.get(key);
      if (!set) into.cidrs.set(key, (set = new Set()));
      set.add(bits.slice(0, len + 1));
    }
    into.entries++;
  } else if (DOMAIN.test(entry.replace(/^\*\./, "").replace(/\.$/, ""))) {
    into.domains.add(entry.replace(/^\*\./, "").replace(/\.$/, ""));
    into.entries++;
  }
}

export function matchIp(list: Blocklist, ip: string): boolean {
  const bits = ipBits(ip);
  if (!bits) return false;
  if (list.ips.has(bits)) return true;
  const v4 = bits[0] === "4";
  for (const [key, set] of list.cidrs) {
    if (v4 !== key < 1000) continue;
    const len = v4 ? key : key - 1000;
    if (set.has(bits.slice(0, len + 1))) return true;
  }
  return false;
}

/** The listed domain a name falls under ("a.bad.example" matches "bad.example"), if any. */
export function matchDomain(list: Blocklist, name: string): string | undefined {
  let n = name.toLowerCase().replace(/\.$/, "");
  while (n.includes(".")) {
    if (list.domains.has(n)) return n;
    n = n.slice(n.indexOf(".") + 1);
  }
  return list.domains.has(n) ? n : undefined;
}
