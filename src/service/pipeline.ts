/**
 * Builds the engine the service runs, with every analyzer that exists: flow labels and rollups
 * (analytics), threat detectors, the device tracker. Modules that have not landed are skipped.
 */
import type { Device } from "../devices/model.ts";
import { Engine } from "../engine/engine.ts";
import type { Analyzer } from "../engine/events.ts";
import { FlowLabeler } from "../analytics/labeler.ts";
import { TrafficRollup } from "../analytics/rollup.ts";
import { RollupStore } from "../analytics/rollup-store.ts";
import { ThreatStore } from "../threats/store.ts";
import type { Storage } from "../storage/index.ts";

/** What the service needs of the device tracker (src/devices/tracker.ts). */
export interface DeviceSource {
  list(): Device[];
  get(id: string): Device | undefined;
  restore?(devices: Device[]): void;
  onChange?(fn: (d: Device, event: "new" | "updated") => void): unknown;
}

export interface Pipeline {
  engine: Engine;
  threats: ThreatStore;
  devices: DeviceSource | null;
  rollup: TrafficRollup;
  rollupStore: RollupStore;
}

export interface PipelineOptions {
  storage: Storage;
  firstFlowId: number;
  maxFlows?: number;
  log?: (msg: string) => void;
}

export async function buildPipeline(opts: PipelineOptions): Promise<Pipeline> {
  const log = opts.log ?? (() => {});
  const analyzers: Analyzer[] = [];
  let engineRef: Engine | null = null;

  const devices = await loadDeviceTracker(log);
  if (devices) {
    devices.restore?.(opts.storage.devices.list());
    analyzers.push(devices as unknown as Analyzer);
  }

  const labeler = new FlowLabeler({ labelFlow: (id, patch) => engineRef?.flows.label(id, patch) });
  analyzers.push(labeler);

  const storedThreats = opts.storage.threats.list();
  const threats = new ThreatStore({
    firstId: storedThreats.reduce((m, t) => Math.max(m, Number(t.id) + 1 || 0), 1),
  });
  threats.restore(storedThreats);
  analyzers.push(...(await loadThreatDetectors(threats, log)));

  const rollupStore = new RollupStore(opts.storage.db);
  const rollup = new TrafficRollup({ store: rollupStore, activeFlows: () => engineRef?.flows.active() ?? [] });
  analyzers.push(rollup);

  const engine = new Engine({ analyzers, firstFlowId: opts.firstFlowId, maxFlows: opts.maxFlows });
  engineRef = engine;
  return { engine, threats, devices, rollup, rollupStore };
}

/** The device tracker (issue 4), when it exists: `new DeviceTracker()` implementing Analyzer. */
async function loadDeviceTracker(log: (msg: string) => void): Promise<DeviceSource | null> {
  try {
    const mod = (await import("../devices/tracker.ts")) as Record<string, unknown>;
    const Tracker = mod.DeviceTracker as (new () => DeviceSource) | undefined;
    return Tracker ? new Tracker() : null;
  } catch (err) {
    log(`devices: tracker not available (${(err as Error).message.split("\n")[0]}); serving stored devices`);
    return null;
  }
}

/** The threat detectors (issue 5): `createThreatDetectors(store)` from src/threats/index.ts. */
async function loadThreatDetectors(store: ThreatStore, log: (msg: string) => void): Promise<Analyzer[]> {
  try {
    const mod = (await import("../threats/index.ts")) as Record<string, unknown>;
    const create = mod.createThreatDetectors as ((s: ThreatStore) => Analyzer[]) | undefined;
    return create ? create(store) : [];
  } catch (err) {
    log(`threats: detectors not available (${(err as Error).message.split("\n")[0]})`);
    return [];
  }
}
