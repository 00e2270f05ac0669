/**
 * A capped, insertion-ordered table of per-address states (the flood detectors' targets), keyed by
 * an Address: an IPv4 number is found in PairTable's typed-array index, anything else by its text.
 * It behaves as the BoundedMap<Address, V> it replaces (the same entries, the same order, the same
 * oldest dropped at the cap), without a Map lookup per packet or a ring of keys that is reallocated
 * (and scanned again by the next young collection) as the targets turn over.
 */
import { PairTable } from "./pair-table.ts";
import type { Address } from "./util.ts";

export class AddressTable<V> {
  readonly #t: PairTable<V>;

  constructor(readonly cap: number) {
    this.#t = new PairTable<V>(cap);
  }

  get size(): number {
    return this.#t.size;
  }

  /** Entries dropped to make room at the cap. */
  get evicted(): number {
    return this.#t.evicted;
  }

  /** The slot of `key`, or -1. */
  slotOf(key: Address): number {
    return typeof key === "number" ? this.#t.findNumber(key, 0) : this.#t.findText(key);
  }

  get(key: Address): V | undefined {
    const slot = this.slotOf(key);
    return slot >= 0 ? this.#t.valueAt(slot) : undefined;
  }

  valueAt(slot: number): V | undefined {
    return this.#t.valueAt(slot);
  }

  /** Replaces the value at `slot` (the key keeps its place). */
  setValueAt(slot: number, value: V): void {
    this.#t.setValueAt(slot, value);
  }

  /** Adds a key that is not in the table as the youngest entry (the oldest dropped first at the cap); returns its slot. */
  add(key: Address, value: V): number {
    return typeof key === "number" ? this.#t.addNumber(key, 0, value) : this.#t.addText(key, value);
  }

  deleteAt(slot: number): void {
    this.#t.deleteAt(slot);
  }

  /** At the cap, drops the oldest entry and returns its value (to be reset and added under a new key); else undefined. */
  evictForReuse(): V | undefined {
    return this.#t.evictForReuse();
  }

  /** Visits the entries oldest first and drops those `isStale` says (it must not add or drop keys). */
  sweep(isStale: (value: V, key: Address) => boolean): void {
    this.#t.sweep((value, slot) => isStale(value, this.#keyAt(slot)));
  }

  /** The entries, oldest first. */
  *[Symbol.iterator](): IterableIterator<[Address, V]> {
    const entries: [Address, V][] = [];
    this.#t.sweep((value, slot) => {
      entries.push([this.#keyAt(slot), value]);
      return false;
    });
    yield* entries;
  }

  #keyAt(slot: number): Address {
    return this.#t.textAt(slot) ?? this.#t.hiAt(slot);
  }
}
