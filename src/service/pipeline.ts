/**
 * Builds the engine the service runs, with its analyzers: the device tracker (restored from
 * storage), flow labels, threat detectors (their store restored from storage) and traffic rollups.
 */
import { FlowLabeler } from "../analytics/labeler.ts";
import { RollupStore } from "../analytics/rollup-store.ts";
import { TrafficRollup } from "../analytics/rollup.ts";
import { DeviceTracker } from "../devices/tracker.ts";
import { Engine } from "../engine/engine.ts";
import type { Storage } from "../storage/index.ts";
import { createThreatDetectors, newDeviceThreat } from "../threats/index.ts";
import { ThreatStore } from "../threats/store.ts";

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
  let engineRef: Engine | null = null;
  const label = (id: string, patch: Parameters<Engine["flows"]["label"]>[1]) => {
    engineRef?.flows.label(id, patch);
  };

  const devices = new DeviceTracker({ labelFlow: label });
  devices.restore(opts.storage.devices.list());

  const threats = new ThreatStore({
    resolveDevice: (ip, mac) => (mac ? devices.deviceIdFor(mac) : undefined) ?? (ip ? devices.findByIp(ip)?.id : undefined) ?? null,
  });
  threats.restore(opts.storage.threats.list());
  const detectors = createThreatDetectors({ store: threats, blocklists: opts.blocklists });
  // A device is news only once the network is known: not on the first run, when everything is new.
  const knownNetwork = opts.storage.devices.list().length > 0;
  devices.onChange((d, isNew) => {
    if (isNew && knownNetwork) newDeviceThreat(threats, d, d.firstSeen);
  });

  const rollupStore = new RollupStore(opts.storage.db);
  const rollup = new TrafficRollup({ store: rollupStore, activeFlows: () => engineRef?.flows.active() ?? [] });

  const engine = new Engine({
    analyzers: [devices, new FlowLabeler({ labelFlow: label }), ...detectors.analyzers, rollup],
    firstFlowId: opts.firstFlowId,
    maxFlows: opts.maxFlows,
  });
  engineRef = engine;
  return { engine, devices, threats, rollup, rollupStore };
}
