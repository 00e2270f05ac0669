/**
 * Which name a client resolved to reach a server address: a bounded, TTL-capped cache of DNS
 * answers (A/AAAA, following CNAME chains back to the name the client asked for).
 */
import type { DnsMessage } from "../decode/types.ts";
import { Interner } from "../util/interner.ts";
import { canonicalIpv4 } from "../util/locality.ts";

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

/**
 * Addresses (servers and clients) as keys: an IPv4 address in the capture path's spelling is its
 * number; any other text (IPv6) is TEXT_KEY + its interned id. ANYONE: the client key of the entry
 * every client falls back to.
 */
const TEXT_KEY = 2 ** 32;
const ANYONE = -1;
/** No such key (a text never interned: nothing was learnt about it). */
const NO_KEY = -2;
const NONE = -1;
/**
 * Buckets of the count of entries per server address (by a hash of the address): most flows start
 * towards an address no answer named, and one read of this small table says so without probing
 * the entries' table twice (own client, then anyone).
 */
const ADDRESS_BUCKET_BITS = 15;

export class DnsAnswerCache {
  /**
   * One entry per (server address, client) in typed arrays, found through an open-addressing table
   * of slot numbers: no object, Map or string per answer. A recency list threaded through the slots
   * (older / newer) keeps the bound: a refreshed entry moves to the young end, past the cap the oldest goes.
   */
  readonly #maxEntries: number;
  readonly #address: Float64Array;
  readonly #client: Float64Array;
  readonly #expires: Float64Array;
  /**
   * The name per slot, as given: the decoder hands out one string per name it read lately (its name
   * table), so entries of one answer share it. No interner: a Map lookup per answer put and a Map
   * delete per entry dropped were most of a learn's cost (bench-v2: 35 k answers, 20 k entries churning).
   */
  readonly #name: string[];
  readonly #older: Int32Array;
  readonly #newer: Int32Array;
  #oldest = NONE;
  #newest = NONE;
  /** Slots never used yet start at #highWater; freed ones are stacked in #free. */
  readonly #free: Int32Array;
  #freeCount = 0;
  #highWater = 0;
  #size = 0;
  /** Hash table: slot + 1 (0 empty), linear probing, at most a quarter full. */
  readonly #table: Int32Array;
  readonly #mask: number;
  /** Non-IPv4 addresses (IPv6 servers and clients) as ids. */
  readonly #texts = new Interner();
  /** Entries per bucket of server addresses (addressBucket): 0 means no entry names an address of it. */
  readonly #perAddress = new Int32Array(1 << ADDRESS_BUCKET_BITS);

  constructor(maxEntries = MAX_DNS_CACHE_ENTRIES) {
    const max = (this.#maxEntries = Math.max(2, maxEntries));
    this.#address = new Float64Array(max);
    this.#client = new Float64Array(max);
    this.#expires = new Float64Array(max);
    this.#name = new Array<string>(max).fill("");
    this.#older = new Int32Array(max);
    this.#newer = new Int32Array(max);
    this.#free = new Int32Array(max);
    let size = 16;
    while (size < max * 4) size *= 2;
    this.#table = new Int32Array(size);
    this.#mask = size - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Learn from a DNS response sent to `client` at time `ts` (epoch seconds). */
  learn(client: string | null, msg: DnsMessage, ts: number): void {
    this.#learn(client ? this.#keyOf(client, true) : NO_KEY, msg, ts);
  }

  /** `learn` for a client given as an IPv4 number (the flow table's form). */
  learn4(client4: number, msg: DnsMessage, ts: number): void {
    this.#learn(client4 >= 0 ? client4 : NO_KEY, msg, ts);
  }

  #learn(client: number, msg: DnsMessage, ts: number): void {
    if (!msg.isResponse || msg.rcode !== 0 || msg.answers.length === 0) return this.#prune(client);
    const answers = msg.answers;
    const count = Math.min(answers.length, MAX_ANSWERS_PER_RESPONSE);
    // target -> owner, to walk a CNAME chain back to the name that was asked.
    let aliasOf: Map<string, string> | undefined;
    for (let i = 0; i < count; i++) {
      const rr = answers[i]!;
      if (rr.type === TYPE_CNAME && rr.data) (aliasOf ??= new Map()).set(lower(rr.data), lower(rr.name));
    }
    for (let i = 0; i < count; i++) {
      const rr = answers[i]!;
      if ((rr.type !== TYPE_A && rr.type !== TYPE_AAAA) || !rr.data) continue;
      const name = aliasOf ? originalName(lower(rr.name), aliasOf) : lower(rr.name);
      if (!name) continue;
      const expires = ts + Math.min(MAX_TTL_SECONDS, Math.max(MIN_TTL_SECONDS, rr.ttl));
      const address = this.#keyOf(rr.data, true);
      if (client !== NO_KEY) this.#put(address, client, name, expires);
      this.#put(address, ANYONE, name, expires);
      this.#prune(address);
    }
    this.#prune(client);
  }

  /** The name `client` (or else anyone) resolved to `address`, if still fresh at `ts`. */
  lookup(client: string | null, address: string, ts: number): string | undefined {
    const a = this.#keyOf(address, false);
    if (a === NO_KEY) return undefined;
    return this.#lookup(client ? this.#keyOf(client, false) : NO_KEY, a, ts);
  }

  /** `lookup` for IPv4 addresses given as numbers (the flow table's form). */
  lookup4(client4: number, address4: number, ts: number): string | undefined {
    return this.#lookup(client4 < 0 ? NO_KEY : client4, address4, ts);
  }

  #lookup(client: number, address: number, ts: number): string | undefined {
    if (this.#perAddress[addressBucket(address)] === 0) return undefined;
    if (client !== NO_KEY) {
      const own = this.#fresh(address, client, ts);
      if (own !== undefined) return own;
    }
    return this.#fresh(address, ANYONE, ts);
  }

  #fresh(address: number, client: number, ts: number): string | undefined {
    const slot = this.#find(address, client);
    if (slot === NONE) return undefined;
    if (this.#expires[slot]! < ts) {
      this.#remove(slot);
      return undefined;
    }
    return this.#name[slot];
  }

  /**
   * The key of an address's text; `add` gives a non-IPv4 one an id (held by no entry yet: #prune
   * drops it if none takes it), else NO_KEY when it has none (nothing was learnt about it).
   */
  #keyOf(ip: string, add: boolean): number {
    const n = canonicalIpv4(ip);
    if (n >= 0) return n;
    const id = add ? this.#texts.add(ip) : this.#texts.idOf(ip);
    return id === 0 ? NO_KEY : TEXT_KEY + id;
  }

  #prune(key: number): void {
    if (key >= TEXT_KEY) this.#texts.prune(key - TEXT_KEY);
  }

  #put(address: number, client: number, name: string, expires: number): void {
    const had = this.#find(address, client);
    if (had !== NONE) {
      this.#name[had] = name;
      this.#expires[had] = expires;
      this.#unlink(had);
      this.#append(had);
      return;
    }
    // Held before making room: the oldest entry may be the last one holding the same address text.
    this.#retainKey(address);
    this.#retainKey(client);
    while (this.#size >= this.#maxEntries && this.#oldest !== NONE) this.#remove(this.#oldest);
    const slot = this.#freeCount > 0 ? this.#free[--this.#freeCount]! : this.#highWater++;
    this.#address[slot] = address;
    this.#client[slot] = client;
    this.#expires[slot] = expires;
    this.#name[slot] = name;
    this.#insert(slot);
    this.#append(slot);
    this.#size++;
    this.#perAddress[addressBucket(address)]!++;
  }

  #remove(slot: number): void {
    this.#delete(slot);
    this.#unlink(slot);
    this.#name[slot] = "";
    this.#releaseKey(this.#address[slot]!);
    this.#releaseKey(this.#client[slot]!);
    this.#free[this.#freeCount++] = slot;
    this.#size--;
    this.#perAddress[addressBucket(this.#address[slot]!)]!--;
  }

  #retainKey(key: number): void {
    if (key >= TEXT_KEY) this.#texts.retain(key - TEXT_KEY);
  }

  #releaseKey(key: number): void {
    if (key >= TEXT_KEY) this.#texts.release(key - TEXT_KEY);
  }

  // ---- the hash table of slots ----
  #home(address: number, client: number): number {
    // Keys are below 2^33: their low 32 bits and whether they are text.
    const a = (address >>> 0) ^ (address >= TEXT_KEY ? 0x5bd1e995 : 0);
    const c = client < 0 ? 0x27d4eb2f : (client >>> 0) ^ (client >= TEXT_KEY ? 0x165667b1 : 0);
    let h = Math.imul(a ^ Math.imul(c, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.#mask;
  }

  #find(address: number, client: number): number {
    const table = this.#table, mask = this.#mask;
    for (let i = this.#home(address, client); ; i = (i + 1) & mask) {
      const s = table[i]!;
      if (s === 0) return NONE;
      if (this.#address[s - 1] === address && this.#client[s - 1] === client) return s - 1;
    }
  }

  #insert(slot: number): void {
    const table = this.#table, mask = this.#mask;
    let i = this.#home(this.#address[slot]!, this.#client[slot]!);
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = slot + 1;
  }

  /** Removes a slot from the table, shifting later entries of its probe run back (no tombstones). */
  #delete(slot: number): void {
    const table = this.#table, mask = this.#mask;
    let i = this.#home(this.#address[slot]!, this.#client[slot]!);
    while (table[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const s = table[j]! - 1;
      const home = this.#home(this.#address[s]!, this.#client[s]!);
      // The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        table[i] = table[j]!;
        i = j;
      }
    }
    table[i] = 0;
  }

  // ---- the recency list of slots ----
  #append(slot: number): void {
    this.#older[slot] = this.#newest;
    this.#newer[slot] = NONE;
    if (this.#newest !== NONE) this.#newer[this.#newest] = slot;
    else this.#oldest = slot;
    this.#newest = slot;
  }

  #unlink(slot: number): void {
    const older = this.#older[slot]!, newer = this.#newer[slot]!;
    if (older !== NONE) this.#newer[older] = newer;
    else this.#oldest = newer;
    if (newer !== NONE) this.#older[newer] = older;
    else this.#newest = older;
  }
}

/** The bucket of a server address key (IPv4 number or TEXT_KEY + id) in #perAddress. */
function addressBucket(address: number): number {
  return Math.imul((address >>> 0) ^ (address >= TEXT_KEY ? 0x5bd1e995 : 0), 0x9e3779b1) >>> (32 - ADDRESS_BUCKET_BITS);
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
