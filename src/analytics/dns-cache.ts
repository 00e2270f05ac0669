/**
 * Which name a client resolved to reach a server address: a bounded, TTL-capped cache of DNS
 * answers (A/AAAA, following CNAME chains back to the name the client asked for).
 */
import type { DnsMessage } from "../decode/types.ts";
import { BoundedMap } from "../util/ordered-map.ts";

/** Entries kept in all; the oldest entry goes first when full. */
export const MAX_DNS_CACHE_ENTRIES = 20_000;
/** Resolvers hand out TTLs of a few seconds that clients keep using longer; never expire sooner. */
export const MIN_TTL_SECONDS = 120;
/** A name learnt long ago says little about a flow that starts now. */
export const MAX_TTL_SECONDS = 3600;
/** Bounds the walk over CNAME records that packets control. */
export const MAX_CNAME_HOPS = 10;
/** Answers read from one response, whatever it claims to hold. */
export const MAX_ANSWERS_PER_RESPONSE = 64;

const TYPE_A = 1;
const TYPE_CNAME = 5;
const TYPE_AAAA = 28;

interface Entry { name: string; expires: number }

export class DnsAnswerCache {
  /** Keys: "client|address" (what this client resolved) and "|address" (what anyone resolved). */
  readonly #entries: BoundedMap<string, Entry>;
  readonly #maxEntries: number;

  constructor(maxEntries = MAX_DNS_CACHE_ENTRIES) {
    this.#maxEntries = Math.max(2, maxEntries);
    this.#entries = new BoundedMap(this.#maxEntries);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Learn from a DNS response sent to `client` at time `ts` (epoch seconds). */
  learn(client: string | null, msg: DnsMessage, ts: number): void {
    if (!msg.isResponse || msg.rcode !== 0 || msg.answers.length === 0) return;
    const answers = msg.answers.length > MAX_ANSWERS_PER_RESPONSE
      ? msg.answers.slice(0, MAX_ANSWERS_PER_RESPONSE)
      : msg.answers;
    // target -> owner, to walk a CNAME chain back to the name that was asked.
    const aliasOf = new Map<string, string>();
    for (const rr of answers) {
      if (rr.type === TYPE_CNAME && rr.data) aliasOf.set(lower(rr.data), lower(rr.name));
    }
    for (const rr of answers) {
      if ((rr.type !== TYPE_A && rr.type !== TYPE_AAAA) || !rr.data) continue;
      const name = originalName(lower(rr.name), aliasOf);
      if (!name) continue;
      const ttl = Math.min(MAX_TTL_SECONDS, Math.max(MIN_TTL_SECONDS, rr.ttl));
      const entry = { name, expires: ts + ttl };
      if (client) this.#put(`${client}|${rr.data}`, entry);
      this.#put(`|${rr.data}`, entry);
    }
  }

  /** The name `client` (or else anyone) resolved to `address`, if still fresh at `ts`. */
  lookup(client: string | null, address: string, ts: number): string | undefined {
    if (client) {
      const own = this.#fresh(`${client}|${address}`, ts);
      if (own) return own;
    }
    return this.#fresh(`|${address}`, ts);
  }

  #fresh(key: string, ts: number): string | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expires < ts) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.name;
  }

  #put(key: string, entry: Entry): void {
    // A refreshed entry moves to the young end; past the cap the oldest goes.
    this.#entries.touch(key, entry);
  }
}

/** Walks CNAMEs back from an address record's owner to the name the client asked for. */
function originalName(owner: string, aliasOf: Map<string, string>): string {
  let name = owner;
  for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
    const prev = aliasOf.get(name);
    if (!prev || prev === name) break;
    name = prev;
  }
  return name;
}

function lower(s: string): string {
  return s.endsWith(".") ? s.slice(0, -1).toLowerCase() : s.toLowerCase();
}
