/**
 * Which IP addresses belong to the local segment. Learned from ARP, DHCP and NDP (IPv4 /24 and
 * IPv6 /64 around each address seen there, plus RA prefixes); link-local addresses are always
 * local; so are the other local ranges (src/util/locality.ts), except on a gateway's MAC (see tracker.ts).
 */
import { isHostAddress, isIpv6, isLinkLocal, isLocalAddress } from "../util/locality.ts";

/** Cap on learned prefixes: a hostile capture must not grow this without bound. */
const MAX_PREFIXES = 256;

/** The first four 16-bit groups of an IPv6 address ("2001:db8:0:1"), expanding "::". */
export function v6Prefix64(ip: string): string | undefined {
  const clean = ip.split("%")[0]!.split("/")[0]!.toLowerCase();
  const halves = clean.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const groups = halves.length === 2 ? [...head, ...Array(Math.max(0, 8 - head.length - tail.length)).fill("0"), ...tail] : head;
  if (groups.length < 4) return undefined;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":");
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
  private readonly answers = new Map<string, number>();

  /**
   * LOCAL | KNOWN_LOCAL | HOST bits for an address. One Map probe per call: devices see the same
   * addresses flow after flow, and the string work (prefix slicing, range parsing) runs once each.
   */
  flags(ip: string): number {
    let a = this.answers.get(ip);
    if (a === undefined) {
      a = this.compute(ip);
      if (this.answers.size >= MAX_CACHED) this.answers.clear();
      this.answers.set(ip, a);
    }
    return a;
  }

  private addPrefix(p: string): boolean {
    if (this.prefixes.has(p) || this.prefixes.size >= MAX_PREFIXES) return false;
    this.prefixes.add(p);
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
    const p = prefixOf(ip);
    const known = linkLocal || (p !== undefined && this.prefixes.has(p));
    // Private ranges are the best guess of "local"; gateways, which also carry remote private
    // networks, are held to learned addresses by the tracker (KNOWN_LOCAL).
    const local = host && (known || isLocalAddress(ip));
    return (host ? HOST : 0) | (local ? LOCAL : 0) | (known ? KNOWN_LOCAL : 0);
  }
}
