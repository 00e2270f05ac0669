/**
 * The flow table: typed arrays with an open-addressing index (linear probing, backward-shift
 * deletion), so a packet updates its flow without allocating. Flow objects (FlowRecord) are made
 * only when a flow is reported. Idle flows are found by a timer wheel and flows with new packets
 * by a touched list, so neither expiry nor updates sweep the table.
 *
 * What a packet reads and writes (key, hash, direction, counters, times, TCP state, flags) lies in
 * one 128-byte block per flow (two adjacent cache lines, fetched together), not in a dozen arrays
 * with a cache miss each: with thousands of flows interleaved, those misses were most of the cost
 * of a packet. Read a flow through the accessors (packetsOf, lastSeenOf, initiatorPort, ...).
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet } from "../decode/packet.ts";
import { ipv4Name, ipv6Name, macName, macNumberAt } from "../decode/addr.ts";
import { flowKey, hashKey, KEY_WORDS } from "./key.ts";
import { toFlowRecord } from "./snapshot.ts";
import { SHAPE_PACKETS, wirePayloadLength } from "./shape.ts";
import { TimerWheel } from "./wheel.ts";
import { IdIndex } from "./id-index.ts";
import { FlowLabelColumns, type FlowLabels } from "./labels.ts";
import { ST_ATTEMPT, ST_CLOSED, ST_ESTABLISHED, ST_NONE, ST_RESET } from "./state.ts";
import type { FlowRecord } from "./record.ts";
import type { PacketBatch } from "../capture/batch.ts";

/**
 * The native cache warmer (native/ni_flowhint.c): (batch bytes, start, used, count, recordPad,
 * link type, slots, mask, blocks, block bytes, hashes) -> packets whose slot held a flow. It reads
 * the table; `hashes` (tests; null: none) gets each packet's key hash, 0 where it made none.
 */
export type FlowWarmer = (
  bytes: Uint8Array, start: number, used: number, count: number, pad: number, linkType: number,
  slots: Int32Array, mask: number, blocks: Uint32Array, blockBytes: number, hashes: Uint32Array | null,
) => number;

/** Idle timeouts in seconds, in the spirit of ntopng / Suricata defaults. */
export interface FlowTimeouts {
  tcpEstablished: number;
  tcpAttempt: number;
  tcpClosed: number;
  udp: number;
  other: number;
}

export const DEFAULT_TIMEOUTS: FlowTimeouts = { tcpEstablished: 300, tcpAttempt: 30, tcpClosed: 15, udp: 60, other: 60 };
export const DEFAULT_MAX_FLOWS = 262_144;


export type EndReason = "idle" | "closed" | "evicted" | "shutdown";
export type { FlowLabels };

export interface FlowTableOptions {
  maxFlows?: number;
  timeouts?: Partial<FlowTimeouts>;
  firstId?: number;
  /** Called before an ended flow's entry is freed (read it with `record(index)`). */
  onEnd?: (index: number, reason: EndReason) => void;
}

const NO_MAC = -1;

// The texts kept per flow (see `texts`): id, then initiator / responder address, then MAC.
const TEXTS = 5, T_ID = 0, T_IP = 1, T_MAC = 3;

/** A flow id as text: ids are whole numbers, and an int32 becomes text ~3x faster than a double. */
export function flowIdText(id: number): string {
  return id <= 0x7fffffff ? String(id | 0) : String(id);
}

// The per-flow block: BLOCK_BYTES at index * BLOCK_BYTES, seen as u32 words, f64s and bytes.
const BLOCK_BYTES = 128;
const BLOCK_WORDS = BLOCK_BYTES / 4;
const BLOCK_F64 = BLOCK_BYTES / 8;
/** u32 words: the flow key (KEY_WORDS) and its hash. */
const W_HASH = KEY_WORDS;
/** Bytes. */
const B_INITIATOR_IS_A = 44, B_STATE = 45, B_FLAGS = 46 /* [2]: per direction */, B_TOUCHED = 48, B_SHAPE_COUNT = 49,
  B_INSPECTED = 50, B_PAYLOAD_SEEN = 51 /* [2]: per direction */;
/** f64s. */
const F_LAST_SEEN = 7, F_PACKETS = 8 /* [2] */, F_BYTES = 10 /* [2] */, F_FIRST_SEEN = 12, F_MACS = 14 /* [2] */;

export class FlowTable {
  readonly capacity: number;
  readonly timeouts: FlowTimeouts;
  /** Slot -> flow index + 1 (0 = empty). */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** The per-flow blocks (see BLOCK_BYTES), as words, numbers and bytes. */
  private readonly words: Uint32Array;
  private readonly nums: Float64Array;
  private readonly small: Uint8Array;
  // Per flow, indexed by flow index (read outside the per-packet path):
  readonly inUse: Uint8Array;
  readonly ids: Float64Array;
  /** Signed payload lengths of the first SHAPE_PACKETS payload packets ([i * SHAPE_PACKETS + k]). */
  readonly shapes: Int16Array;
  /** Service, host name, application, category and device ids, interned (see labels.ts). */
  readonly labels: FlowLabelColumns;
  /**
   * Per flow index, TEXTS texts made for the flow when first asked (id, addresses, MACs), so the
   * records and hooks of one flow share them: a read of an array, not a number turned into text
   * or a cache lookup per event. Grown when a text is first made (a table whose texts nobody asks
   * for, e.g. flows only, keeps none); a flow's texts are dropped when it ends.
   */
  private readonly texts: (string | null | undefined)[] = [];
  private readonly free: Int32Array;
  private freeTop: number;
  private highWater = 0;
  private readonly idToIndex: IdIndex;
  private readonly key = new Uint32Array(KEY_WORDS);
  private readonly onEnd?: (index: number, reason: EndReason) => void;
  private readonly wheel: TimerWheel;
  /** Flows with packets since the last `takeTouched` (each index listed once while its touched byte is 1). */
  private readonly touchedList: Int32Array;
  private touchedCount = 0;
  private expireNow = 0;
  private expired = 0;
  /** Set while endAll ends every flow: the key index and the wheel are rebuilt after, not unlinked per flow. */
  private endingAll = false;
  private readonly expireDue = (i: number): void => {
    const now = this.expireNow;
    const last = this.nums[i * BLOCK_F64 + F_LAST_SEEN];
    if (now - last > this.timeoutOf(i)) {
      const st = this.small[i * BLOCK_BYTES + B_STATE];
      this.end(i, st === ST_CLOSED || st === ST_RESET ? "closed" : "idle");
      this.expired++;
    } else {
      this.wheel.schedule(i, last + this.timeoutOf(i));
    }
  };
  nextId: number;
  /** Flows in the table now. */
  size = 0;
  evictions = 0;
  created = 0;
  /** Set by `update`: 0 when the packet went initiator -> responder, 1 otherwise; and whether it made the flow. */
  lastDirection = 0;
  lastIsNew = false;

  constructor(opts: FlowTableOptions = {}) {
    const max = Math.max(16, opts.maxFlows ?? DEFAULT_MAX_FLOWS);
    this.capacity = max;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    let size = 1;
    while (size < max * 2) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    const blocks = new ArrayBuffer(max * BLOCK_BYTES);
    this.words = new Uint32Array(blocks);
    this.nums = new Float64Array(blocks);
    this.small = new Uint8Array(blocks);
    this.inUse = new Uint8Array(max);
    this.ids = new Float64Array(max);
    this.idToIndex = new IdIndex(max, this.ids);
    this.shapes = new Int16Array(max * SHAPE_PACKETS);
    this.labels = new FlowLabelColumns(max);
    this.wheel = new TimerWheel(max);
    this.touchedList = new Int32Array(max);
    // Freed indexes only: a new flow takes the last one freed, else the next never used (highWater),
    // so indexes are taken lowest first as before, without a list of every index written up front.
    this.free = new Int32Array(max);
    this.freeTop = 0;
    this.nextId = opts.firstId ?? 1;
    this.onEnd = opts.onEnd;
  }

  /**
   * Has `warm` fetch into the cache, ahead of `update`, the slot and block of the flow of each of
   * `count` packets of the batch from the record at byte `start`: the misses of many packets
   * overlap instead of each packet waiting on its own. Returns how many packets' slots held a flow
   * (a hint: no packet is counted or changed here); `hashes` (tests, at least `count` long) gets
   * each packet's key hash, 0 where none was made.
   */
  warmFor(batch: PacketBatch, linkType: number, warm: FlowWarmer, start = 0, count = batch.count, hashes: Uint32Array | null = null): number {
    return warm(batch.bytes, start, batch.used, count, batch.recordPad ?? 7, linkType, this.slots, this.mask, this.words, BLOCK_BYTES, hashes);
  }

  /** Counts an IP packet into its flow (creating it when new) and returns the flow index. */
  update(p: Packet): number {
    const key = this.key, words = this.words, slots = this.slots, mask = this.mask;
    const srcIsA = flowKey(p, key);
    const hash = hashKey(key);
    let slot = hash & mask;
    let index = -1;
    for (;;) {
      const entry = slots[slot];
      if (entry === 0) break;
      const candidate = entry - 1;
      if (words[candidate * BLOCK_WORDS + W_HASH] === hash && this.sameKey(candidate * BLOCK_WORDS)) {
        index = candidate;
        break;
      }
      slot = (slot + 1) & mask;
    }
    const isNew = index < 0;
    if (isNew) {
      if (this.freeTop === 0 && this.highWater === this.capacity) {
        this.makeRoom(p.ts);
        return this.update(p);
      }
      index = this.freeTop > 0 ? this.free[--this.freeTop] : this.highWater;
      slots[slot] = index + 1;
      this.create(index, hash, p, srcIsA);
    }
    const small = this.small, nums = this.nums;
    const sb = index * BLOCK_BYTES, nb = index * BLOCK_F64;
    const dir = (srcIsA ? 1 : 0) === small[sb + B_INITIATOR_IS_A] ? 0 : 1;
    nums[nb + F_PACKETS + dir] += 1;
    nums[nb + F_BYTES + dir] += p.wireLen;
    // Time going backwards (reordered capture) moves the deadline earlier: file the flow again.
    const back = p.ts < nums[nb + F_LAST_SEEN];
    nums[nb + F_LAST_SEEN] = p.ts;
    if (p.ipProtocol === 6 && p.l4Off >= 0) {
      const before = small[sb + B_STATE];
      this.trackTcp(sb, dir, p.tcpFlags);
      if (small[sb + B_STATE] !== before || back) this.wheel.schedule(index, p.ts + this.timeoutOf(index));
    } else if (back) {
      this.wheel.schedule(index, p.ts + this.timeoutOf(index));
    }
    if (small[sb + B_TOUCHED] === 0) {
      small[sb + B_TOUCHED] = 1;
      this.touchedList[this.touchedCount++] = index;
    }
    if (p.payloadLength > 0 && small[sb + B_SHAPE_COUNT] < SHAPE_PACKETS) this.recordShape(index, dir, p);
    this.lastDirection = dir;
    this.lastIsNew = isNew;
    return index;
  }

  private recordShape(index: number, dir: number, p: Packet): void {
    const at = index * BLOCK_BYTES + B_SHAPE_COUNT;
    const n = this.small[at];
    const len = wirePayloadLength(p);
    if (len === 0) return;
    this.shapes[index * SHAPE_PACKETS + n] = dir === 0 ? len : -len;
    this.small[at] = n + 1;
  }

  /** Whether the key being looked up is the one in the block at word `base`. */
  private sameKey(base: number): boolean {
    const k = this.key, w = this.words;
    return w[base + 8] === k[8] && w[base + 9] === k[9] && w[base] === k[0] && w[base + 4] === k[4] &&
      w[base + 1] === k[1] && w[base + 2] === k[2] && w[base + 3] === k[3] &&
      w[base + 5] === k[5] && w[base + 6] === k[6] && w[base + 7] === k[7];
  }

  private create(index: number, hash: number, p: Packet, srcIsA: boolean): void {
    const wb = index * BLOCK_WORDS, sb = index * BLOCK_BYTES, nb = index * BLOCK_F64;
    const words = this.words, small = this.small, nums = this.nums;
    // A freed block keeps its old numbers: every field is set here (but the touched byte).
    const key = this.key;
    for (let w = 0; w < KEY_WORDS; w++) words[wb + w] = key[w]; // not words.set: a native call costs more for 10 words
    words[wb + W_HASH] = hash;
    this.inUse[index] = 1;
    if (index >= this.highWater) this.highWater = index + 1;
    // The initiator is the packet's sender, except when the first packet seen is a SYN+ACK:
    // then the SYN (not captured) came from the other side.
    const synAck = p.ipProtocol === 6 && (p.tcpFlags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    const senderInitiates = !synAck;
    small[sb + B_INITIATOR_IS_A] = (srcIsA === senderInitiates) ? 1 : 0;
    small[sb + B_STATE] = p.ipProtocol === 6 ? ST_ATTEMPT : ST_NONE;
    small[sb + B_FLAGS] = small[sb + B_FLAGS + 1] = 0;
    // The touched byte is left as it is: a reused index still on the touched list stays listed once.
    small[sb + B_SHAPE_COUNT] = 0;
    nums[nb + F_PACKETS] = nums[nb + F_PACKETS + 1] = 0;
    nums[nb + F_BYTES] = nums[nb + F_BYTES + 1] = 0;
    // MACs by role: sender's source MAC belongs to the initiator unless the roles are swapped.
    const srcMac = p.macOff >= 0 ? macNumberAt(p.bytes, p.macOff + 6) : p.srcMacOff >= 0 ? macNumberAt(p.bytes, p.srcMacOff) : NO_MAC;
    const dstMac = p.macOff >= 0 ? macNumberAt(p.bytes, p.macOff) : NO_MAC;
    nums[nb + F_MACS] = senderInitiates ? srcMac : dstMac;
    nums[nb + F_MACS + 1] = senderInitiates ? dstMac : srcMac;
    nums[nb + F_FIRST_SEEN] = p.ts;
    nums[nb + F_LAST_SEEN] = p.ts;
    small[sb + B_INSPECTED] = 0;
    small[sb + B_PAYLOAD_SEEN] = small[sb + B_PAYLOAD_SEEN + 1] = 0;
    // Labels need no clearing here: end() cleared them, and nothing labels a free index.
    if (this.created === 0) this.wheel.begin(p.ts);
    this.wheel.schedule(index, p.ts + this.timeoutOf(index));
    const id = this.nextId++;
    this.ids[index] = id;
    this.idToIndex.set(id, index);
    this.size++;
    this.created++;
  }

  /** Tracks TCP flags and state in the flow's block (`sb`: its byte offset). */
  private trackTcp(sb: number, dir: number, flags: number): void {
    const small = this.small;
    small[sb + B_FLAGS + dir] |= flags;
    const st = small[sb + B_STATE];
    if (flags & TCP_RST) {
      small[sb + B_STATE] = ST_RESET;
      return;
    }
    if (st === ST_RESET || st === ST_CLOSED) return;
    const fwd = small[sb + B_FLAGS], rev = small[sb + B_FLAGS + 1];
    if (st === ST_ATTEMPT) {
      // Established on the SYN+ACK answer, or mid-stream when both sides have sent.
      if (((rev & TCP_SYN) && (rev & TCP_ACK)) || (fwd & TCP_SYN) === 0 && rev !== 0) small[sb + B_STATE] = ST_ESTABLISHED;
    }
    if ((fwd & TCP_FIN) && (rev & TCP_FIN)) small[sb + B_STATE] = ST_CLOSED;
  }

  /** The idle timeout that applies to a flow now. */
  timeoutOf(index: number): number {
    const t = this.timeouts;
    switch (this.small[index * BLOCK_BYTES + B_STATE]) {
      case ST_ESTABLISHED: return t.tcpEstablished;
      case ST_ATTEMPT: return t.tcpAttempt;
      case ST_CLOSED:
      case ST_RESET: return t.tcpClosed;
    }
    return this.ipProtocolOf(index) === 17 ? t.udp : t.other;
  }

  /**
   * Ends every flow idle longer than its timeout at time `now`. Returns how many ended. Only the
   * flows the timer wheel has due by now are looked at; the living ones are filed again.
   */
  expire(now: number): number {
    this.expireNow = now;
    this.expired = 0;
    this.wheel.advance(now, this.expireDue);
    return this.expired;
  }

  /**
   * Calls `fn` for every flow in the table that saw packets since the last call (each once), and
   * starts a new period. Flows that ended in between are skipped (their end reported them).
   */
  takeTouched(fn: (index: number) => void): void {
    const list = this.touchedList, n = this.touchedCount;
    this.touchedCount = 0;
    for (let k = 0; k < n; k++) {
      const i = list[k];
      this.small[i * BLOCK_BYTES + B_TOUCHED] = 0;
      if (this.inUse[i]) fn(i);
    }
  }

  /** How many payload packets shapeOf() holds (its length, with no array made). */
  shapeCountOf(index: number): number {
    return this.small[index * BLOCK_BYTES + B_SHAPE_COUNT];
  }

  /** The signed payload lengths of a flow's first payload packets (+ initiator -> responder). */
  shapeOf(index: number): number[] {
    const n = this.small[index * BLOCK_BYTES + B_SHAPE_COUNT], base = index * SHAPE_PACKETS, out = new Array<number>(n);
    for (let k = 0; k < n; k++) out[k] = this.shapes[base + k];
    return out;
  }

  /**
   * Ends every flow (end of a capture file, shutdown). The key index and the timer wheel are
   * emptied once afterwards rather than flow by flow: unlinking each flow from them cost ~0.4 us
   * per flow in cache misses, and a file can end with a hundred thousand flows in progress.
   */
  endAll(reason: EndReason = "shutdown"): void {
    this.endingAll = true;
    try {
      for (let i = 0; i < this.highWater; i++) if (this.inUse[i]) this.end(i, reason);
    } finally {
      this.endingAll = false;
      this.rebuildLookups();
    }
  }

  /** Files every flow in use (none after a whole endAll; some when a hook threw) in an emptied key index and wheel. */
  private rebuildLookups(): void {
    this.slots.fill(0);
    this.wheel.clear();
    this.idToIndex.clear();
    const words = this.words, slots = this.slots, mask = this.mask;
    for (let i = 0; i < this.highWater; i++) {
      if (!this.inUse[i]) continue;
      let slot = words[i * BLOCK_WORDS + W_HASH] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = i + 1;
      this.wheel.schedule(i, this.lastSeenOf(i) + this.timeoutOf(i));
      this.idToIndex.set(this.ids[i], i);
    }
  }

  /** The table is full: expire what is idle; failing that, evict the least recently seen eighth. */
  private makeRoom(now: number): void {
    if (this.expire(now) > 0) return;
    // The cut-off is estimated from a sample rather than a sort of the whole table.
    const sample: number[] = [];
    const step = Math.max(1, Math.floor(this.highWater / 512));
    for (let i = 0; i < this.highWater; i += step) if (this.inUse[i]) sample.push(this.lastSeenOf(i));
    sample.sort((a, b) => a - b);
    const cutoff = sample[Math.floor(sample.length / 8)] ?? now;
    let evicted = 0;
    for (let i = 0; i < this.highWater; i++) {
      if (this.inUse[i] && this.lastSeenOf(i) <= cutoff) {
        this.end(i, "evicted");
        evicted++;
      }
    }
    if (evicted === 0) {
      for (let i = 0; i < this.highWater; i++) if (this.inUse[i]) { this.end(i, "evicted"); evicted = 1; break; }
    }
    this.evictions += evicted;
  }

  /** Reports and frees one flow. */
  end(index: number, reason: EndReason): void {
    if (!this.inUse[index]) return;
    this.onEnd?.(index, reason);
    if (!this.endingAll) {
      this.removeFromIndex(index);
      this.wheel.cancel(index);
    }
    this.inUse[index] = 0;
    this.labels.clear(index);
    this.forgetTexts(index);
    if (!this.endingAll) this.idToIndex.delete(this.ids[index]);
    this.free[this.freeTop++] = index;
    this.size--;
  }

  private removeFromIndex(index: number): void {
    const mask = this.mask, slots = this.slots;
    const words = this.words;
    let s = words[index * BLOCK_WORDS + W_HASH] & mask;
    while (slots[s] !== index + 1) {
      if (slots[s] === 0) return; // not indexed (cannot happen for an in-use flow)
      s = (s + 1) & mask;
    }
    slots[s] = 0;
    // Backward-shift: pull later entries of the probe run into the hole.
    let j = s;
    for (;;) {
      j = (j + 1) & mask;
      const entry = slots[j];
      if (entry === 0) return;
      const home = words[(entry - 1) * BLOCK_WORDS + W_HASH] & mask;
      const between = s <= j ? home > s && home <= j : home > s || home <= j;
      if (!between) {
        slots[s] = entry;
        slots[j] = 0;
        s = j;
      }
    }
  }

  /** Sets a MAC that was unknown when the flow began (role 0 initiator, 1 responder). */
  setMacIfUnknown(index: number, role: 0 | 1, mac: number): void {
    const at = index * BLOCK_F64 + F_MACS + role;
    if (this.nums[at] === NO_MAC) {
      this.nums[at] = mac;
      const text = index * TEXTS + T_MAC + role;
      if (text < this.texts.length) this.texts[text] = undefined;
    }
  }

  private forgetTexts(index: number): void {
    const texts = this.texts, base = index * TEXTS;
    if (base < texts.length) for (let k = 0; k < TEXTS; k++) texts[base + k] = undefined;
  }

  indexOf(id: string | number): number {
    const idx = this.idToIndex.get(typeof id === "string" ? Number(id) : id);
    // In endAll, ended flows leave the id index only at the end (flows ended by then are not in use).
    return idx >= 0 && this.inUse[idx] === 1 ? idx : -1;
  }

  // Numbers of a flow by role (initiator / responder), for the numeric analyzer hooks: no record made.

  /** The IP protocol number (6 TCP, 17 UDP, ...). */
  ipProtocolOf(index: number): number {
    return (this.words[index * BLOCK_WORDS + 9] >>> 12) & 0xff;
  }

  /** 4 or 6. */
  ipVersionOf(index: number): number {
    return this.words[index * BLOCK_WORDS + 9] >>> 20;
  }

  /** Outer 802.1Q VLAN id, 0 when untagged. */
  vlanOf(index: number): number {
    return this.words[index * BLOCK_WORDS + 9] & 0xfff;
  }

  /** Whether endpoint A of the key (words 0-3) is the initiator. */
  private aInitiates(index: number): boolean {
    return this.small[index * BLOCK_BYTES + B_INITIATOR_IS_A] === 1;
  }

  initiatorPort(index: number): number {
    const ports = this.words[index * BLOCK_WORDS + 8];
    return this.aInitiates(index) ? ports >>> 16 : ports & 0xffff;
  }

  responderPort(index: number): number {
    const ports = this.words[index * BLOCK_WORDS + 8];
    return this.aInitiates(index) ? ports & 0xffff : ports >>> 16;
  }

  /** MACs as 48-bit numbers (macName turns one into text), -1 when unknown. */
  initiatorMac(index: number): number {
    return this.nums[index * BLOCK_F64 + F_MACS];
  }

  responderMac(index: number): number {
    return this.nums[index * BLOCK_F64 + F_MACS + 1];
  }

  /** An IPv4 address as an unsigned 32-bit number, -1 for an IPv6 flow. */
  initiatorIp4(index: number): number {
    return this.endpointIp4(index, this.aInitiates(index) ? 0 : 4);
  }

  responderIp4(index: number): number {
    return this.endpointIp4(index, this.aInitiates(index) ? 4 : 0);
  }

  /**
   * Word `k` (0-3) of an end's address (role 0 the initiator, 1 the responder): an IPv6 address's
   * four 32-bit words, big-endian (an IPv4 address is word 0). Numbers, no text made.
   */
  ipWord(index: number, role: number, k: number): number {
    const word = this.aInitiates(index) === (role === 0) ? 0 : 4;
    return this.words[index * BLOCK_WORDS + word + k];
  }

  /** Address text, made once per flow (and cached per address: an address seen before is not made again). */
  initiatorIp(index: number): string {
    return (this.texts[index * TEXTS + T_IP] as string | undefined) ?? this.ipText(index, 0);
  }

  responderIp(index: number): string {
    return (this.texts[index * TEXTS + T_IP + 1] as string | undefined) ?? this.ipText(index, 1);
  }

  /** MAC text ("aa:bb:..."), null when unknown; made once per flow. */
  initiatorMacText(index: number): string | null {
    const s = this.texts[index * TEXTS + T_MAC];
    return s !== undefined ? s : this.macText(index, 0);
  }

  responderMacText(index: number): string | null {
    const s = this.texts[index * TEXTS + T_MAC + 1];
    return s !== undefined ? s : this.macText(index, 1);
  }

  /** The flow's id as FlowRecord.id spells it (decimal), made once per flow. */
  idText(index: number): string {
    let s = this.texts[index * TEXTS + T_ID];
    if (s == null) this.textsFor(index)[index * TEXTS + T_ID] = s = flowIdText(this.ids[index]);
    return s;
  }

  private ipText(index: number, role: number): string {
    const word = this.aInitiates(index) === (role === 0) ? 0 : 4;
    return (this.textsFor(index)[index * TEXTS + T_IP + role] = this.endpointName(index, word));
  }

  private macText(index: number, role: number): string | null {
    const mac = this.nums[index * BLOCK_F64 + F_MACS + role];
    return (this.textsFor(index)[index * TEXTS + T_MAC + role] = mac >= 0 ? macName(mac) : null);
  }

  /** The texts array, long enough for every flow index in use (`index` among them). */
  private textsFor(index: number): (string | null | undefined)[] {
    const texts = this.texts, want = Math.max(this.highWater, index + 1) * TEXTS;
    // Pushed one by one: a JS array made with its full length at once would be a slow sparse one.
    while (texts.length < want) texts.push(undefined);
    return texts;
  }

  private endpointIp4(index: number, word: number): number {
    const base = index * BLOCK_WORDS;
    return this.words[base + 9] >>> 20 === 4 ? this.words[base + word] : -1;
  }

  private endpointName(index: number, word: number): string {
    const k = this.words, base = index * BLOCK_WORDS, w = base + word;
    return k[base + 9] >>> 20 === 4 ? ipv4Name(k[w]) : ipv6Name(k[w], k[w + 1], k[w + 2], k[w + 3]);
  }

  /** Packets and wire bytes by direction: 0 initiator -> responder, 1 back. */
  packetsOf(index: number, dir: number): number {
    return this.nums[index * BLOCK_F64 + F_PACKETS + dir];
  }

  bytesOf(index: number, dir: number): number {
    return this.nums[index * BLOCK_F64 + F_BYTES + dir];
  }

  /** Epoch seconds of the flow's first and latest packet. */
  firstSeenOf(index: number): number {
    return this.nums[index * BLOCK_F64 + F_FIRST_SEEN];
  }

  lastSeenOf(index: number): number {
    return this.nums[index * BLOCK_F64 + F_LAST_SEEN];
  }

  /** TCP flags seen by direction (0 initiator -> responder, 1 back). */
  tcpFlagsOf(index: number, dir: number): number {
    return this.small[index * BLOCK_BYTES + B_FLAGS + dir];
  }

  /** The TCP state (state.ts: ST_ATTEMPT, ST_ESTABLISHED, ...; ST_NONE for other protocols). */
  stateOf(index: number): number {
    return this.small[index * BLOCK_BYTES + B_STATE];
  }

  /** How many payload packets the application decoders have inspected (dispatch.ts's budget). */
  inspectedOf(index: number): number {
    return this.small[index * BLOCK_BYTES + B_INSPECTED];
  }

  setInspected(index: number, n: number): void {
    this.small[index * BLOCK_BYTES + B_INSPECTED] = n;
  }

  /** Payload packets handed to payload analyzers in a direction (the engine's DPI budget). */
  payloadSeenOf(index: number, dir: number): number {
    return this.small[index * BLOCK_BYTES + B_PAYLOAD_SEEN + dir];
  }

  setPayloadSeen(index: number, dir: number, n: number): void {
    this.small[index * BLOCK_BYTES + B_PAYLOAD_SEEN + dir] = n;
  }

  /** The flow key's words (KEY_WORDS, key.ts's layout) as they are in the table, for reading. */
  keyWord(index: number, word: number): number {
    return this.words[index * BLOCK_WORDS + word];
  }

  /** Sets labels on a flow by index (the numeric hooks' `label`). */
  labelAt(index: number, patch: FlowLabels): void {
    if (this.inUse[index]) this.labels.set(index, patch);
  }

  /** The FlowRecord of a flow in the table. */
  record(index: number): FlowRecord {
    return toFlowRecord(this, index);
  }

  get(id: string | number): FlowRecord | undefined {
    const idx = this.indexOf(id);
    return idx < 0 ? undefined : this.record(idx);
  }

  /** Every flow in the table (unordered). */
  active(): FlowRecord[] {
    const out: FlowRecord[] = [];
    for (let i = 0; i < this.highWater; i++) if (this.inUse[i]) out.push(this.record(i));
    return out;
  }

  /** Sets labels (service, hostname, application, category, device ids) on a flow in the table. */
  label(id: string | number, patch: FlowLabels): boolean {
    const idx = this.indexOf(id);
    if (idx < 0) return false;
    this.labels.set(idx, patch);
    return true;
  }

  /** Every flow in progress with its MACs (by role, null when unknown) and counters, no record made. */
  forEachTraffic(visit: (srcMac: string | null, dstMac: string | null, pOut: number, bOut: number, pIn: number, bIn: number) => void): void {
    const nums = this.nums;
    for (let i = 0; i < this.highWater; i++) {
      if (!this.inUse[i]) continue;
      const nb = i * BLOCK_F64, src = nums[nb + F_MACS], dst = nums[nb + F_MACS + 1];
      visit(src >= 0 ? macName(src) : null, dst >= 0 ? macName(dst) : null,
        nums[nb + F_PACKETS], nums[nb + F_BYTES], nums[nb + F_PACKETS + 1], nums[nb + F_BYTES + 1]);
    }
  }

  forEachActive(fn: (index: number) => void): void {
    for (let i = 0; i < this.highWater; i++) if (this.inUse[i]) fn(i);
  }
}
