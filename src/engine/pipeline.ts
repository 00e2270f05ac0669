/**
 * The one assembly of NetInsight's pipeline, used by `analyze`, `serve` and the bench: the engine
 * with every analyzer, wired to each other. The device tracker and the flow labeler label flows, the
 * threat detectors attribute threats to devices, new devices become threats once the network is
 * known, and (given a store) traffic rollups are written per minute.
 */
import { FlowLabeler } from "../analytics/labeler.ts";
import type { RollupSink } from "../analytics/model.ts";
import { TrafficRollup } from "../analytics/rollup.ts";
import type { Device } from "../devices/model.ts";
import { DeviceTracker } from "../devices/tracker.ts";
import type { FlowTimeouts } from "../flows/table.ts";
import { createThreatDetectors, newDeviceThreat } from "../threats/index.ts";
import type { Threat } from "../threats/model.ts";
import { ThreatStore } from "../threats/store.ts";
import { Engine } from "./engine.ts";

export interface PipelineOptions {
  firstFlowId?: number;
  maxFlows?: number;
  timeouts?: Partial<FlowTimeouts>;
  /** Blocklist files (IP/CIDR and domain lists) for the blocklist detector. */
  blocklists?: string[];
  /** Where threat-intel feeds are cached (the service: beside its database, so the last good copy outlives a restart). */
  feedDir?: string;
  /** History to continue from (the service restores these from storage). */
  devices?: Device[];
  threats?: Threat[];
  /** Count flows in progress into device counters (the service; a file's flows all end anyway). */
  liveDeviceCounters?: boolean;
  /** Where traffic rollups go (storage's RollupStore); none: no rollups (`analyze`). */
  rollups?: RollupSink;
}

export interface Pipeline {
  engine: Engine;
  devices: DeviceTracker;
  threats: ThreatStore;
  /** Null without a rollup store. */
  rollup: TrafficRollup | null;
}

export function buildPipeline(opts: PipelineOptions = {}): Pipeline {
  let engine: Engine | null = null;
  const label = (id: string, patch: Parameters<Engine["flows"]["label"]>[1]) => {
    engine?.flows.label(id, patch);
  };

  // The numeric flow hooks label by table index: no id text made and looked up again per flow.
  const labelAt = (index: number, patch: Parameters<Engine["flows"]["labelAt"]>[1]) => {
    engine?.flows.labelAt(index, patch);
  };

  const devices = new DeviceTracker({
    labelFlow: label,
    labelFlowAt: labelAt,
    labelsInTable: true,
    activeFlowTable: opts.liveDeviceCounters ? () => engine?.flows : undefined,
  });
  if (opts.devices) devices.restore(opts.devices);

  const threats = new ThreatStore({
    resolveDevice: (ip, mac) => (mac ? devices.deviceIdFor(mac) : undefined) ?? (ip ? devices.findByIp(ip)?.id : undefined) ?? null,
  });
  if (opts.threats) threats.restore(opts.threats);
  const detectors = createThreatDetectors({
    store: threats, blocklists: opts.blocklists, settings: opts.feedDir ? { feedDir: opts.feedDir } : undefined,
  });

  // A device is news only once the network is known: not on a first run, when everything is new.
  // Without a listener (analyze, a first serve run) the device feed makes no snapshot per update.
  const knownNetwork = (opts.devices?.length ?? 0) > 0;
  if (knownNetwork) {
    devices.onChange((d, isNew) => {
      if (isNew) newDeviceThreat(threats, d, d.firstSeen);
    });
  }

  const built = new Engine({ firstFlowId: opts.firstFlowId, maxFlows: opts.maxFlows, timeouts: opts.timeouts });
  engine = built;
  for (const a of [devices, new FlowLabeler({ labelFlow: label, labelFlowAt: labelAt }), ...detectors.analyzers]) built.addAnalyzer(a);
  // Last: the rollups read the labels the analyzers above put on the flows.
  const rollup = opts.rollups ? new TrafficRollup({ store: opts.rollups, flows: built.flows }) : null;
  if (rollup) {
    // Read from the table, no record per ended flow: before every other end hook (they may still label
    // the flow; the record the rollups took before was made before them too), ticks after the analyzers.
    built.onFlowEndFirstAt((flows, index) => rollup.endedAt(flows, index));
    built.addAnalyzer({ name: rollup.name, tick: (now) => rollup.tick(now) });
  }
  return { engine: built, devices, threats, rollup };
}
