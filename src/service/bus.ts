/**
 * The live event bus between the running service and its listeners (the WebSocket hub, storage).
 * Payloads are the API's JSON shapes, so a listener can forward them as they are.
 */
export type LiveEvent =
  | { type: "stats"; data: unknown }
  | { type: "flow"; event: "new" | "updated" | "closed"; data: unknown }
  | { type: "device"; event: "new" | "updated"; data: unknown }
  | { type: "threat"; event: "new" | "updated" | "dismissed"; data: unknown }
  | { type: "capture"; event: "started" | "stopped" | "error"; data: unknown };

export type LiveListener = (e: LiveEvent) => void;

export class LiveBus {
  #listeners = new Set<LiveListener>();

  subscribe(fn: LiveListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  publish(e: LiveEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(e);
      } catch (err) {
        console.error(`live listener failed: ${(err as Error).message}`);
      }
    }
  }
}
