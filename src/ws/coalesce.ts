/**
 * Merges bursts of entity events by id between flushes, so a busy network sends one update per
 * flow/device/threat per window instead of one per packet batch.
 */

export interface PendingEvent<E extends string, D = unknown> {
  id: string;
  event: E;
  data: D;
}

export class Coalescer<E extends string, D = unknown> {
  readonly #rank: Map<E, number>;
  readonly #pending = new Map<string, PendingEvent<E, D>>();

  /** `weakestFirst`: the stronger event wins a merge (a flow that is new and then closed is reported closed). */
  constructor(weakestFirst: readonly E[]) {
    this.#rank = new Map(weakestFirst.map((e, i) => [e, i]));
  }

  get size(): number {
    return this.#pending.size;
  }

  /** The newest payload always replaces the older one; the event is the strongest seen. */
  add(id: string, event: E, data: D): void {
    const prev = this.#pending.get(id);
    if (!prev) {
      this.#pending.set(id, { id, event, data });
      return;
    }
    prev.data = data;
    if ((this.#rank.get(event) ?? 0) > (this.#rank.get(prev.event) ?? 0)) prev.event = event;
  }

  /** Everything pending, in first-seen order; the coalescer is empty afterwards. */
  drain(): PendingEvent<E, D>[] {
    const out = [...this.#pending.values()];
    this.#pending.clear();
    return out;
  }
}

/** The id of an API-shaped entity payload, or undefined when it has none. */
export function entityId(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const id = (data as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? String(id) : undefined;
}
