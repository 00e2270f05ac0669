/**
 * A recency list threaded through its entries (each holds `older` / `newer`): touching an entry is a
 * few pointer moves, not a Map delete and insert. The owner keeps the index; this keeps the order.
 */
export interface RecencyLinks<T> {
  older: T | null;
  newer: T | null;
}

export class RecencyList<T extends RecencyLinks<T>> {
  oldest: T | null = null;
  newest: T | null = null;

  /** Appends at the young end. */
  append(e: T): void {
    e.older = this.newest;
    e.newer = null;
    if (this.newest) this.newest.newer = e;
    else this.oldest = e;
    this.newest = e;
  }

  unlink(e: T): void {
    if (e.older) e.older.newer = e.newer;
    else this.oldest = e.newer;
    if (e.newer) e.newer.older = e.older;
    else this.newest = e.older;
    e.older = e.newer = null;
  }

  /** `next` takes `prev`'s place. */
  replace(prev: T, next: T): void {
    next.older = prev.older;
    next.newer = prev.newer;
    if (prev.older) prev.older.newer = next;
    else this.oldest = next;
    if (prev.newer) prev.newer.older = next;
    else this.newest = next;
    prev.older = prev.newer = null;
  }
}
