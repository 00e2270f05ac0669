/**
 * IP fragments: the first fragment carries the ports; later fragments have none, so their ports
 * are remembered by (addresses, protocol, fragment id) and the fragments join the same flow.
 *
 * The trains sit in typed arrays (no string or object per packet, so a fragment flood allocates
 * nothing): an open-addressing table (linear probing, backward-shift deletion) of entry numbers,
 * each entry's whole key stored and compared word by word (the hash only chooses where to look),
 * and the entries chained oldest to youngest in insertion order, as a BoundedMap keeps them.
 */
import type { Packet } from "../decode/packet.ts";

/** Fragment trains remembered at once; the oldest is forgotten first. */
export const MAX_FRAGMENT_TRAINS = 4096;

/**
 * Key words of a train: [version | protocol << 8, fragment id, source (4 words), destination (4
 * words)]; an IPv4 address is its first word, the other three 0. The version word keeps an IPv4
 * train from ever matching an IPv6 one.
 */
const KEY_WORDS = 10;
const NONE = -1;

export class FragmentTracker {
  /** Entries at most; a new train past it forgets the oldest first. */
  readonly cap: number;
  /** Entries: key words, ports ((src << 16) | dst), hash, and the age chain. */
  private readonly keys: Uint32Array;
  private readonly ports: Int32Array;
  private readonly hashes: Int32Array;
  private readonly older: Int32Array;
  private readonly younger: Int32Array;
  /** The table: entry + 1 per slot, 0 empty; at most half full. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** The key of the packet at hand. */
  private readonly probe = new Uint32Array(KEY_WORDS);
  private oldest = NONE;
  private youngest = NONE;
  /** Unused entries, chained through `younger`. */
  private free = NONE;
  private count = 0;

  constructor(cap = MAX_FRAGMENT_TRAINS) {
    this.cap = cap;
    this.keys = new Uint32Array(cap * KEY_WORDS);
    this.ports = new Int32Array(cap);
    this.hashes = new Int32Array(cap);
    this.older = new Int32Array(cap);
    this.younger = new Int32Array(cap);
    let size = 8;
    while (size < cap * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let e = 0; e < cap; e++) this.younger[e] = e + 1 < cap ? e + 1 : NONE;
    this.free = cap > 0 ? 0 : NONE;
  }

  /** Trains remembered now. */
  get size(): number {
    return this.count;
  }

  apply(p: Packet): void {
    const hash = this.key(p);
    if (p.fragOffset === 0) {
      if (p.l4Off < 0) return;
      this.set(hash, (p.srcPort << 16) | p.dstPort);
      return;
    }
    const slot = this.find(hash);
    if (slot < 0) return;
    const e = this.slots[slot] - 1;
    const ports = this.ports[e];
    p.srcPort = ports >>> 16;
    p.dstPort = ports & 0xffff;
    if (!p.moreFragments) this.remove(slot, e);
  }

  /** Fills `probe` with the packet's train key and returns its hash. */
  private key(p: Packet): number {
    const k = this.probe;
    k[0] = p.ipVersion | (p.ipProtocol << 8);
    k[1] = p.fragId;
    if (p.ipVersion === 4) {
      k[2] = p.src4;
      k[3] = 0;
      k[4] = 0;
      k[5] = 0;
      k[6] = p.dst4;
      k[7] = 0;
      k[8] = 0;
      k[9] = 0;
    } else {
      const v = p.view, s = p.src6Off, d = p.dst6Off;
      k[2] = v.getUint32(s);
      k[3] = v.getUint32(s + 4);
      k[4] = v.getUint32(s + 8);
      k[5] = v.getUint32(s + 12);
      k[6] = v.getUint32(d);
      k[7] = v.getUint32(d + 4);
      k[8] = v.getUint32(d + 8);
      k[9] = v.getUint32(d + 12);
    }
    let h = 0x9e3779b9 | 0;
    for (let i = 0; i < KEY_WORDS; i++) {
      h = Math.imul(h ^ k[i], 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** The slot holding the key in `probe`, or -1. */
  private find(hash: number): number {
    const slots = this.slots, mask = this.mask, hashes = this.hashes;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const at = slots[i];
      if (at === 0) return -1;
      if (hashes[at - 1] === hash && this.same(at - 1)) return i;
    }
  }

  private same(e: number): boolean {
    const keys = this.keys, k = this.probe, base = e * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) if (keys[base + i] !== k[i]) return false;
    return true;
  }

  /** BoundedMap.set: an existing train keeps its age; a new one is the youngest, the oldest forgotten first at the cap. */
  private set(hash: number, ports: number): void {
    const found = this.find(hash);
    if (found >= 0) {
      this.ports[this.slots[found] - 1] = ports;
      return;
    }
    if (this.cap === 0) return;
    if (this.count >= this.cap) {
      const e = this.oldest;
      this.remove(this.slotOf(e), e);
    }
    const e = this.free;
    this.free = this.younger[e];
    this.keys.set(this.probe, e * KEY_WORDS);
    this.ports[e] = ports;
    this.hashes[e] = hash;
    this.older[e] = this.youngest;
    this.younger[e] = NONE;
    if (this.youngest === NONE) this.oldest = e;
    else this.younger[this.youngest] = e;
    this.youngest = e;
    const slots = this.slots, mask = this.mask;
    let i = hash & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = e + 1;
    this.count++;
  }

  /** The slot of a stored entry. */
  private slotOf(e: number): number {
    const slots = this.slots, mask = this.mask;
    let i = this.hashes[e] & mask;
    while (slots[i] !== e + 1) i = (i + 1) & mask;
    return i;
  }

  /** Forgets entry `e` at `slot`: out of the age chain and the table (later entries of its run shifted back). */
  private remove(slot: number, e: number): void {
    const older = this.older[e], younger = this.younger[e];
    if (older === NONE) this.oldest = younger;
    else this.younger[older] = younger;
    if (younger === NONE) this.youngest = older;
    else this.older[younger] = older;
    this.younger[e] = this.free;
    this.free = e;
    this.count--;
    const slots = this.slots, mask = this.mask, hashes = this.hashes;
    let hole = slot;
    for (let j = (slot + 1) & mask; ; j = (j + 1) & mask) {
      const at = slots[j];
      if (at === 0) break;
      const home = hashes[at - 1] & mask;
      // The entry at j may move back to the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      slots[hole] = at;
      hole = j;
    }
    slots[hole] = 0;
  }
}
