/**
 * Which name a client resolved to reach a server address: a bounded, TTL-capped cache of DNS
 * answers (A/AAAA, following CNAME chains back to the name the client asked for).
 */
import type { DnsMessage } from "../decode/types.ts";
import { RecencyList } from "../util/recency-list.ts";

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

/** One remembered answer, linked into the cache's recency list (oldest first). */
interface Entry {
  name: string;
  expires: number;
  address: string;
  /** The client that resolved it; ANYONE for the entry every client falls back to. */
  client: string;
  older: Entry | null;
  newer: Entry | null;
}

/** The client key of "what anyone resolved" (a real client is never the empty string). */
const ANYONE = "";

export class DnsAnswerCache {
  /**
   * address -> client -> entry: two probes with the strings the flow already carries, instead of a
   * "client|address" key built (and hashed) per lookup. One recency list over every entry keeps
   * the bound: a refreshed entry moves to the young end, past the cap the oldest goes.
   */
  readonly #byAddress = new Map<string, Map<string, Entry>>();
  readonly #maxEntries: number;
  #size = 0;
  readonly #recency = new RecencyList<Entry>();

  constructor(maxEntries = MAX_DNS_CACHE_ENTRIES) {
    this.#maxEntries = Math.max(2, maxEntries);
  }

  get size(): number {
    return this.#size;
  }

  /** Learn from a DNS response sent to `client` at time `ts` (epoch seconds). */
  learn(client: string | null, msg: DnsMessage, ts: number): void {
    if (!msg.isResponse || msg.rcode !== 0 || msg.answers.length === 0) return;
    const answers = msg.answers.length > MAX_ANSWERS_PER_RESPONSE
      ? msg.answers.slice(0, MAX_ANSWERS_PER_RESPONSE)
      : msg.answers;
    // target -> owner, to walk a CNAME chain back to the name that was asked.
    let aliasOf: Map<string, string> | undefined;
    for (const rr of answers) {
      if (rr.type === TYPE_CNAME && rr.data) (aliasOf ??= new Map()).set(lower(rr.data), lower(rr.name));
    }
    for (const rr of answers) {
      if ((rr.type !== TYPE_A && rr.type !== TYPE_AAAA) || !rr.data) continue;
      const name = aliasOf ? originalName(lower(rr.name), aliasOf) : lower(rr.name);
      if (!name) continue;
      const expires = ts + Math.min(MAX_TTL_SECONDS, Math.max(MIN_TTL_SECONDS, rr.ttl));
      if (client) this.#put(rr.data, client, name, expires);
      this.#put(rr.data, ANYONE, name, expires);
    }
  }

  /** The name `client` (or else anyone) resolved to `address`, if still fresh at `ts`. */
  lookup(client: string | null, address: string, ts: number): string | undefined {
    const byClient = this.#byAddress.get(address);
    if (!byClient) return undefined;
    if (client) {
      const own = this.#fresh(byClient, client, ts);
      if (own) return own;
    }
    return this.#fresh(byClient, ANYONE, ts);
  }

  #fresh(byClient: Map<string, Entry>, client: string, ts: number): string | undefined {
    const e = byClient.get(client);
    if (!e) return undefined;
    if (e.expires < ts) {
      this.#remove(e);
      return undefined;
    }
    return e.name;
  }

  #put(address: string, client: string, name: string, expires: number): void {
    let byClient = this.#byAddress.get(address);
    const had = byClient?.get(client);
    if (had) {
      had.name = name;
      had.expires = expires;
      this.#recency.unlink(had);
      this.#recency.append(had);
      return;
    }
    while (this.#size >= this.#maxEntries && this.#recency.oldest) {
      this.#remove(this.#recency.oldest);
      if (byClient && byClient.size === 0) byClient = undefined; // removed from #byAddress with its last entry
    }
    if (!byClient) this.#byAddress.set(address, (byClient = new Map()));
    const e: Entry = { name, expires, address, client, older: null, newer: null };
    byClient.set(client, e);
    this.#recency.append(e);
    this.#size++;
  }

  #remove(e: Entry): void {
    const byClient = this.#byAddress.get(e.address);
    if (byClient?.get(e.client) === e) {
      byClient.delete(e.client);
      if (byClient.size === 0) this.#byAddress.delete(e.address);
    }
    this.#recency.unlink(e);
    this.#size--;
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
