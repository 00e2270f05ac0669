/** Small shared pieces for the threat detectors: bounded state, address classes, name randomness. */
import type { Analyzer, PacketMeta } from "../engine/events.ts";
import type { FlowRecord, TcpState } from "../flows/record.ts";
import { ST_CLOSED, ST_ESTABLISHED, ST_RESET } from "../flows/state.ts";
import type { FlowTable } from "../flows/table.ts";
import { ipv4Name, macName } from "../decode/addr.ts";
import { flowProtocolName, tcpFlagLetters } from "../flows/snapshot.ts";
import { canonicalIpv4, ipv4Number } from "../util/locality.ts";

export { BoundedMap } from "../util/ordered-map.ts";

/**
 * A set of at most `cap` keys that forgets the oldest first: what a BoundedMap of `true` values did
 * for "seen already" checks, with no map slot object per key (a Set entry and a ring cell).
 */
export class CappedSet<K> {
  #set = new Set<K>();
  #ring: K[];
  #head = 0;
  readonly cap: number;

  constructor(cap: number) {
    this.cap = Math.max(1, cap);
    this.#ring = new Array<K>(this.cap);
  }

  get size(): number {
    return this.#set.size;
  }

  has(key: K): boolean {
    return this.#set.has(key);
  }

  add(key: K): void {
    if (this.#set.has(key)) return;
    // Keys fill the ring in order: when full, the cell at the head holds the oldest key.
    if (this.#set.size >= this.cap) this.#set.delete(this.#ring[this.#head]);
    this.#ring[this.#head] = key;
    this.#head = this.#head + 1 === this.cap ? 0 : this.#head + 1;
    this.#set.add(key);
  }
}

/** Adds to a set only while it is below `cap` (the count past the cap is still reported as `cap`). */
export function addCapped<T>(set: { size: number; add(value: T): unknown }, value: T, cap: number): void {
  if (set.size < cap) set.add(value);
}

/**
 * An insertion-ordered set that holds its first value inline and makes a Set only for a second
 * distinct one: under a flood of spoofed sources most per-source states see one port or host, and
 * a Set each is most of their garbage.
 */
export class SmallSet<T> implements Iterable<T> {
  #first: T | undefined = undefined;
  #hasFirst = false;
  #set: Set<T> | undefined = undefined;

  get size(): number {
    return this.#set ? this.#set.size : this.#hasFirst ? 1 : 0;
  }

  has(value: T): boolean {
    return this.#set ? this.#set.has(value) : this.#hasFirst && this.#first === value;
  }

  add(value: T): this {
    if (this.#set) this.#set.add(value);
    else if (!this.#hasFirst) {
      this.#first = value;
      this.#hasFirst = true;
    } else if (this.#first !== value) this.#set = new Set([this.#first as T, value]);
    return this;
  }

  /** Empty again (a recycled state's set). */
  clear(): void {
    this.#first = undefined;
    this.#hasFirst = false;
    this.#set = undefined;
  }

  [Symbol.iterator](): Iterator<T> {
    if (this.#set) return this.#set.values();
    return (this.#hasFirst ? [this.#first as T] : []).values();
  }
}

/** A count and a first-seen time that restart when the window has passed (a tumbling window). */
export interface WindowCounter {
  start: number;
  count: number;
}
export function bump(c: WindowCounter, ts: number, windowSeconds: number, by = 1): number {
  if (ts - c.start > windowSeconds || ts < c.start) {
    c.start = ts;
    c.count = 0;
  }
  c.count += by;
  return c.count;
}

/**
 * The octets of a dotted quad, read by character codes (no split: beaconing and host sweep ask for
 * every new flow). Anything but 1-3 digits per part falls back to the general parse below.
 */
const octets = [0, 0, 0, 0];
/** The result is shared scratch, valid until the next call. */
function ipv4Octets(ip: string): number[] | undefined {
  const out = octets;
  out[0] = out[1] = out[2] = out[3] = 0;
  let part = 0, digits = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c >= 48 && c <= 57 && digits < 3) {
      out[part] = out[part] * 10 + (c - 48);
      digits++;
    } else if (c === 46 && digits > 0 && part < 3) {
      part++;
      digits = 0;
    } else return ipv4OctetsBySplit(ip);
  }
  if (part !== 3 || digits === 0) return ipv4OctetsBySplit(ip);
  return out[0] <= 255 && out[1] <= 255 && out[2] <= 255 && out[3] <= 255 ? out : undefined;
}

/** The general parse (what Number() accepts per part), for the rare text that is not plain digits. */
function ipv4OctetsBySplit(ip: string): number[] | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  const out = parts.map(Number);
  return out.every((n) => Number.isInteger(n) && n >= 0 && n <= 255) ? out : undefined;
}

/** Multicast and broadcast destinations are never "hosts" a scan can sweep. */
export function isGroupIp(ip: string): boolean {
  // IPv6 text (every address with a colon: no part of it parses as an octet) is checked without
  // the octet parse, whose fallback split the text into an array for every IPv6 flow.
  if (ip.indexOf(":") >= 0) return isFf(ip);
  const o = ipv4Octets(ip);
  if (o) return (o[0] >= 224 && o[0] <= 239) || o[3] === 255 || ip === "255.255.255.255" || ip === "0.0.0.0";
  return isFf(ip);
}

/** ip.toLowerCase().startsWith("ff"), without the lowered copy. */
function isFf(ip: string): boolean {
  return ip.length >= 2 && (ip.charCodeAt(0) | 0x20) === 0x66 && (ip.charCodeAt(1) | 0x20) === 0x66;
}

// Two 32-bit numbers as the 64 bits of one double: a Map key with no string made and no string
// hashed (per flow, text keys such as "src>dst" were most of the detectors' cost under a flood).
const keyWords = new Uint32Array(2);
const keyDouble = new Float64Array(keyWords.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * `hi` and `lo` (unsigned 32-bit) as one number key, equal only for equal pairs; undefined for the
 * few bit patterns a Map cannot tell apart (every NaN is one key, and 0 is -0): use a text key then.
 */
export function numberPairKey(hi: number, lo: number): number | undefined {
  if (!LITTLE_ENDIAN || (hi & 0x7ff00000) === 0x7ff00000 || (lo === 0 && (hi === 0 || hi === 0x80000000))) return undefined;
  keyWords[0] = lo;
  keyWords[1] = hi;
  return keyDouble[0];
}

/**
 * The key of a pair of addresses: a number when both are IPv4 (`a4`, `b4`: their numbers, -1 for
 * IPv6), else the text "a<sep>b".
 */
export function addressPairKey(a: string, a4: number, b: string, b4: number, sep: string): number | string {
  return (a4 >= 0 && b4 >= 0 ? numberPairKey(a4, b4) : undefined) ?? `${a}${sep}${b}`;
}

/** The key of a pair of Addresses: a number when both are IPv4, else the text "a<sep>b". */
export function pairKeyOf(a: Address, b: Address, sep: string): number | string {
  return (typeof a === "number" && typeof b === "number" ? numberPairKey(a, b) : undefined) ?? `${addressText(a)}${sep}${addressText(b)}`;
}

/** The key of a flow's two ends: a number for IPv4 (no address text read), else "src<sep>dst". */
export function flowPairKey(f: PayloadFlow, sep: string): number | string {
  const a4 = srcIp4(f), b4 = dstIp4(f);
  return (a4 >= 0 && b4 >= 0 ? numberPairKey(a4, b4) : undefined) ?? `${f.srcIp}${sep}${f.dstIp}`;
}

/**
 * An address as per-source state keeps it: an IPv4 address read from the flow table as its number
 * (its text is made only for a report: under a flood, text per new source kept ~65 k address names
 * alive in the name cache per detector), otherwise its text.
 */
export type Address = number | string;

export function addressText(a: Address): string {
  return typeof a === "number" ? ipv4Name(a) : a;
}

/**
 * An address given as text (a record's, a test's) as the numeric hooks key it: a dotted quad written
 * the way the capture path writes one becomes its number (both forms then meet under one key, and
 * addressText gives the same text back), any other text stays text.
 */
export function addressOf(ip: string): Address {
  const n = canonicalIpv4(ip);
  return n >= 0 ? n : ip;
}

/** A flow's initiator / responder as an Address. */
export function srcAddress(f: PayloadFlow): Address {
  if (f instanceof FlowRef) {
    const n = f.srcIp4;
    return n >= 0 ? n : f.srcIp;
  }
  return addressOf(f.srcIp);
}
export function dstAddress(f: PayloadFlow): Address {
  if (f instanceof FlowRef) {
    const n = f.dstIp4;
    return n >= 0 ? n : f.dstIp;
  }
  return addressOf(f.dstIp);
}

/**
 * A packet's sender / receiver as an Address (null: no IP): the engine's meta gives IPv4 addresses
 * as numbers (no text made), a plain meta (tests) its text.
 */
export function metaSrc(m: PacketMeta): Address | null {
  const n = m.srcIp4;
  if (n !== undefined && n >= 0) return n;
  const t = m.srcIp;
  return t === null ? null : addressOf(t);
}
export function metaDst(m: PacketMeta): Address | null {
  const n = m.dstIp4;
  if (n !== undefined && n >= 0) return n;
  const t = m.dstIp;
  return t === null ? null : addressOf(t);
}

/** A MAC address as state keeps it: the engine's 48-bit number, or a record's text. */
export type MacAddress = number | string;

export function macText(m: MacAddress | null): string | null {
  return typeof m === "number" ? macName(m) : m;
}

/** A packet's sender MAC (null: none), a number from the engine's meta. */
export function metaSrcMac(m: PacketMeta): MacAddress | null {
  const n = m.srcMacNumber;
  if (n !== undefined) return n >= 0 ? n : null;
  return m.srcMac;
}

/** A flow's initiator / responder MAC (null: none), a number when read from the table. */
export function srcMacOf(f: PayloadFlow): MacAddress | null {
  if (f instanceof FlowRef) {
    const n = f.srcMac48;
    return n >= 0 ? n : null;
  }
  return f.srcMac;
}
export function dstMacOf(f: PayloadFlow): MacAddress | null {
  if (f instanceof FlowRef) {
    const n = f.dstMac48;
    return n >= 0 ? n : null;
  }
  return f.dstMac;
}

/** A flow end's IPv4 address as a number (-1 for IPv6): read from the table, or parsed from a record's text. */
export function srcIp4(f: PayloadFlow): number {
  return f instanceof FlowRef ? f.srcIp4 : ipv4Number(f.srcIp);
}
export function dstIp4(f: PayloadFlow): number {
  return f instanceof FlowRef ? f.dstIp4 : ipv4Number(f.dstIp);
}

/** isGroupIp for an IPv4 address as a number. */
export function isGroupIp4(ip4: number): boolean {
  const first = ip4 >>> 24;
  return (first >= 224 && first <= 239) || (ip4 & 255) === 255 || ip4 === 0;
}

/** Per ASCII character code: its count in the text being measured; and the codes in first-seen order. */
const asciiCounts = new Int32Array(128);
const asciiOrder = new Uint8Array(128);

/**
 * Shannon entropy in bits per character. ASCII text (every DNS label, most of HTTP) is counted in a
 * scratch table, no Map and no one-character string per character; the terms are summed in the
 * order the characters first appear, as the Map below sums them, so the result is the same number.
 */
export function entropy(s: string, from = 0, to = s.length): number {
  // The characters [from, to) (a label of a longer name, with no slice made for it).
  const n = to - from;
  if (n <= 0) return 0;
  let distinct = 0, ascii = true;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      ascii = false;
      break;
    }
    if (asciiCounts[c]++ === 0) asciiOrder[distinct++] = c;
  }
  if (ascii) {
    let h = 0;
    for (let k = 0; k < distinct; k++) {
      const c = asciiOrder[k]!;
      const p = asciiCounts[c]! / n;
      asciiCounts[c] = 0;
      h -= p * Math.log2(p);
    }
    return h;
  }
  for (let k = 0; k < distinct; k++) asciiCounts[asciiOrder[k]!] = 0;
  return entropyOfAnyText(from === 0 && to === s.length ? s : s.slice(from, to));
}

/** entropy() for text beyond ASCII: by code point, in a Map. */
function entropyOfAnyText(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Second-level labels under which registries sell names ("example.co.uk"). No public suffix list is shipped. */
const SHORT_SECOND_LEVELS = new Set(["co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go"]);

/**
 * "a.b.example.co.uk" -> "example.co.uk"; an approximation of the registered domain without the PSL,
 * found by the last dots (no array of labels per new name): the last two labels, three under a
 * short second level. Not memoized: its callers ask once per new name (DNS tunnelling's own name
 * memo, DGA's new NXDOMAIN names), and a memo here missed on every call of the bench capture.
 */
export function registeredDomain(name: string): string {
  let l = name.toLowerCase();
  if (l.endsWith(".")) l = l.slice(0, -1); // one root dot
  const last = l.lastIndexOf(".");
  const second = last <= 0 ? -1 : l.lastIndexOf(".", last - 1);
  if (second < 0) return l; // one or two labels
  if (l.length - last - 1 === 2 && SHORT_SECOND_LEVELS.has(l.slice(second + 1, last))) {
    const third = second === 0 ? -1 : l.lastIndexOf(".", second - 1);
    return third < 0 ? l : l.slice(third + 1);
  }
  return l.slice(second + 1);
}

/** Names that never leave the LAN (reverse lookups, mDNS-style and router search domains). */
export function isLocalName(name: string): boolean {
  return isLocalLowered(withoutRootDot(name.toLowerCase()));
}

/** A name without its one final (root) dot, as `.replace(/\.$/, "")` gives it. */
export function withoutRootDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/** isLocalName of a name already lowered and without its root dot. */
export function isLocalLowered(l: string): boolean {
  return l.endsWith(".arpa") || l.endsWith(".local") || l.endsWith(".lan") || l.endsWith(".home") ||
    l.endsWith(".internal") || l.endsWith(".localdomain") || !l.includes(".");
}

const VOWELS = /[aeiouy]/g;

/**
 * Whether a label looks machine-generated (DGA): long, and either high-entropy, digit-heavy,
 * vowel-poor, or with long consonant runs. Dictionary words and brand names rarely meet two of these.
 */
export function looksRandom(label: string): boolean {
  const l = label.toLowerCase();
  if (l.length < 8) return false;
  const digits = (l.match(/[0-9]/g) ?? []).length / l.length;
  const vowels = (l.match(VOWELS) ?? []).length / l.length;
  const consonantRun = Math.max(0, ...(l.match(/[bcdfghjklmnpqrstvwxz]+/g) ?? []).map((r) => r.length));
  let signals = 0;
  if (entropy(l) >= 3.2) signals++;
  if (digits >= 0.2) signals++;
  if (vowels < 0.25) signals++;
  if (consonantRun >= 5) signals++;
  return signals >= 2;
}

/** The device id the tracker uses for a MAC ("aa:bb:.." -> "aabb.."), when nothing better is known. */
export function macToDeviceId(mac: string | null | undefined): string | null {
  return mac ? mac.toLowerCase().replaceAll(":", "") : null;
}

/**
 * The flow hooks of the agreed engine interface (flow updates every few seconds while a flow runs,
 * and the payload of its first packets); declared here too so a detector compiles whichever engine it meets.
 */
export interface FlowEvents {
  flowUpdated?(flow: FlowRecord): void;
  payload?(flow: FlowRecord, data: Uint8Array, fromInitiator: boolean, ts: number): void;
}

/** What the payload detectors read of a flow: its id, protocol and the initiator / responder ends. */
export type PayloadFlow = Pick<FlowRecord, "id" | "ipProtocol" | "srcIp" | "srcMac" | "dstIp" | "dstMac" | "dstPort">;

/**
 * A PayloadFlow read straight from the flow table, field by field when asked: the numeric payload
 * hook makes no FlowRecord (most payload packets are looked at and dropped without a string).
 * One per detector, pointed at the flow of the current call (valid during that call only).
 */
export class FlowRef implements PayloadFlow {
  protected table!: FlowTable;
  protected index = -1;

  at(table: FlowTable, index: number): this {
    this.table = table;
    this.index = index;
    return this;
  }
  get id(): string {
    return String(this.table.ids[this.index]);
  }
  /** The flow's id as the table keeps it (a number: no text made). */
  get idNumber(): number {
    return this.table.ids[this.index];
  }
  get ipProtocol(): number {
    return this.table.ipProtocolOf(this.index);
  }
  get srcIp(): string {
    return this.table.initiatorIp(this.index);
  }
  get dstIp(): string {
    return this.table.responderIp(this.index);
  }
  /** The addresses as unsigned 32-bit numbers, -1 for IPv6 (no text made). */
  get srcIp4(): number {
    return this.table.initiatorIp4(this.index);
  }
  get dstIp4(): number {
    return this.table.responderIp4(this.index);
  }
  get srcMac(): string | null {
    const mac = this.table.initiatorMac(this.index);
    return mac >= 0 ? macName(mac) : null;
  }
  /** The MACs as 48-bit numbers, -1 none (no text made). */
  get srcMac48(): number {
    return this.table.initiatorMac(this.index);
  }
  get dstMac48(): number {
    return this.table.responderMac(this.index);
  }
  get dstMac(): string | null {
    const mac = this.table.responderMac(this.index);
    return mac >= 0 ? macName(mac) : null;
  }
  get dstPort(): number {
    return this.table.responderPort(this.index);
  }
  get protocol(): FlowRecord["protocol"] {
    return flowProtocolName(this.ipProtocol);
  }
  get startTime(): number {
    return this.table.firstSeenOf(this.index);
  }
  get tcpFlags(): string {
    const t = this.table, i = this.index;
    return this.ipProtocol === 6 ? tcpFlagLetters(t.tcpFlagsOf(i, 0) | t.tcpFlagsOf(i, 1)) : "";
  }
  /** The TCP flags seen either way as bits (tcpFlags' letters come from these; 0 for other protocols). */
  get tcpFlagBits(): number {
    const t = this.table, i = this.index;
    return this.ipProtocol === 6 ? (t.tcpFlagsOf(i, 0) | t.tcpFlagsOf(i, 1)) & 0xff : 0;
  }
}

/** What the flow-start detectors read of a new flow. */
export type StartedFlow = PayloadFlow & Pick<FlowRecord, "protocol" | "startTime" | "tcpFlags" | "hostname" | "srcDeviceId" | "dstDeviceId">;

/**
 * A StartedFlow read from the flow table for the numeric flowStarted hook. Labels read null, as in
 * the record the engine made before any hook ran: a flow has none until an analyzer's start hook
 * (the device tracker's, the labeler's) gives it some, and the detectors must not depend on their order.
 */
export class StartedFlowRef extends FlowRef implements StartedFlow {
  readonly hostname = null;
  readonly srcDeviceId = null;
  readonly dstDeviceId = null;
}

/** What the flow-update detectors read of a flow in progress. */
export type UpdatedFlow = PayloadFlow & Pick<FlowRecord, "protocol" | "startTime" | "lastSeen" | "tcpFlags" | "packetsSent" | "service" | "srcDeviceId" | "shape">;

/**
 * An UpdatedFlow read from the flow table for the numeric flowUpdated hook: counters, labels and
 * the packet shape as they are now (what a record made for this update would hold).
 */
export class UpdatedFlowRef extends FlowRef implements UpdatedFlow {
  get lastSeen(): number {
    return this.table.lastSeenOf(this.index);
  }
  get packetsSent(): number {
    return this.table.packetsOf(this.index, 0);
  }
  get service(): string | null {
    return this.table.labels.textOf(this.index, "service");
  }
  get srcDeviceId(): string | null {
    return this.table.labels.textOf(this.index, "srcDeviceId");
  }
  get shape(): number[] {
    return this.table.shapeOf(this.index);
  }
  /** shape.length, with no array made. */
  get shapeLength(): number {
    return this.table.shapeCountOf(this.index);
  }
}

/** What the flow-end detectors read of a flow: an UpdatedFlow with its answers and TCP state. */
export type EndedFlow = UpdatedFlow & Pick<FlowRecord, "packetsReceived" | "tcpState">;

/**
 * An EndedFlow read from the flow table for the numeric flowEnded hook (the entry is freed after
 * the call): the engine makes no FlowRecord per flow end once no ender takes one.
 */
export class EndedFlowRef extends UpdatedFlowRef implements EndedFlow {
  get packetsReceived(): number {
    return this.table.packetsOf(this.index, 1);
  }
  /** As toFlowRecord names it: any TCP state that is not one of the three below is an attempt. */
  get tcpState(): TcpState | null {
    if (this.ipProtocol !== 6) return null;
    const st = this.table.stateOf(this.index);
    return st === ST_ESTABLISHED ? "established" : st === ST_CLOSED ? "closed" : st === ST_RESET ? "reset" : "attempt";
  }
}

/** A detector that reports how many keys it tracks (tests check the caps hold). */
export interface TrackedAnalyzer extends Analyzer, FlowEvents {
  tracked(): number;
}

/** 32-bit FNV-1a: sets of names keep numbers, not strings (a collision only undercounts by one). */
export function hashName(s: string, from = 0, to = s.length): number {
  // hashName(s.slice(from, to)) with no slice made.
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * An activity that crossed its threshold is reported at once; further growth only marks it, and
 * the tick reports it again (once per tick, not once per packet).
 */
export interface Reported {
  raised: boolean;
  dirty: boolean;
  /** Epoch seconds of the latest event: the state is dropped once idle past its window. */
  last: number;
}

/**
 * Lets a tick skip the sweep of a state table when that sweep would change nothing: no state was
 * marked dirty since the last sweep, and none can be idle past the window yet, since every state's
 * `last` is at least `floor` (the least `last` a survivor of the last sweep kept, or any time a
 * state was given since). The sweeps that do run are the ones the tick always ran, so the reports
 * and the states dropped are the same; a quiet table (or a long window) is no longer walked every second.
 */
export class SweepGate {
  #floor = Infinity;
  #dirty = false;

  /** A state's `last` was set to `ts` (call with every time given to a state). */
  saw(ts: number): void {
    if (ts < this.#floor) this.#floor = ts;
  }

  /** A state was marked dirty. */
  dirtied(): void {
    this.#dirty = true;
  }

  /** Whether a sweep at `now` could report or drop a state; when it could, the sweep starts (survivors go to kept()). */
  begin(now: number, windowSeconds: number): boolean {
    if (!this.#dirty && !(now - this.#floor > windowSeconds)) return false;
    this.#dirty = false;
    this.#floor = Infinity;
    return true;
  }

  /** A state the sweep keeps. */
  kept(last: number): void {
    if (last < this.#floor) this.#floor = last;
  }
}

/** Reports `st` now the first time it crosses; later crossings wait for `reportGrowth`. */
/** A state that grew: once raised, the next sweep reports it again. */
export function markGrown(st: Reported, gate?: SweepGate): void {
  if (!st.raised) return;
  st.dirty = true;
  gate?.dirtied();
}

export function reportOnce<T extends Reported>(st: T, report: (st: T) => void, gate?: SweepGate): void {
  if (firstCrossing(st, gate)) report(st);
}

/**
 * reportOnce without a callback: true the first time `st` crosses (the caller reports it now),
 * later crossings only mark it grown. For hooks that would otherwise make a closure over their own
 * arguments (`reportOnce(st, (x) => raise(target, x))`): a function whose argument a closure
 * captures gets a scope object on every call, whether the closure is made or not.
 */
export function firstCrossing(st: Reported, gate?: SweepGate): boolean {
  if (st.raised) {
    markGrown(st, gate);
    return false;
  }
  st.raised = true;
  return true;
}

/**
 * The tick's half: reports the states that grew since, and drops those idle past `windowSeconds`
 * (with a gate: only when one of them may have).
 */
export function reportGrowth<K, T extends Reported>(
  states: { sweep(isStale: (st: T, key: K) => boolean): void },
  now: number, windowSeconds: number, report: (st: T, key: K) => void, gate?: SweepGate, pool?: StatePool<T>,
): void {
  if (gate !== undefined && !gate.begin(now, windowSeconds)) return;
  states.sweep((st, key) => {
    if (st.dirty) {
      st.dirty = false;
      report(st, key);
    }
    if (now - st.last > windowSeconds) {
      pool?.release(st);
      return true;
    }
    gate?.kept(st.last);
    return false;
  });
}

/**
 * States a sweep dropped, kept (up to a cap) for the detector to reset and give to its next new key
 * instead of making one: a capture that keeps meeting new pairs or targets then makes a state only
 * when the pool is empty. Only for states nothing else holds once dropped.
 */
export class StatePool<T> {
  #free: T[] = [];
  /**
   * `scrub` lets go of what a pooled state holds (its sets and maps), so the pool keeps only the
   * bare states; `reusable` (default all) turns away a state something else still holds.
   */
  constructor(readonly cap: number, readonly scrub: (st: T) => void, readonly reusable?: (st: T) => boolean) {}

  release(st: T): void {
    if (this.#free.length >= this.cap || (this.reusable !== undefined && !this.reusable(st))) return;
    this.scrub(st);
    this.#free.push(st);
  }

  /** A dropped state (to be reset by the caller), or undefined. */
  take(): T | undefined {
    return this.#free.pop();
  }
}
