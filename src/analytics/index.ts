/**
 * Wires analytics into an engine: the flow labeler always, the rollups when a database is given.
 * `attachAnalytics(engine, { db })` after `new Engine(...)`; `close()` after `engine.finish()`.
 */
import type { Database } from "bun:sqlite";
import type { Engine } from "../engine/engine.ts";
import { FlowLabeler } from "./labeler.ts";
import { TrafficRollup } from "./rollup.ts";
import { type RollupRetention, RollupStore } from "./rollup-store.ts";

export { FlowLabeler } from "./labeler.ts";
export { TrafficRollup } from "./rollup.ts";
export { RollupStore, DEFAULT_ROLLUP_RETENTION } from "./rollup-store.ts";
export { ANALYTICS_MIGRATIONS, ensureAnalyticsSchema } from "./schema.ts";
export { getAnalytics, getProtocols } from "./queries.ts";
export { summarizeProtocols } from "./summary.ts";

export interface AttachedAnalytics {
  labeler: FlowLabeler;
  rollup: TrafficRollup | null;
  store: RollupStore | null;
  /** Writes the last rollup rows; call after engine.finish(). */
  close(): void;
}

export function attachAnalytics(
  engine: Engine,
  opts: { db?: Database; retention?: RollupRetention } = {},
): AttachedAnalytics {
  const labeler = new FlowLabeler({ labelFlow: (id, patch) => engine.flows.label(id, patch) });
  // Labels first: the rollups read them from the flow records.
  engine.addAnalyzer(labeler);
  const store = opts.db ? new RollupStore(opts.db) : null;
  const rollup = store
    ? new TrafficRollup({ store, activeFlows: () => engine.flows.active(), retention: opts.retention })
    : null;
  if (rollup) engine.addAnalyzer(rollup);
  return {
    labeler,
    rollup,
    store,
    close() {
      rollup?.close();
    },
  };
}
