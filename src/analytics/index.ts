/**
 * Wires analytics into an engine: the flow labeler always, the rollups when a store is given
 * (storage's RollupStore). `attachAnalytics(engine, { store })` after `new Engine(...)`;
 * `close()` after `engine.finish()`.
 */
import type { Engine } from "../engine/engine.ts";
import { FlowLabeler } from "./labeler.ts";
import type { RollupRetention, RollupSink } from "./model.ts";
import { TrafficRollup } from "./rollup.ts";

export { FlowLabeler } from "./labeler.ts";
export { TrafficRollup } from "./rollup.ts";
export { DEFAULT_ROLLUP_RETENTION } from "./model.ts";
export { summarizeProtocols } from "./summary.ts";

export interface AttachedAnalytics {
  labeler: FlowLabeler;
  rollup: TrafficRollup | null;
  store: RollupSink | null;
  /** Writes the last rollup rows; call after engine.finish(). */
  close(): void;
}

export function attachAnalytics(
  engine: Engine,
  opts: { store?: RollupSink; retention?: RollupRetention } = {},
): AttachedAnalytics {
  const labeler = new FlowLabeler({
    labelFlow: (id, patch) => engine.flows.label(id, patch),
    labelFlowAt: (index, patch) => engine.flows.labelAt(index, patch),
  });
  // Labels first: the rollups read them from the flow records.
  engine.addAnalyzer(labeler);
  const store = opts.store ?? null;
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
