/**
 * Flow rows waiting to be written, oldest first: a flow queued again keeps its place with its newest
 * row. An array in queue order and a map from flow id to position (numbers only): taking the oldest
 * rows is a slice of the array, and no entry object is made per queued flow.
 */
import { ROW_HOSTNAME, ROW_ID, type FlowRowValues } from "./flows.ts";

/**
 * Heap of a queued row, roughly: the array of 27 values and its strings (addresses, MACs, labels;
 * most are shared with the flow table or interned), plus the host name, the one text that may be long.
 */
const ROW_BYTES = 512;

/** Written rows left at the front before the array is compacted. */
const COMPACT_SLACK = 4096;

export function flowRowBytes(row: FlowRowValues): number {
  const host = row[ROW_HOSTNAME];
  return ROW_BYTES + (typeof host === "string" ? host.length : 0);
}

export class FlowRowQueue {
  /** In queue order; null where a row was written or dropped. */
  #rows: (FlowRowValues | null)[] = [];
  #head = 0;
  /** Flow id -> its position in #rows. */
  readonly #at = new Map<number, number>();
  #bytes = 0;

  get size(): number {
    return this.#at.size;
  }

  /** flowRowBytes of every queued row. */
  get bytes(): number {
    return this.#bytes;
  }

  get(id: number): FlowRowValues | undefined {
    const i = this.#at.get(id);
    return i === undefined ? undefined : this.#rows[i]!;
  }

  /** Queues a row; a flow already queued keeps its place and takes the new row. */
  set(row: FlowRowValues): void {
    const id = row[ROW_ID] as number;
    const i = this.#at.get(id);
    if (i === undefined) {
      this.#at.set(id, this.#rows.length);
      this.#rows.push(row);
    } else {
      this.#bytes -= flowRowBytes(this.#rows[i]!);
      this.#rows[i] = row;
    }
    this.#bytes += flowRowBytes(row);
  }

  /** The `n` oldest rows, left in place. */
  oldest(n: number): FlowRowValues[] {
    const out: FlowRowValues[] = [];
    this.#skipWritten();
    const rows = this.#rows;
    for (let i = this.#head; i < rows.length && out.length < n; i++) {
      const row = rows[i];
      if (row !== null) out.push(row);
    }
    return out;
  }

  /** Removes and returns the oldest row. */
  shift(): FlowRowValues | undefined {
    this.#skipWritten();
    const row = this.#rows[this.#head];
    if (row === undefined || row === null) return undefined;
    this.remove(row);
    return row;
  }

  /** Removes `row` if it is still its flow's queued row (not replaced by a newer one meanwhile). */
  remove(row: FlowRowValues): boolean {
    const id = row[ROW_ID] as number;
    const i = this.#at.get(id);
    if (i === undefined || this.#rows[i] !== row) return false;
    this.#rows[i] = null;
    this.#at.delete(id);
    this.#bytes -= flowRowBytes(row);
    if (this.#at.size === 0) {
      this.#rows = [];
      this.#head = 0;
    }
    return true;
  }

  *values(): IterableIterator<FlowRowValues> {
    const rows = this.#rows;
    for (let i = this.#head; i < rows.length; i++) {
      const row = rows[i];
      if (row !== null) yield row;
    }
  }

  /** Moves the head past written rows; compacts once they are most of the array. */
  #skipWritten(): void {
    const rows = this.#rows;
    while (this.#head < rows.length && rows[this.#head] === null) this.#head++;
    if (this.#head < COMPACT_SLACK || this.#head * 2 < rows.length) return;
    const kept = rows.slice(this.#head);
    for (let i = 0; i < kept.length; i++) {
      const row = kept[i];
      if (row !== null) this.#at.set(row[ROW_ID] as number, i);
    }
    this.#rows = kept;
    this.#head = 0;
  }
}
