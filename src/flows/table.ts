/**
 * The flow table: struct-of-arrays in typed arrays with an open-addressing index (linear probing,
 * backward-shift deletion), so a packet updates its flow without allocating. Flow objects
 * (FlowRecord) are made only when a flow is reported. Idle flows are found by a timer wheel and
 * flows with new packets by a touched list, so neither expiry nor updates sweep the table.
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet } from "../decode/packet.ts";
import { ipv4Name, ipv6Name, macName, macNumberAt } from "../decode/addr.ts";
import { flowKey, hashKey, KEY_WORDS } from "./key.ts";
import { toFlowRecord } from "./snapshot.ts";
import { SHAPE_PACKETS, wirePayloadLength } from "./shape.ts";
import { TimerWheel } from "./wheel.ts";
import { FlowLabelColumns, type FlowLabels } from "./labels.ts";
import { ST_ATTEMPT, ST_CLOSED, ST_ESTABLISHED, ST_NONE, ST_RESET } from "./state.ts";
import type { FlowRecord } from "./record.ts";

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

export class FlowTable {
  readonly capacity: number;
  readonly timeouts: FlowTimeouts;
  /** Slot -> flow index + 1 (0 = empty). */
  private readonly slots: Int32Array;
  private readonly mask: number;
  // Per flow, indexed by flow index:
  readonly keys: Uint32Array;
  readonly hashes: Uint32Array;
  readonly inUse: Uint8Array;
  /** 1 when endpoint A (key words 0-3) is the initiator. */
  readonly initiatorIsA: Uint8Array;
  /** [2i] initiator -> responder, [2i+1] responder -> initiator. */
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly tcpFlags: Uint8Array;
  readonly macs: Float64Array;
  readonly firstSeen: Float64Array;
  readonly lastSeen: Float64Array;
  readonly ids: Float64Array;
  readonly state: Uint8Array;
  /** How many payload packets the engine has inspected (application decoders). */
  readonly inspected: Uint8Array;
  /** Payload packets handed to payload analyzers, [2i] initiator -> responder, [2i+1] back. */
  readonly payloadSeen: Uint8Array;
  /** Signed payload lengths of the first SHAPE_PACKETS payload packets ([i * SHAPE_PACKETS + k]). */
  readonly shapes: Int16Array;
  readonly shapeCount: Uint8Array;
  /** Service, host name, application, category and device ids, interned (see labels.ts). */
  readonly labels: FlowLabelColumns;
  private readonly free: Int32Array;
  private freeTop: number;
  private highWater = 0;
  private readonly idToIndex = new Map<number, number>();
  private readonly key = new Uint32Array(KEY_WORDS);
  private readonly onEnd?: (index: number, reason: EndReason) => void;
  private readonly wheel: TimerWheel;
  /** Flows with packets since the last `takeTouched` (each index listed once while touched[i] is 1). */
  private readonly touched: Uint8Array;
  private readonly touchedList: Int32Array;
  private touchedCount = 0;
  private expireNow = 0;
  private expired = 0;
  private readonly expireDue = (i: number): void => {
    const now = this.expireNow;
    if (now - this.lastSeen[i] > this.timeoutOf(i)) {
      const st = this.state[i];
      this.end(i, st === ST_CLOSED || st === ST_RESET ? "closed" : "idle");
      this.expired++;
    } else {
      this.wheel.schedule(i, this.lastSeen[i] + this.timeoutOf(i));
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
    this.keys = new Uint32Array(max * KEY_WORDS);
    this.hashes = new Uint32Array(max);
    this.inUse = new Uint8Array(max);
    this.initiatorIsA = new Uint8Array(max);
    this.packets = new Float64Array(max * 2);
    this.bytes = new Float64Array(max * 2);
    this.tcpFlags = new Uint8Array(max * 2);
    this.macs = new Float64Array(max * 2);
    this.firstSeen = new Float64Array(max);
    this.lastSeen = new Float64Array(max);
    this.ids = new Float64Array(max);
    this.state = new Uint8Array(max);
    this.inspected = new Uint8Array(max);
    this.payloadSeen = new Uint8Array(max * 2);
    this.shapes = new Int16Array(max * SHAPE_PACKETS);
    this.shapeCount = new Uint8Array(max);
    this.labels = new FlowLabelColumns(max);
    this.wheel = new TimerWheel(max);
    this.touched = new Uint8Array(max);
    this.touchedList = new Int32Array(max);
    this.free = new Int32Array(max);
    for (let i = 0; i < max; i++) this.free[i] = max - 1 - i;
    this.freeTop = max;
    this.nextId = opts.firstId ?? 1;
    this.onEnd = opts.onEnd;
  }

  /** Counts an IP packet into its flow (creating it when new) and returns the flow index. */
  update(p: Packet): number {
    const key = this.key;
    const srcIsA = flowKey(p, key);
    const hash = hashKey(key);
    let slot = hash & this.mask;
    let index = -1;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === 0) break;
      const candidate = entry - 1;
      if (this.hashes[candidate] === hash && this.sameKey(candidate)) {
        index = candidate;
        break;
      }
      slot = (slot + 1) & this.mask;
    }
    const isNew = index < 0;
    if (isNew) {
      if (this.freeTop === 0) {
        this.makeRoom(p.ts);
        return this.update(p);
      }
      index = this.free[--this.freeTop];
      this.slots[slot] = index + 1;
      this.create(index, hash, p, srcIsA);
    }
    const dir = (srcIsA ? 1 : 0) === this.initiatorIsA[index] ? 0 : 1;
    const d2 = index * 2 + dir;
    this.packets[d2] += 1;
    this.bytes[d2] += p.wireLen;
    // Time going backwards (reordered capture) moves the deadline earlier: file the flow again.
    const back = p.ts < this.lastSeen[index];
    this.lastSeen[index] = p.ts;
    if (p.ipProtocol === 6 && p.l4Off >= 0) {
      const before = this.state[index];
      this.trackTcp(index, dir, p.tcpFlags);
      if (this.state[index] !== before || back) this.wheel.schedule(index, p.ts + this.timeoutOf(index));
    } else if (back) {
      this.wheel.schedule(index, p.ts + this.timeoutOf(index));
    }
    if (this.touched[index] === 0) {
      this.touched[index] = 1;
      this.touchedList[this.touchedCount++] = index;
    }
    if (p.payloadLength > 0 && this.shapeCount[index] < SHAPE_PACKETS) this.recordShape(index, dir, p);
    this.lastDirection = dir;
    this.lastIsNew = isNew;
    return index;
  }

  private recordShape(index: number, dir: number, p: Packet): void {
    const n = this.shapeCount[index];
    const len = wirePayloadLength(p);
    if (len === 0) return;
    this.shapes[index * SHAPE_PACKETS + n] = dir === 0 ? len : -len;
    this.shapeCount[index] = n + 1;
  }

  private sameKey(index: number): boolean {
    const k = this.key, keys = this.keys, base = index * KEY_WORDS;
    return keys[base + 8] === k[8] && keys[base + 9] === k[9] && keys[base] === k[0] && keys[base + 4] === k[4] &&
      keys[base + 1] === k[1] && keys[base + 2] === k[2] && keys[base + 3] === k[3] &&
      keys[base + 5] === k[5] && keys[base + 6] === k[6] && keys[base + 7] === k[7];
  }

  private create(index: number, hash: number, p: Packet, srcIsA: boolean): void {
    this.keys.set(this.key, index * KEY_WORDS);
    this.hashes[index] = hash;
    this.inUse[index] = 1;
    if (index >= this.highWater) this.highWater = index + 1;
    // The initiator is the packet's sender, except when the first packet seen is a SYN+ACK:
    // then the SYN (not captured) came from the other side.
    const synAck = p.ipProtocol === 6 && (p.tcpFlags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    const senderInitiates = !synAck;
    this.initiatorIsA[index] = (srcIsA === senderInitiates) ? 1 : 0;
    const i2 = index * 2;
    this.packets[i2] = this.packets[i2 + 1] = 0;
    this.bytes[i2] = this.bytes[i2 + 1] = 0;
    this.tcpFlags[i2] = this.tcpFlags[i2 + 1] = 0;
    // MACs by role: sender's source MAC belongs to the initiator unless the roles are swapped.
    const srcMac = p.macOff >= 0 ? macNumberAt(p.bytes, p.macOff + 6) : p.srcMacOff >= 0 ? macNumberAt(p.bytes, p.srcMacOff) : NO_MAC;
    const dstMac = p.macOff >= 0 ? macNumberAt(p.bytes, p.macOff) : NO_MAC;
    this.macs[i2] = senderInitiates ? srcMac : dstMac;
    this.macs[i2 + 1] = senderInitiates ? dstMac : srcMac;
    this.firstSeen[index] = p.ts;
    this.state[index] = p.ipProtocol === 6 ? ST_ATTEMPT : ST_NONE;
    this.inspected[index] = 0;
    this.payloadSeen[i2] = this.payloadSeen[i2 + 1] = 0;
    this.shapeCount[index] = 0;
    this.labels.clear(index);
    if (this.created === 0) this.wheel.begin(p.ts);
    this.wheel.schedule(index, p.ts + this.timeoutOf(index));
    const id = this.nextId++;
    this.ids[index] = id;
    this.idToIndex.set(id, index);
    this.size++;
    this.created++;
  }

  private trackTcp(index: number, dir: number, flags: number): void {
    const i2 = index * 2;
    this.tcpFlags[i2 + dir] |= flags;
    const st = this.state[index];
    if (flags & TCP_RST) {
      this.state[index] = ST_RESET;
      return;
    }
    if (st === ST_RESET || st === ST_CLOSED) return;
    const fwd = this.tcpFlags[i2], rev = this.tcpFlags[i2 + 1];
    if (st === ST_ATTEMPT) {
      // Established on the SYN+ACK answer, or mid-stream when both sides have sent.
      if (((rev & TCP_SYN) && (rev & TCP_ACK)) || (fwd & TCP_SYN) === 0 && rev !== 0) this.state[index] = ST_ESTABLISHED;
    }
    if ((fwd & TCP_FIN) && (rev & TCP_FIN)) this.state[index] = ST_CLOSED;
  }

  /** The idle timeout that applies to a flow now. */
  timeoutOf(index: number): number {
    const t = this.timeouts;
    switch (this.state[index]) {
      case ST_ESTABLISHED: return t.tcpEstablished;
      case ST_ATTEMPT: return t.tcpAttempt;
      case ST_CLOSED:
      case ST_RESET: return t.tcpClosed;
    }
    const proto = this.keys[index * KEY_WORDS + 9] >>> 12 & 0xff;
    return proto === 17 ? t.udp : t.other;
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
      this.touched[i] = 0;
      if (this.inUse[i]) fn(i);
    }
  }

  /** The signed payload lengths of a flow's first payload packets (+ initiator -> responder). */
  shapeOf(index: number): number[] {
    const n = this.shapeCount[index], base = index * SHAPE_PACKETS, out = new Array<number>(n);
    for (let k = 0; k < n; k++) out[k] = this.shapes[base + k];
    return out;
  }

  /** Ends every flow (end of a capture file, shutdown). */
  endAll(reason: EndReason = "shutdown"): void {
    for (let i = 0; i < this.highWater; i++) if (this.inUse[i]) this.end(i, reason);
  }

  /** The table is full: expire what is idle; failing that, evict the least recently seen eighth. */
  private makeRoom(now: number): void {
    if (this.expire(now) > 0) return;
    // The cut-off is estimated from a sample rather than a sort of the whole table.
    const sample: number[] = [];
    const step = Math.max(1, Math.floor(this.highWater / 512));
    for (let i = 0; i < this.highWater; i += step) if (this.inUse[i]) sample.push(this.lastSeen[i]);
    sample.sort((a, b) => a - b);
    const cutoff = sample[Math.floor(sample.length / 8)] ?? now;
    let evicted = 0;
    for (let i = 0; i < this.highWater; i++) {
      if (this.inUse[i] && this.lastSeen[i] <= cutoff) {
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
    this.removeFromIndex(index);
    this.wheel.cancel(index);
    this.inUse[index] = 0;
    this.labels.clear(index);
    this.idToIndex.delete(this.ids[index]);
    this.free[this.freeTop++] = index;
    this.size--;
  }

  private removeFromIndex(index: number): void {
    const mask = this.mask, slots = this.slots;
    let s = this.hashes[index] & mask;
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
      const home = this.hashes[entry - 1] & mask;
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
    if (this.macs[index * 2 + role] === NO_MAC) this.macs[index * 2 + role] = mac;
  }

  indexOf(id: string | number): number {
    const idx = this.idToIndex.get(typeof id === "string" ? Number(id) : id);
    return idx ?? -1;
  }

  // Numbers of a flow by role (initiator / responder), for the numeric analyzer hooks: no record made.

  /** The IP protocol number (6 TCP, 17 UDP, ...). */
  ipProtocolOf(index: number): number {
    return (this.keys[index * KEY_WORDS + 9] >>> 12) & 0xff;
  }

  /** 4 or 6. */
  ipVersionOf(index: number): number {
    return this.keys[index * KEY_WORDS + 9] >>> 20;
  }

  initiatorPort(index: number): number {
    const ports = this.keys[index * KEY_WORDS + 8];
    return this.initiatorIsA[index] === 1 ? ports >>> 16 : ports & 0xffff;
  }

  responderPort(index: number): number {
    const ports = this.keys[index * KEY_WORDS + 8];
    return this.initiatorIsA[index] === 1 ? ports & 0xffff : ports >>> 16;
  }

  /** MACs as 48-bit numbers (macName turns one into text), -1 when unknown. */
  initiatorMac(index: number): number {
    return this.macs[index * 2];
  }

  responderMac(index: number): number {
    return this.macs[index * 2 + 1];
  }

  /** An IPv4 address as an unsigned 32-bit number, -1 for an IPv6 flow. */
  initiatorIp4(index: number): number {
    return this.endpointIp4(index, this.initiatorIsA[index] === 1 ? 0 : 4);
  }

  responderIp4(index: number): number {
    return this.endpointIp4(index, this.initiatorIsA[index] === 1 ? 4 : 0);
  }

  /** Address text (cached per address: no new string per call for an address seen before). */
  initiatorIp(index: number): string {
    return this.endpointName(index, this.initiatorIsA[index] === 1 ? 0 : 4);
  }

  responderIp(index: number): string {
    return this.endpointName(index, this.initiatorIsA[index] === 1 ? 4 : 0);
  }

  private endpointIp4(index: number, word: number): number {
    const base = index * KEY_WORDS;
    return this.keys[base + 9] >>> 20 === 4 ? this.keys[base + word] : -1;
  }

  private endpointName(index: number, word: number): string {
    const k = this.keys, base = index * KEY_WORDS, w = base + word;
    return k[base + 9] >>> 20 === 4 ? ipv4Name(k[w]) : ipv6Name(k[w], k[w + 1], k[w + 2], k[w + 3]);
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
    const macs = this.macs, packets = this.packets, bytes = this.bytes;
    for (let i = 0; i < this.highWater; i++) {
      if (!this.inUse[i]) continue;
      const i2 = i * 2;
      visit(macs[i2] >= 0 ? macName(macs[i2]) : null, macs[i2 + 1] >= 0 ? macName(macs[i2 + 1]) : null,
        packets[i2], bytes[i2], packets[i2 + 1], bytes[i2 + 1]);
    }
  }

  forEachActive(fn: (index: number) => void): void {
    for (let i = 0; i < this.highWater; i++) if (this.inUse[i]) fn(i);
  }
}
