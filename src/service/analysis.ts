/**
 * The analyzers every run of NetInsight puts behind the engine, wired to each other: the device
 * tracker and the flow labeler label flows, the threat detectors attribute threats to devices,
 * and new devices become threats once the network is known. `analyze` uses this as it is; the
 * service adds storage and rollups (pipeline.ts).
 */
import { FlowLabeler } from "../analytics/labeler.ts";
import { DeviceTracker } from "../devices/tracker.ts";
import type { Device } from "../devices/model.ts";
import { Engine } from "../engine/engine.ts";
import type { Analyzer } from "../engine/events.ts";
import type { FlowTimeouts } from "../flows/table.ts";
import { createThreatDetectors, newDeviceThreat } from "../threats/index.ts";
import { ThreatStore } from "../threats/store.ts";
import type { Threat } from "../threats/model.ts";

export interface AnalysisOptions {
  firstFlowId?: number;
  maxFlows?: number;
  timeouts?: Partial<FlowTimeouts>;
  /** Blocklist files (IP/CIDR and domain lists) for the blocklist detector. */
  blocklists?: string[];
  /** History to continue from (the service restores these from storage). */
  devices?: Device[];
  threats?: Threat[];
  /** Count flows in progress into device counters (the service; a file's flows all end anyway). */
  liveDeviceCounters?: boolean;
  /** Analyzers to run after the standard ones (e.g. rollups); they may need the engine. */
  extra?: (engine: () => Engine) => Analyzer[];
}

export interface Analysis {
  engine: Engine;
  devices: DeviceTracker;
  threats: ThreatStore;
}

export function buildAnalysis(opts: AnalysisOptions = {}): Analysis {
  let engine: Engine | null = null;
  const label = (id: string, patch: Parameters<Engine["flows"]["label"]>[1]) => {
    engine?.flows.label(id, patch);
  };

  const devices = new DeviceTracker({
    labelFlow: label,
    activeFlows: opts.liveDeviceCounters ? () => engine?.flows.active() ?? [] : undefined,
  });
  if (opts.devices) devices.restore(opts.devices);

  const threats = new ThreatStore({
    resolveDevice: (ip, mac) => (mac ? devices.deviceIdFor(mac) : undefined) ?? (ip ? devices.findByIp(ip)?.id : undefined) ?? null,
  });
  if (opts.threats) threats.restore(opts.threats);
  const detectors = createThreatDetectors({ store: threats, blocklists: opts.blocklists });

  // A device is news only once the network is known: not on a first run, when everything is new.
  const knownNetwork = (opts.devices?.length ?? 0) > 0;
  devices.onChange((d, isNew) => {
    if (isNew && knownNetwork) newDeviceThreat(threats, d, d.firstSeen);
  });

  const built = new Engine({ firstFlowId: opts.firstFlowId, maxFlows: opts.maxFlows, timeouts: opts.timeouts });
  engine = built;
  for (const a of [devices, new FlowLabeler({ labelFlow: label }), ...detectors.analyzers]) built.addAnalyzer(a);
  for (const a of opts.extra?.(() => built) ?? []) built.addAnalyzer(a);
  return { engine: built, devices, threats };
}
