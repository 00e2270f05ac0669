/**
 * A Map that keeps its own insertion order in a ring, so finding or dropping the oldest entry is
 * O(1). JavaScriptCore's Map keeps deleted slots until it rehashes, and `map.keys().next()` walks
 * them all: evicting from the front of a plain Map under a flood of new keys is quadratic (200 k
 * inserts at a 10 k cap: 2 s instead of 20 ms). Every capped table on the capture path uses this.
 */
interface Slot<V> {
  value: V;
  seq: number;
}

/** Stale ring entries tolerated before the ring is rebuilt from the map. */
const RING_SLACK = 4096;

export class OrderedMap<K, V> {
  #map = new Map<K, Slot<V>>();
  #keys: K[] = [];
  #seqs: number[] = [];
  #head = 0;
  #seq = 0;
  /** Entries at most (BoundedMap); a new key past it drops the oldest entry first. */
  #cap = Infinity;
  /** Entries dropped to stay within the cap. */
  evicted = 0;
  /** The slot of the entry evictForReuse dropped, for the next new key. */
  #spare: Slot<V> | undefined = undefined;

  /** For BoundedMap: the cap is kept here so set / touch / upsert each look their key up once. */
  protected setCap(cap: number): void {
    this.#cap = cap;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    return this.#map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Sets a value: a new key becomes the youngest, an existing key keeps its place. */
  set(key: K, value: V): this {
    const slot = this.#map.get(key);
    if (slot !== undefined) slot.value = value;
    else this.#add(key, value);
    return this;
  }

  /** Sets a value and makes the key the youngest (most recently used). */
  touch(key: K, value: V): this {
    if (this.#map.delete(key)) this.#append(key, value);
    else this.#add(key, value);
    return this;
  }

  /** The value of a key, made by `make` (and counted against the cap like `set`) when absent. */
  upsert(key: K, make: () => V): V {
    const slot = this.#map.get(key);
    if (slot !== undefined) return slot.value;
    const v = make();
    this.#add(key, v);
    return v;
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
    this.#keys = [];
    this.#seqs = [];
    this.#head = 0;
  }

  /** The oldest entry, left in place. */
  oldest(): [K, V] | undefined {
    const slot = this.#oldestSlot();
    return slot === undefined ? undefined : [this.#keys[this.#head], slot.value];
  }

  /** Moves the ring's head past stale entries to the oldest live one and returns its slot. */
  #oldestSlot(): Slot<V> | undefined {
    for (; this.#head < this.#keys.length; this.#head++) {
      const slot = this.#map.get(this.#keys[this.#head]);
      if (slot && slot.seq === this.#seqs[this.#head]) return slot;
    }
    return undefined;
  }

  /**
   * At the cap, drops the oldest entry (as adding a new key would) and returns its value, for the
   * caller to reset and add under its new key: under a flood of new keys the capped states are
   * recycled instead of made and left to the collector at every key.
   */
  evictForReuse(): V | undefined {
    if (this.#map.size < this.#cap) return undefined;
    const slot = this.#oldestSlot();
    if (slot === undefined) return undefined;
    this.#map.delete(this.#keys[this.#head]);
    this.#head++;
    this.evicted++;
    this.#spare = slot;
    return slot.value;
  }

  /** Removes and returns the oldest entry. */
  shift(): [K, V] | undefined {
    const first = this.oldest();
    if (first) {
      this.#map.delete(first[0]);
      this.#head++;
    }
    return first;
  }

  /** Drops entries the predicate calls stale (from a tick, not per packet). */
  sweep(isStale: (v: V, k: K) => boolean): void {
    // forEach, not for-of: no [key, value] pair is made per entry (this runs every tick over every table).
    const map = this.#map;
    map.forEach((slot, k) => {
      if (isStale(slot.value, k)) map.delete(k);
    });
  }

  /** Entries from the oldest on (a batch writer takes the first n this way). */
  *fromOldest(): IterableIterator<[K, V]> {
    this.oldest(); // skips the stale prefix of the ring
    for (let i = this.#head; i < this.#keys.length; i++) {
      const key = this.#keys[i];
      const slot = this.#map.get(key);
      if (slot && slot.seq === this.#seqs[i]) yield [key, slot.value];
    }
  }

  /** The values of the `n` oldest entries, left in place (a plain loop: no generator or pair per entry). */
  oldestValues(n: number): V[] {
    const out: V[] = [];
    if (n <= 0) return out;
    this.oldest(); // skips the stale prefix of the ring
    for (let i = this.#head; i < this.#keys.length && out.length < n; i++) {
      const slot = this.#map.get(this.#keys[i]);
      if (slot && slot.seq === this.#seqs[i]) out.push(slot.value);
    }
    return out;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [k, slot] of this.#map) yield [k, slot.value];
  }

  *keys(): IterableIterator<K> {
    yield* this.#map.keys();
  }

  *values(): IterableIterator<V> {
    for (const slot of this.#map.values()) yield slot.value;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /**
   * A key not in the map: room first when at the cap. The dropped entry's slot is reused for the
   * new key: under a flood of new keys every insert evicts one, and no slot or [key, value] pair
   * is made and dropped for it.
   */
  #add(key: K, value: V): void {
    let reuse: Slot<V> | undefined;
    while (this.#map.size >= this.#cap) {
      const slot = this.#oldestSlot();
      if (slot === undefined) break;
      this.#map.delete(this.#keys[this.#head]);
      this.#head++;
      this.evicted++;
      reuse = slot;
    }
    this.#append(key, value, reuse);
  }

  #append(key: K, value: V, reuse?: Slot<V>): void {
    const seq = ++this.#seq;
    let slot = reuse ?? this.#spare;
    this.#spare = undefined;
    if (slot === undefined) slot = { value, seq };
    else {
      slot.value = value;
      slot.seq = seq;
    }
    this.#map.set(key, slot);
    this.#keys.push(key);
    this.#seqs.push(seq);
    if (this.#keys.length - this.#head > 2 * this.#map.size + RING_SLACK) this.#rebuild();
    else if (this.#head > RING_SLACK && this.#head * 2 > this.#keys.length) {
      this.#keys = this.#keys.slice(this.#head);
      this.#seqs = this.#seqs.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Many deletes or touches left the ring mostly stale: rebuild it (the map's order is the seq order). */
  #rebuild(): void {
    this.#keys = [];
    this.#seqs = [];
    this.#head = 0;
    for (const [k, slot] of this.#map) {
      this.#keys.push(k);
      this.#seqs.push(slot.seq);
    }
  }
}

/** An OrderedMap with a hard cap: a new key past the cap drops the oldest entry first. */
export class BoundedMap<K, V> extends OrderedMap<K, V> {
  constructor(readonly cap: number) {
    super();
    this.setCap(cap);
  }
}
