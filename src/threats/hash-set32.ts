/**
 * A set of 32-bit name hashes in one open-addressing table that grows by doubling (no Set entry per
 * hash: a tunnel's states hold up to MAX_SUBDOMAINS_TRACKED each, and the collector never walks
 * them). Only size, has and add are asked of it.
 */
export class HashSet32 {
  size = 0;
  /** 0 marks an empty slot; the hash 0 itself is held by #zero. */
  #slots = new Uint32Array(8);
  #zero = false;

  has(h: number): boolean {
    if (h === 0) return this.#zero;
    const slots = this.#slots, mask = slots.length - 1;
    for (let i = Math.imul(h, 0x9e3779b1) >>> 0 & mask; ; i = (i + 1) & mask) {
      const v = slots[i];
      if (v === h) return true;
      if (v === 0) return false;
    }
  }

  /** Adds an unsigned 32-bit hash (hashName's). */
  add(h: number): void {
    if (h === 0) {
      if (!this.#zero) {
        this.#zero = true;
        this.size++;
      }
      return;
    }
    if (HashSet32.#put(this.#slots, h)) {
      // At most half full: probes stay short.
      if (++this.size * 2 > this.#slots.length) this.#grow();
    }
  }

  /** Puts h in the table; false when it was there. */
  static #put(slots: Uint32Array, h: number): boolean {
    const mask = slots.length - 1;
    for (let i = Math.imul(h, 0x9e3779b1) >>> 0 & mask; ; i = (i + 1) & mask) {
      const v = slots[i];
      if (v === h) return false;
      if (v === 0) {
        slots[i] = h;
        return true;
      }
    }
  }

  #grow(): void {
    const old = this.#slots, slots = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) HashSet32.#put(slots, old[i]);
    this.#slots = slots;
  }
}
