/**
 * A Map that keeps its own insertion order in a ring, so finding or dropping the oldest entry is
 * O(1). JavaScriptCore's Map keeps deleted slots until it rehashes, and `map.keys().next()` walks
 * them all: evicting from the front of a plain Map under a flood of new keys is quadratic (200 k
 * inserts at a 10 k cap: 2 s instead of 20 ms). Every capped table on the capture path uses this.
 */
/** Stale ring entries tolerated before the ring is rebuilt from the map. */
const RING_SLACK = 4096;

/**
 * The map holds each key's place in the ring (a number, kept inline: no object per entry); the
 * ring holds the keys and values in insertion order. A place is `base + index into the ring`, so
 * dropping the ring's stale head moves no entry; a cell whose key's place is another is stale
 * (the key was deleted, or touched to the young end).
 */
export class OrderedMap<K, V> {
  #map = new Map<K, number>();
  #keys: K[] = [];
  #values: (V | undefined)[] = [];
  /** The place of the ring's first cell. */
  #base = 0;
  /** Ring index of the oldest cell that may still be live. */
  #head = 0;
  /** Entries at most (BoundedMap); a new key past it drops the oldest entry first. */
  #cap = Infinity;
  /** Entries dropped to stay within the cap. */
  evicted = 0;

  /** For BoundedMap: the cap is kept here so set / touch / upsert each look their key up once. */
  protected setCap(cap: number): void {
    this.#cap = cap;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const at = this.#map.get(key);
    return at === undefined ? undefined : this.#values[at - this.#base];
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Sets a value: a new key becomes the youngest, an existing key keeps its place. */
  set(key: K, value: V): this {
    const at = this.#map.get(key);
    if (at !== undefined) this.#values[at - this.#base] = value;
    else this.#add(key, value);
    return this;
  }

  /** Sets a value and makes the key the youngest (most recently used). */
  touch(key: K, value: V): this {
    const at = this.#map.get(key);
    if (at !== undefined) {
      this.#map.delete(key);
      this.#values[at - this.#base] = undefined;
      this.#append(key, value);
    } else this.#add(key, value);
    return this;
  }

  /** The value of a key, made by `make` (and counted against the cap like `set`) when absent. */
  upsert(key: K, make: () => V): V {
    const at = this.#map.get(key);
    if (at !== undefined) return this.#values[at - this.#base] as V;
    const v = make();
    this.#add(key, v);
    return v;
  }

  delete(key: K): boolean {
    const at = this.#map.get(key);
    if (at === undefined) return false;
    this.#map.delete(key);
    // The ring lets go of the value now (its key cell stays until the ring is compacted).
    this.#values[at - this.#base] = undefined;
    return true;
  }

  clear(): void {
    this.#map.clear();
    this.#keys = [];
    this.#values = [];
    this.#base = 0;
    this.#head = 0;
  }

  /** The oldest entry, left in place. */
  oldest(): [K, V] | undefined {
    const i = this.#oldestIndex();
    return i < 0 ? undefined : [this.#keys[i], this.#values[i] as V];
  }

  /** Moves the ring's head past stale cells to the oldest live one and returns its ring index (-1: empty). */
  #oldestIndex(): number {
    const map = this.#map, keys = this.#keys, base = this.#base;
    for (; this.#head < keys.length; this.#head++) {
      if (map.get(keys[this.#head]) === base + this.#head) return this.#head;
    }
    return -1;
  }

  /** Removes the oldest entry (found at ring index `i`) and returns its value. */
  #takeOldest(i: number): V {
    const value = this.#values[i] as V;
    this.#map.delete(this.#keys[i]);
    this.#values[i] = undefined;
    this.#head = i + 1;
    return value;
  }

  /** As #takeOldest, counted as dropped to stay within the cap. */
  #dropOldest(i: number): V {
    this.evicted++;
    return this.#takeOldest(i);
  }

  /**
   * At the cap, drops the oldest entry (as adding a new key would) and returns its value, for the
   * caller to reset and add under its new key: under a flood of new keys the capped states are
   * recycled instead of made and left to the collector at every key.
   */
  evictForReuse(): V | undefined {
    if (this.#map.size < this.#cap) return undefined;
    const i = this.#oldestIndex();
    return i < 0 ? undefined : this.#dropOldest(i);
  }

  /** Removes and returns the oldest entry. */
  shift(): [K, V] | undefined {
    const i = this.#oldestIndex();
    if (i < 0) return undefined;
    const key = this.#keys[i];
    return [key, this.#takeOldest(i)];
  }

  /** Drops entries the predicate calls stale (from a tick, not per packet). */
  sweep(isStale: (v: V, k: K) => boolean): void {
    // forEach, not for-of: no [key, value] pair is made per entry (this runs every tick over every table).
    const map = this.#map;
    map.forEach((at, k) => {
      if (!isStale(this.#values[at - this.#base] as V, k)) return;
      // The place read again: a predicate that changed the map may have moved the ring.
      const now = map.get(k);
      map.delete(k);
      if (now !== undefined) this.#values[now - this.#base] = undefined;
    });
  }

  /** Entries from the oldest on (a batch writer takes the first n this way). */
  *fromOldest(): IterableIterator<[K, V]> {
    this.#oldestIndex(); // skips the stale prefix of the ring
    for (let i = this.#head; i < this.#keys.length; i++) {
      const key = this.#keys[i];
      if (this.#map.get(key) === this.#base + i) yield [key, this.#values[i] as V];
    }
  }

  /** The values of the `n` oldest entries, left in place (a plain loop: no generator or pair per entry). */
  oldestValues(n: number): V[] {
    const out: V[] = [];
    if (n <= 0) return out;
    this.#oldestIndex(); // skips the stale prefix of the ring
    const map = this.#map, keys = this.#keys, base = this.#base;
    for (let i = this.#head; i < keys.length && out.length < n; i++) {
      if (map.get(keys[i]) === base + i) out.push(this.#values[i] as V);
    }
    return out;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [k, at] of this.#map) yield [k, this.#values[at - this.#base] as V];
  }

  *keys(): IterableIterator<K> {
    yield* this.#map.keys();
  }

  *values(): IterableIterator<V> {
    for (const at of this.#map.values()) yield this.#values[at - this.#base] as V;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** A key not in the map: room first when at the cap. */
  #add(key: K, value: V): void {
    while (this.#map.size >= this.#cap) {
      const i = this.#oldestIndex();
      if (i < 0) break;
      this.#dropOldest(i);
    }
    this.#append(key, value);
  }

  #append(key: K, value: V): void {
    this.#map.set(key, this.#base + this.#keys.length);
    this.#keys.push(key);
    this.#values.push(value);
    if (this.#keys.length - this.#head > 2 * this.#map.size + RING_SLACK) this.#rebuild();
    else if (this.#head > RING_SLACK && this.#head * 2 > this.#keys.length) {
      // Drop the stale head: the places of the live cells stay what they were (the base moves).
      this.#keys = this.#keys.slice(this.#head);
      this.#values = this.#values.slice(this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }

  /** Many deletes or touches left the ring mostly stale: rebuild it (the map's order is the ring's order). */
  #rebuild(): void {
    const keys: K[] = [], values: (V | undefined)[] = [];
    const old = this.#values, base = this.#base, map = this.#map;
    this.#base = 0;
    this.#head = 0;
    // Setting an existing key keeps its place in the map's order.
    map.forEach((at, k) => {
      map.set(k, keys.length);
      keys.push(k);
      values.push(old[at - base]);
    });
    this.#keys = keys;
    this.#values = values;
  }
}

/** An OrderedMap with a hard cap: a new key past the cap drops the oldest entry first. */
export class BoundedMap<K, V> extends OrderedMap<K, V> {
  constructor(readonly cap: number) {
    super();
    this.setCap(cap);
  }
}
