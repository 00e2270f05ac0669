/**
 * SYN flood: SYNs per second to one target, aggregated by target so random spoofed sources add up;
 * the SYN+ACKs the target sends back show how many connections it left half-open.
 */
import { reportGrowth, reportOnce } from "./util.ts";
import type { Observation } from "../engine/events.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import type { TrackedAnalyzer } from "./util.ts";
import { dominant, type FloodTarget, FloodTracker, floodAttribution, isFlooding } from "./flood-state.ts";

/** Rated critical past this many times the threshold rate. */
const CRITICAL_FACTOR = 10;
/** One source walking this many ports is a fast port scan (the port-scan detector reports it), not a flood. */
const SCAN_PORTS = 16;

export function createSynFloodDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  const tracker = new FloodTracker(s.maxTrackedKeys, s.floodWindowSeconds);

  const raise = (target: string, t: FloodTarget): void => {
    const a = floodAttribution(t);
    const pps = a.evidence.packetsPerSecond as number;
    store.raise({
      type: "syn_flood",
      severity: pps >= s.synFloodPerSecond * CRITICAL_FACTOR ? "critical" : "high",
      title: `SYN flood against ${target}`,
      description: `${pps} SYN/s to ${target} from ${a.sourceIp ?? `${t.sources.size}+ sources (spoofed or distributed)`}` +
        `; ${t.replies} SYN+ACK answers.`,
      ts: t.last,
      sourceIp: a.sourceIp,
      sourceMac: a.sourceMac,
      targetIp: target,
      key: `syn_flood|${target}`,
      evidence: { ...a.evidence, synAcks: t.replies, threshold: s.synFloodPerSecond, windowSeconds: s.floodWindowSeconds },
    });
  };

  return {
    name: "threats.syn-flood",
    tracked: () => tracker.targets.size,
    wants: ["tcpSyn"],
    observe(o: Observation): void {
      if (o.kind !== "tcpSyn" || !o.meta.dstIp) return;
      if (o.msg.isSynAck) {
        const t = o.meta.srcIp ? tracker.targets.get(o.meta.srcIp) : undefined;
        if (t) t.replies++;
        return;
      }
      const t = tracker.hit(o.meta.dstIp, o.meta.srcIp, o.meta.srcMac, o.meta.ts, 1, o.meta.dstPort);
      if (!isFlooding(t, s.synFloodPerSecond)) return;
      if (t.ports.size >= SCAN_PORTS && dominant(t.bySource, t.packets) !== null) return;
      const target = o.meta.dstIp;
      reportOnce(t, (x) => raise(target, x));
    },
    tick(now: number): void {
      reportGrowth(tracker.targets, now, s.floodWindowSeconds, (t, target) => raise(target, t));
    },
  };
}
