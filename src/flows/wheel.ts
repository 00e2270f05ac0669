/**
 * A hashed timer wheel of one-second slots over flow indexes (doubly linked lists in typed
 * arrays), so expiry looks only at the flows due now instead of sweeping the whole table.
 * Deadlines are lazy: a flow is filed under a second no later than its real deadline, and the
 * owner re-files it when it turns out to be still alive (packets only move deadlines later).
 */

/** Seconds the wheel covers in one turn; later deadlines wait in their slot for a later turn. */
export const WHEEL_SLOTS = 1024;
const MASK = WHEEL_SLOTS - 1;
const NONE = -1;

export class TimerWheel {
  private readonly head = new Int32Array(WHEEL_SLOTS).fill(NONE);
  // Per entry, read only while it is filed: left unwritten (no page of them touched) until first used.
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** The whole second each entry is filed under (meaningful while `filed`). */
  readonly due: Float64Array;
  /** 1 while the entry is filed. */
  private readonly filed: Uint8Array;
  /**
   * The second last processed: every earlier one is done; this one is looked at again by the
   * next `advance` (an entry can be due later within it). -Infinity before `begin`.
   */
  private cursor = -Infinity;

  private readonly firing: number[] = [];

  constructor(capacity: number) {
    // Not filled: a capacity of 262,144 flows filled was 4 MB of pages touched before the first packet.
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.due = new Float64Array(capacity);
    this.filed = new Uint8Array(capacity);
  }

  /** Sets the clock before the first entry is filed: seconds before `now` are never processed. */
  begin(now: number): void {
    if (this.cursor === -Infinity) this.cursor = Math.floor(now);
  }

  /** Files entry `i` under the whole second of `deadline` (never in a second already processed). */
  schedule(i: number, deadline: number): void {
    if (this.filed[i] === 1) this.cancel(i);
    let second = Math.floor(deadline);
    if (second < this.cursor) second = this.cursor;
    const slot = second & MASK;
    this.due[i] = second;
    this.filed[i] = 1;
    const h = this.head[slot];
    this.next[i] = h;
    this.prev[i] = NONE;
    if (h !== NONE) this.prev[h] = i;
    this.head[slot] = i;
  }

  cancel(i: number): void {
    if (this.filed[i] === 0) return;
    const n = this.next[i], p = this.prev[i];
    if (p !== NONE) this.next[p] = n;
    else this.head[Number(this.due[i]) & MASK] = n;
    if (n !== NONE) this.prev[n] = p;
    this.filed[i] = 0;
  }

  /** Removes every entry at once (the clock stays where it is). */
  clear(): void {
    this.head.fill(NONE);
    this.filed.fill(0);
  }

  /**
   * Hands every entry filed under a second up to `now` to `fire` (removed from the wheel first;
   * `fire` ends it or files it again). Seconds are processed in order, each once per turn, and an
   * entry is handed over at most twice per call (when `fire` files it again in this second).
   */
  advance(now: number, fire: (i: number) => void): void {
    const last = Math.floor(now);
    if (last < this.cursor) return;
    let first = this.cursor === -Infinity ? last : this.cursor;
    if (last - first >= WHEEL_SLOTS) first = last - WHEEL_SLOTS + 1;
    // Nothing is filed from here on under a second before `last`.
    this.cursor = last;
    const firing = this.firing;
    for (let s = first; s <= last; s++) {
      // Collect the slot's due entries first: `fire` may file or cancel entries of any slot.
      for (let i = this.head[s & MASK]; i !== NONE; i = this.next[i]) if (this.due[i] <= last) firing.push(i);
      for (let k = 0; k < firing.length; k++) {
        const i = firing[k];
        if (this.filed[i] === 0 || !(this.due[i] <= last)) continue; // cancelled or filed later by an earlier `fire`
        this.cancel(i);
        fire(i);
      }
      firing.length = 0;
    }
  }
}
