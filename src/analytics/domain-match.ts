/**
 * Longest-suffix lookup of a host name in the application table: one Map probe per label
 * boundary ("a.b.youtube.com" tries itself, "b.youtube.com", "youtube.com", "com").
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

export class DomainMatcher {
  readonly #bySuffix = new Map<string, AppMatch>();

  constructor(table: readonly ApplicationDomains[] = APPLICATIONS) {
    for (const row of table) {
      for (const raw of row.suffixes) {
        const suffix = normalizeHost(raw);
        if (!suffix) continue;
        // The first row that names a suffix keeps it, so the table reads top-down.
        if (!this.#bySuffix.has(suffix)) {
          this.#bySuffix.set(suffix, { application: row.app, category: row.category, suffix });
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
    for (let k = 0; k < DOTTED_WRAPPERS.length; k++) {
      const dotted = DOTTED_WRAPPERS[k]!;
      if (name.length > dotted.length && name.endsWith(dotted)) {
        const inner = this.#longest(name.slice(0, -dotted.length));
        if (inner) return inner;
      }
    }
    return this.#longest(name);
  }

  #longest(name: string): AppMatch | undefined {
    let start = 0;
    while (start < name.length) {
      const hit = this.#bySuffix.get(start === 0 ? name : name.slice(start));
      if (hit) return hit;
      const dot = name.indexOf(".", start);
      if (dot < 0) return undefined;
      start = dot + 1;
    }
    return undefined;
  }
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
