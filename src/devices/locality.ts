/**
 * Which IP addresses belong to the local segment. Learned from ARP, DHCP and NDP (IPv4 /24 and
 * IPv6 /64 around each address seen there, plus RA prefixes); link-local addresses are always
 * local; so are the other local ranges (src/util/locality.ts), except on a gateway's MAC (see tracker.ts).
 */
import { canonicalIpv4, isHostAddress, isHostIpv4, isIpv6, isLinkLocal, isLocalAddress, isLocalIpv4 } from "../util/locality.ts";

/** Cap on learned prefixes: a hostile capture must not grow this without bound. */
const MAX_PREFIXES = 256;

/**
 * The first four 16-bit groups of an IPv6 address ("2001:db8:0:1"), expanding "::". Groups are
 * found by indexOf, not split / map / regex: every new address a device talks to comes here.
 */
export function v6Prefix64(ip: string): string | undefined {
  const clean = isPlain(ip) ? ip : ip.split("%")[0]!.split("/")[0]!.toLowerCase();
  const gap = clean.indexOf("::");
  if (gap >= 0 && clean.indexOf("::", gap + 2) >= 0) return undefined;
  const groups: string[] = [];
  const head = gap < 0 ? clean : clean.slice(0, gap);
  const headCount = head ? firstGroups(head, groups) : 0;
  if (gap < 0) return headCount < 4 ? undefined : groups.join(":");
  const tail = clean.slice(gap + 2);
  const tailCount = tail ? tail.split(":").length : 0;
  for (let zeros = Math.max(0, 8 - headCount - tailCount); zeros > 0 && groups.length < 4; zeros--) groups.push("0");
  if (groups.length < 4 && tail) firstGroups(tail, groups);
  return groups.join(":");
}

/** No zone id, no prefix length, no upper case: the text is its own clean form. */
function isPlain(ip: string): boolean {
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 37 || c === 47 || (c >= 65 && c <= 90)) return false;
  }
  return true;
}

/** Pushes the ":"-separated groups of `text` (leading zeros dropped, one digit kept) until `out` holds 4; returns how many groups it has. */
function firstGroups(text: string, out: string[]): number {
  let count = 0, start = 0;
  for (;;) {
    const end = text.indexOf(":", start);
    const stop = end < 0 ? text.length : end;
    if (out.length < 4) {
      let from = start;
      while (from < stop - 1 && text.charCodeAt(from) === 48) from++;
      out.push(text.slice(from, stop));
    }
    count++;
    if (end < 0) return count;
    start = end + 1;
  }
}

/**
 * A /64 as v6Prefix64 writes it ("2001:db8:0:1": four groups of lower-case hex, no leading zeros) as
 * its two 32-bit words; undefined for any other text (no address's own /64 is written so).
 */
function prefix64Words(p: string): [number, number] | undefined {
  const groups = p.split(":");
  if (groups.length !== 4) return undefined;
  const v: number[] = [];
  for (const g of groups) {
    if (!/^(0|[1-9a-f][0-9a-f]{0,3})$/.test(g)) return undefined;
    v.push(parseInt(g, 16));
  }
  return [(v[0]! * 0x10000 + v[1]!) >>> 0, (v[2]! * 0x10000 + v[3]!) >>> 0];
}

function prefixOf(ip: string): string | undefined {
  if (isIpv6(ip)) return v6Prefix64(ip);
  const last = ip.lastIndexOf(".");
  return last > 0 ? ip.slice(0, last) : undefined;
}

/** Answers remembered per address (bits below); forgotten when a prefix is learned or past the cap. */
const MAX_CACHED = 1 << 15;
/** What the tracker asks about an address, answered in one cached probe. */
export const LOCAL = 1, KNOWN_LOCAL = 2, HOST = 4;

export class Locality {
  private readonly prefixes = new Set<string>();
  /** The IPv4 prefixes among them as numbers (address >>> 8): flows ask by number, with no text. */
  private readonly prefixes4 = new Set<number>();
  /** How many of `prefixes` are IPv6 /64s: none learned, no IPv6 address needs its /64 worked out. */
  private v6Prefixes = 0;
  /** The IPv6 /64s among them as numbers (first word -> second words), for flags6. */
  private readonly prefixes6 = new Map<number, Set<number>>();
  /** IPv6 answers (IPv4 ones are a few integer tests, see flags4). */
  private readonly answers = new Map<string, number>();

  /**
   * LOCAL | KNOWN_LOCAL | HOST bits for an address. IPv4 text is read by character codes; IPv6
   * answers are cached, one Map probe per call: devices see the same addresses flow after flow,
   * and the string work (prefix slicing, range parsing) runs once each.
   */
  flags(ip: string): number {
    const n = canonicalIpv4(ip);
    if (n >= 0) return this.flags4(n);
    let a = this.answers.get(ip);
    if (a === undefined) {
      a = this.compute(ip);
      if (this.answers.size >= MAX_CACHED) this.answers.clear();
      this.answers.set(ip, a);
    }
    return a;
  }

  /** `flags` of an IPv4 address given as a number (the flow table's form). */
  flags4(n: number): number {
    const host = isHostIpv4(n);
    const known = n >>> 16 === 0xa9fe || this.prefixes4.has(n >>> 8);
    const local = host && (known || isLocalIpv4(n));
    return (host ? HOST : 0) | (local ? LOCAL : 0) | (known ? KNOWN_LOCAL : 0);
  }

  /**
   * `flags` of an IPv6 address given as its four 32-bit words (the flow table's form): what `flags`
   * answers for the address's text as the capture path spells it, with no text made.
   */
  flags6(w0: number, w1: number, w2: number, w3: number): number {
    const g = w0 >>> 16;
    // isHostAddress: not "::", and the text does not start with "ff" (the first group written without leading zeros).
    const host = (w0 | w1 | w2 | w3) !== 0 && g !== 0xff && g >>> 4 !== 0xff && g >>> 8 !== 0xff;
    const linkLocal = (g & 0xffc0) === 0xfe80;
    const known = linkLocal || (this.v6Prefixes > 0 && this.prefixes6.get(w0)?.has(w1) === true);
    const loopback = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 1;
    const local = host && (known || (g & 0xfe00) === 0xfc00 || loopback);
    return (host ? HOST : 0) | (local ? LOCAL : 0) | (known ? KNOWN_LOCAL : 0);
  }

  private addPrefix(p: string): boolean {
    if (this.prefixes.has(p) || this.prefixes.size >= MAX_PREFIXES) return false;
    this.prefixes.add(p);
    const v6 = isIpv6(p);
    if (v6) {
      this.v6Prefixes++;
      const words = prefix64Words(p);
      if (words) {
        let second = this.prefixes6.get(words[0]);
        if (!second) this.prefixes6.set(words[0], (second = new Set()));
        second.add(words[1]);
      }
    }
    const n = v6 ? -1 : canonicalIpv4(p + ".0");
    if (n >= 0) this.prefixes4.add(n >>> 8);
    this.answers.clear();
    return true;
  }

  /** An address seen in ARP / DHCP / NDP: its /24 or /64 is the local segment. True when that was news. */
  learnAddress(ip: string): boolean {
    if (!isHostAddress(ip) || isLinkLocal(ip)) return false;
    const p = prefixOf(ip);
    return p ? this.addPrefix(p) : false;
  }

  /** An IPv6 prefix from a router advertisement ("2001:db8:1::/64"). */
  learnPrefix(prefix: string): void {
    const p = v6Prefix64(prefix);
    if (p) this.addPrefix(p);
  }

  /** True when the address is on the local segment as far as the tracker knows. */
  isLocal(ip: string): boolean {
    return (this.flags(ip) & LOCAL) !== 0;
  }

  /** True only for learned or link-local addresses (used to strip a gateway of guessed ones). */
  isKnownLocal(ip: string): boolean {
    return (this.flags(ip) & KNOWN_LOCAL) !== 0;
  }

  private compute(ip: string): number {
    const host = isHostAddress(ip);
    const linkLocal = isLinkLocal(ip);
    // A v6 prefix can only be among the learned ones when some v6 prefix was learned.
    const p = this.v6Prefixes === 0 && isIpv6(ip) ? undefined : prefixOf(ip);
    const known = linkLocal || (p !== undefined && this.prefixes.has(p));
    // Private ranges are the best guess of "local"; gateways, which also carry remote private
    // networks, are held to learned addresses by the tracker (KNOWN_LOCAL).
    const local = host && (known || isLocalAddress(ip));
    return (host ? HOST : 0) | (local ? LOCAL : 0) | (known ? KNOWN_LOCAL : 0);
  }
}
