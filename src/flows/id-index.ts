/**
 * Flow id -> flow index for the flow table: open addressing over one Int32Array (index + 1, 0 =
 * empty) with linear probing and backward-shift deletion, read against the table's id column. A Map
 * here cost a hash-table entry per flow in progress (~10 MB for a full table, all of it for the
 * collector to mark) and a Map insert and delete per flow. Ids are scattered by a multiplicative
 * hash: in sequence, the live ids of a long capture wrap around the slots onto each other and
 * pack into one long probe run.
 */
export class IdIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly shift: number;

  /** `ids`: the table's id column (flow index -> id); an index must hold its id while it is filed here. */
  constructor(capacity: number, private readonly ids: Float64Array) {
    let size = 16, bits = 4;
    while (size < capacity * 2) (size *= 2), bits++;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    this.shift = 32 - bits;
  }

  /** Fibonacci hashing of the id's two 32-bit halves: the top bits of the product pick the slot. */
  private home(id: number): number {
    return Math.imul((id >>> 0) ^ Math.imul((id / 0x100000000) >>> 0, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  set(id: number, index: number): void {
    const slots = this.slots, mask = this.mask;
    let s = this.home(id);
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = index + 1;
  }

  /** The index filed under `id`, or -1. */
  get(id: number): number {
    const slots = this.slots, mask = this.mask, ids = this.ids;
    for (let s = this.home(id); ; s = (s + 1) & mask) {
      const entry = slots[s];
      if (entry === 0) return -1;
      if (ids[entry - 1] === id) return entry - 1;
    }
  }

  delete(id: number): void {
    const slots = this.slots, mask = this.mask, ids = this.ids;
    let s = this.home(id);
    for (;; s = (s + 1) & mask) {
      const entry = slots[s];
      if (entry === 0) return;
      if (ids[entry - 1] === id) break;
    }
    slots[s] = 0;
    // Backward shift: pull later entries of the probe run into the hole.
    for (let j = (s + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.home(ids[slots[j] - 1]);
      const between = s <= j ? home > s && home <= j : home > s || home <= j;
      if (!between) {
        slots[s] = slots[j];
        slots[j] = 0;
        s = j;
      }
    }
  }

  clear(): void {
    this.slots.fill(0);
  }
}
