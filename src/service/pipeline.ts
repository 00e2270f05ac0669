/**
 * The service's engine: the shared analysis (devices, flow labels, threats; analysis.ts) continued
 * from what storage holds, plus the traffic rollups written to the same database.
 */
import { RollupStore } from "../analytics/rollup-store.ts";
import { TrafficRollup } from "../analytics/rollup.ts";
import type { DeviceTracker } from "../devices/tracker.ts";
import type { Engine } from "../engine/engine.ts";
import type { Storage } from "../storage/index.ts";
import type { ThreatStore } from "../threats/store.ts";
import { buildAnalysis } from "./analysis.ts";

export interface Pipeline {
  engine: Engine;
  devices: DeviceTracker;
  threats: ThreatStore;
  rollup: TrafficRollup;
  rollupStore: RollupStore;
}

export interface PipelineOptions {
  storage: Storage;
  firstFlowId: number;
  maxFlows?: number;
  /** Blocklist files for the blocklist detector. */
  blocklists?: string[];
}

export function buildPipeline(opts: PipelineOptions): Pipeline {
  const rollupStore = new RollupStore(opts.storage.db);
  let rollup: TrafficRollup | undefined;
  const { engine, devices, threats } = buildAnalysis({
    firstFlowId: opts.firstFlowId,
    maxFlows: opts.maxFlows,
    blocklists: opts.blocklists,
    liveDeviceCounters: true,
    devices: opts.storage.devices.list(),
    threats: opts.storage.threats.list(),
    extra: (engine) => [(rollup = new TrafficRollup({ store: rollupStore, activeFlows: () => engine().flows.active() }))],
  });
  return { engine, devices, threats, rollup: rollup!, rollupStore };
}
