/**
 * A capped, insertion-ordered table of per-pair states for the scan detectors (port scan, slow scan,
 * host sweep, beaconing), keyed by two 32-bit numbers (an IPv4 pair) or, for anything else (IPv6), text.
 * It behaves as the BoundedMap it replaces there (the same entries, the same order, the same oldest
 * dropped at the cap), but a number key is found in typed arrays: no Map lookup, no double made and
 * hashed per flow, and no Map whose deleted slots pile up and rehash under a flood of new pairs
 * (almost every flow of the bench capture is a new pair: each one dropped the oldest and added a key).
 * A lookup reads the index cells only (they hold the keys), a new pair its slot's links and value besides.
 */

/** Index cells per entry at most: a sparse index keeps probe runs short. */
const INDEX_LOAD = 3;
/** Int32 words per index cell: slot + 1 (0: empty), then the key's two numbers (a lookup reads one cache line). */
const CELL = 4;

export class PairTable<V> {
  readonly cap: number;
  /** Open addressing, linear probing: cells of CELL words, a number key's slot + 1 and its two numbers. */
  readonly #index: Int32Array;
  readonly #mask: number;
  /** Per slot: the index cell of its number key; its text for a text key (else null). */
  readonly #cellAt: Int32Array;
  readonly #text: (string | null)[];
  readonly #values: (V | undefined)[];
  /** Slots of the text keys. */
  readonly #byText = new Map<string, number>();
  /** Insertion order: a list through the slots, oldest first (-1 ends it): per slot its previous and next. */
  readonly #links: Int32Array;
  #head = -1;
  #tail = -1;
  /** Unused slots, a stack. */
  readonly #free: Int32Array;
  #freeCount: number;
  #size = 0;
  /** Entries dropped to make room at the cap (as BoundedMap counts them). */
  evicted = 0;

  constructor(cap: number) {
    this.cap = Math.max(1, cap);
    let cells = 16;
    while (cells < this.cap * INDEX_LOAD) cells *= 2;
    this.#index = new Int32Array(cells * CELL);
    this.#mask = cells - 1;
    this.#cellAt = new Int32Array(this.cap);
    this.#text = new Array<string | null>(this.cap).fill(null);
    this.#values = new Array<V | undefined>(this.cap).fill(undefined);
    this.#links = new Int32Array(2 * this.cap);
    this.#free = new Int32Array(this.cap);
    // Slot 0 is taken first.
    for (let i = 0; i < this.cap; i++) this.#free[i] = this.cap - 1 - i;
    this.#freeCount = this.cap;
  }

  get size(): number {
    return this.#size;
  }

  /** The slot of the number key (hi, lo) (unsigned or signed 32-bit), or -1. */
  findNumber(hi: number, lo: number): number {
    const index = this.#index, mask = this.#mask;
    hi |= 0;
    lo |= 0;
    for (let c = cellOf(hi, lo) & mask; ; c = (c + 1) & mask) {
      const at = c * CELL, slot = index[at];
      if (slot === 0) return -1;
      if (index[at + 1] === hi && index[at + 2] === lo) return slot - 1;
    }
  }

  /** The slot of a text key, or -1. */
  findText(key: string): number {
    return this.#byText.get(key) ?? -1;
  }

  valueAt(slot: number): V {
    return this.#values[slot] as V;
  }

  /** Replaces a slot's value (the key keeps its place). */
  setValueAt(slot: number, value: V): void {
    this.#values[slot] = value;
  }

  /** Adds a number key that is not in the table as the youngest entry (the oldest dropped first at the cap). */
  addNumber(hi: number, lo: number, value: V): number {
    const s = this.#take(value);
    hi |= 0;
    lo |= 0;
    const index = this.#index, mask = this.#mask;
    let c = cellOf(hi, lo) & mask;
    while (index[c * CELL] !== 0) c = (c + 1) & mask;
    index[c * CELL] = s + 1;
    index[c * CELL + 1] = hi;
    index[c * CELL + 2] = lo;
    this.#cellAt[s] = c;
    return s;
  }

  /** Adds a text key that is not in the table, as addNumber. */
  addText(key: string, value: V): number {
    const s = this.#take(value);
    this.#text[s] = key;
    this.#byText.set(key, s);
    return s;
  }

  /**
   * At the cap, drops the oldest entry (as adding a new key would) and returns its value, for the
   * caller to reset and add under its new key; below the cap, undefined.
   */
  evictForReuse(): V | undefined {
    if (this.#size < this.cap) return undefined;
    const s = this.#head, value = this.#values[s];
    this.evicted++;
    this.#remove(s);
    return value;
  }

  /** Drops the entry at `slot` (its key and value). */
  deleteAt(slot: number): void {
    this.#remove(slot);
  }

  /** The key of the entry at `slot`: its text, or null for a number key (see hiAt). */
  textAt(slot: number): string | null {
    return this.#text[slot];
  }

  /** The first number of the number key at `slot` (as given, made unsigned), e.g. an IPv4 address. */
  hiAt(slot: number): number {
    return this.#index[this.#cellAt[slot] * CELL + 1] >>> 0;
  }

  /** Visits the entries oldest first and drops those `isStale` says (from a tick; `isStale` must not add or drop keys). */
  sweep(isStale: (value: V, slot: number) => boolean): void {
    const links = this.#links, values = this.#values;
    for (let s = this.#head; s >= 0;) {
      const after = links[2 * s + 1];
      if (isStale(values[s] as V, s)) this.#remove(s);
      s = after;
    }
  }

  /** A free slot holding `value`, linked in as the youngest (the oldest entry dropped first at the cap). */
  #take(value: V): number {
    if (this.#size >= this.cap) {
      this.evicted++;
      this.#remove(this.#head);
    }
    const s = this.#free[--this.#freeCount];
    this.#values[s] = value;
    const links = this.#links;
    links[2 * s] = this.#tail;
    links[2 * s + 1] = -1;
    if (this.#tail >= 0) links[2 * this.#tail + 1] = s;
    else this.#head = s;
    this.#tail = s;
    this.#size++;
    return s;
  }

  #remove(s: number): void {
    const text = this.#text[s];
    if (text !== null) {
      this.#byText.delete(text);
      this.#text[s] = null;
    } else this.#unindex(s);
    this.#values[s] = undefined;
    const links = this.#links, prev = links[2 * s], next = links[2 * s + 1];
    if (prev >= 0) links[2 * prev + 1] = next;
    else this.#head = next;
    if (next >= 0) links[2 * next] = prev;
    else this.#tail = prev;
    this.#free[this.#freeCount++] = s;
    this.#size--;
  }

  /** Takes a number key's cell out of the index, moving later cells of its probe run back (no tombstones). */
  #unindex(s: number): void {
    const index = this.#index, mask = this.#mask, cellAt = this.#cellAt;
    let i = cellAt[s];
    for (let j = (i + 1) & mask; index[j * CELL] !== 0; j = (j + 1) & mask) {
      const home = cellOf(index[j * CELL + 1], index[j * CELL + 2]) & mask;
      // The cell at j may move to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        index[i * CELL] = index[j * CELL];
        index[i * CELL + 1] = index[j * CELL + 1];
        index[i * CELL + 2] = index[j * CELL + 2];
        cellAt[index[i * CELL] - 1] = i;
        i = j;
      }
    }
    index[i * CELL] = 0;
  }
}

/** A mix of the two words (murmur3's finalizer over both): neighbouring addresses spread over the index. */
function cellOf(hi: number, lo: number): number {
  let h = Math.imul(hi, 0x9e3779b1) ^ lo;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
