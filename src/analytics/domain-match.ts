/**
 * Longest-suffix lookup of a host name in the application table: one probe per label boundary
 * ("a.b.youtube.com" tries itself, "b.youtube.com", "youtube.com", "com"), by a hash of the suffix
 * folded from the name's end, so no suffix text is cut out and hashed again per boundary.
 */
import { APPLICATIONS, type AppCategory, type ApplicationDomains } from "./applications.ts";

/** Host names longer than DNS allows are not names; stop before walking them. */
const MAX_HOST_LENGTH = 253;
/**
 * CDN names that embed the customer's own host name ("captive.apple.com.edgekey.net"): the
 * customer's name says more than the CDN's, so it is tried first.
 */
export const CDN_WRAPPER_SUFFIXES = ["edgekey.net", "edgesuite.net", "akamaized.net", "cdn.cloudflare.net"];
/** The same with their leading dot, made once (not a template string per name matched). */
const DOTTED_WRAPPERS = CDN_WRAPPER_SUFFIXES.map((w) => `.${w}`);

export interface AppMatch { application: string; category: AppCategory; suffix: string }

/** One step of the suffix hash: characters are folded in from the end of the text toward its start. */
function fold(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}
const HASH_SEED = 0x811c9dc5 | 0;

export class DomainMatcher {
  readonly #bySuffix = new Map<string, AppMatch>();
  /**
   * The same entries by the hash of their suffix (folded from its last character): a number key per
   * probe. A hash two suffixes share holds both (checked against the name's characters).
   */
  readonly #byHash = new Map<number, AppMatch | AppMatch[]>();

  constructor(table: readonly ApplicationDomains[] = APPLICATIONS) {
    for (const row of table) {
      for (const raw of row.suffixes) {
        const suffix = normalizeHost(raw);
        if (!suffix) continue;
        // The first row that names a suffix keeps it, so the table reads top-down.
        if (!this.#bySuffix.has(suffix)) {
          const entry: AppMatch = { application: row.app, category: row.category, suffix };
          this.#bySuffix.set(suffix, entry);
          let h = HASH_SEED;
          for (let i = suffix.length - 1; i >= 0; i--) h = fold(h, suffix.charCodeAt(i));
          const had = this.#byHash.get(h);
          this.#byHash.set(h, had === undefined ? entry : Array.isArray(had) ? [...had, entry] : [had, entry]);
        }
      }
    }
  }

  get size(): number {
    return this.#bySuffix.size;
  }

  match(host: string | null | undefined): AppMatch | undefined {
    const name = normalizeHost(host);
    if (!name || isIpLiteral(name)) return undefined;
    return this.matchName(name);
  }

  /** `match` for a name normalizeHost gave already and isIpLiteral rejected (the labeler checks both itself). */
  matchName(name: string): AppMatch | undefined {
    for (let k = 0; k < DOTTED_WRAPPERS.length; k++) {
      const dotted = DOTTED_WRAPPERS[k]!;
      if (name.length > dotted.length && name.endsWith(dotted)) {
        const inner = this.#longest(name, name.length - dotted.length);
        if (inner) return inner;
      }
    }
    return this.#longest(name, name.length);
  }

  /**
   * The entry of the longest suffix of `name.slice(0, end)` that starts the text or follows a dot.
   * The hash is folded in from `end` toward the start; each label boundary reached probes the table,
   * and a later (longer) hit replaces an earlier one.
   */
  #longest(name: string, end: number): AppMatch | undefined {
    let best: AppMatch | undefined;
    let h = HASH_SEED;
    for (let i = end - 1; i >= 0; i--) {
      h = fold(h, name.charCodeAt(i));
      if (i > 0 && name.charCodeAt(i - 1) !== 46) continue;
      const hit = this.#byHash.get(h);
      if (hit === undefined) continue;
      const found = Array.isArray(hit) ? pick(hit, name, i, end) : isAt(hit, name, i, end) ? hit : undefined;
      if (found !== undefined) best = found;
    }
    return best;
  }
}

/** Whether `entry`'s suffix is exactly `name`'s characters [start, end). */
function isAt(entry: AppMatch, name: string, start: number, end: number): boolean {
  const suffix = entry.suffix;
  return suffix.length === end - start && name.startsWith(suffix, start);
}

function pick(entries: readonly AppMatch[], name: string, start: number, end: number): AppMatch | undefined {
  for (let k = 0; k < entries.length; k++) if (isAt(entries[k]!, name, start, end)) return entries[k];
  return undefined;
}

/** Lower case, no trailing dot, no ":port", no brackets; undefined for empty or oversized input. */
export function normalizeHost(host: string | null | undefined): string | undefined {
  if (!host) return undefined;
  let h = host.trim().toLowerCase();
  if (h.startsWith("[")) {
    const close = h.indexOf("]");
    h = close > 0 ? h.slice(1, close) : h.slice(1);
  } else {
    const colon = h.indexOf(":");
    // One colon is host:port; more colons is a bare IPv6 address.
    if (colon >= 0 && h.indexOf(":", colon + 1) < 0) h = h.slice(0, colon);
  }
  while (h.endsWith(".")) h = h.slice(0, -1);
  if (h.length === 0 || h.length > MAX_HOST_LENGTH) return undefined;
  return h;
}

/** True for dotted IPv4 text or IPv6 text: such hosts name no application by suffix. */
export function isIpLiteral(host: string): boolean {
  // A dotted quad ends in a digit: names (which end in a letter) skip the pattern.
  const last = host.charCodeAt(host.length - 1);
  return host.includes(":") || (last >= 48 && last <= 57 && /^\d{1,3}(\.\d{1,3}){3}$/.test(host));
}

let shared: DomainMatcher | undefined;
/** The matcher over the built-in table, built once on first use. */
export function defaultDomainMatcher(): DomainMatcher {
  shared ??= new DomainMatcher();
  return shared;
}
