/**
 * UDP flood: new UDP flows per second to one target (random ports / spoofed sources, aggregated by
 * target), and single one-way UDP flows whose packet rate, measured when they end, is a flood.
 */
import {
  type Address, addressText, dstAddress, EndedFlowRef, firstCrossing, type MacAddress, srcAddress, srcMacOf, type EndedFlow,
  type StartedFlow,
} from "./util.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { EndReason, FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import type { TrackedAnalyzer } from "./util.ts";
import { type FloodTarget, FloodTracker, floodAttribution, isFlooding } from "./flood-state.ts";

/** A flood flow gets (almost) nothing back; streams and downloads do. */
const MAX_REPLY_SHARE = 0.01;

export function createUdpFloodDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  // Targets are recycled: nothing here keeps one past the packet or tick that reports it.
  const tracker = new FloodTracker(s.maxTrackedKeys, s.floodWindowSeconds, true);

  const raise = (targetIp: Address, t: FloodTarget, via: string, threshold: number): void => {
    const target = addressText(targetIp);
    const a = floodAttribution(t);
    store.raise({
      type: "udp_flood",
      severity: "high",
      title: `UDP flood against ${target}`,
      description: `${a.evidence.packetsPerSecond} ${via}/s to ${target} from ${a.sourceIp ?? `${t.sources.size}+ sources`}.`,
      ts: t.last,
      sourceIp: a.sourceIp,
      sourceMac: a.sourceMac,
      targetIp: target,
      key: `udp_flood|${target}`,
      evidence: { ...a.evidence, via, threshold, windowSeconds: s.floodWindowSeconds },
    });
  };

  /** A new UDP flow counted against its target: both hook forms. */
  const started = (target: Address, src: Address, mac: MacAddress | null, ts: number): void => {
    const t = tracker.hit(target, src, mac, ts);
    if (!isFlooding(t, s.udpFloodNewFlowsPerSecond)) return;
    if (firstCrossing(t, tracker.gate)) raise(target, t, "new flows", s.udpFloodNewFlowsPerSecond);
  };

  const flowStarted = (f: StartedFlow): void => {
    if (f.protocol === "UDP") started(dstAddress(f), srcAddress(f), srcMacOf(f), f.startTime);
  };

  /** The flow of the current numeric flowEnded call. */
  const ended = new EndedFlowRef();
  const flowEnded = (f: EndedFlow | FlowRecord): void => {
    if (f.protocol !== "UDP" || f.packetsSent < s.floodMinPackets) return;
    if (f.packetsReceived > f.packetsSent * MAX_REPLY_SHARE) return;
    const seconds = Math.max(1, f.lastSeen - f.startTime);
    if (f.packetsSent / seconds < s.udpFloodPacketsPerSecond) return;
    const t: FloodTarget = {
      start: f.startTime, last: f.lastSeen, packets: f.packetsSent, replies: f.packetsReceived,
      sources: new Set<Address>([f.srcIp]), bySource: new Map<Address, number>([[f.srcIp, f.packetsSent]]),
      byMac: new Map(f.srcMac ? [[f.srcMac, f.packetsSent]] : []), ports: new Set(), raised: true, dirty: false,
    };
    raise(f.dstIp, t, "packets", s.udpFloodPacketsPerSecond);
  };

  return {
    name: "threats.udp-flood",
    tracked: () => tracker.targets.size,
    flowStartedAt(table: FlowTable, index: number): void {
      // flowStarted read straight from the table (no flow view per call).
      if (table.ipProtocolOf(index) !== 17) return;
      const a4 = table.initiatorIp4(index), b4 = table.responderIp4(index), mac = table.initiatorMac(index);
      started(b4 >= 0 ? b4 : table.responderIp(index), a4 >= 0 ? a4 : table.initiatorIp(index), mac >= 0 ? mac : null, table.firstSeenOf(index));
    },
    flowStarted,
    flowEndedAt(table: FlowTable, index: number, _reason: EndReason): void {
      if (table.ipProtocolOf(index) === 17) flowEnded(ended.at(table, index));
    },
    flowEnded,
    tick(now: number): void {
      tracker.sweep(now, (t, target) => raise(target, t, "new flows", s.udpFloodNewFlowsPerSecond));
    },
  };
}
