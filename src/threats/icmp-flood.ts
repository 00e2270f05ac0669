/**
 * ICMP flood: ICMP/ICMPv6 packets per second to one target (echo floods, smurf replies, THC-style
 * floods), aggregated by target. Flows the engine cannot split per packet are rated when they end.
 * Echo replies a host asked for are answers, not a flood against it (the victim of a ping flood
 * answering its attacker): only replies nobody asked for count (smurf reflection).
 */
import {
  type Address, addressText, EndedFlowRef, metaDst, metaSrc, metaSrcMac, firstCrossing, type EndedFlow,
} from "./util.ts";
import { PairTable } from "./pair-table.ts";
import type { Observation } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { EndReason, FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import type { TrackedAnalyzer } from "./util.ts";
import { type FloodTarget, FloodTracker, floodAttribution, isFlooding } from "./flood-state.ts";

const CRITICAL_FACTOR = 10;
const ECHO_REQUEST = 8, ECHO_REPLY = 0, ECHO6_REQUEST = 128, ECHO6_REPLY = 129;

export function createIcmpFloodDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  // Targets are recycled: nothing here keeps one past the packet or tick that reports it.
  const tracker = new FloodTracker(s.maxTrackedKeys, s.floodWindowSeconds, true);
  /**
   * Echo requests not yet answered, by requester and replier (their numbers for IPv4, else the text
   * "requester|replier"). A PairTable, not a BoundedMap: every ping adds or changes an entry, and the
   * map's ring arrays, reallocated as they turned over, made each young collection scan them again.
   */
  const asked = new PairTable<number>(s.maxTrackedKeys);
  /** The text key of a pair that is not two IPv4 numbers. */
  const pairText = (a: Address, b: Address): string => `${addressText(a)}|${addressText(b)}`;
  const slotOf = (a: Address, b: Address): number =>
    typeof a === "number" && typeof b === "number" ? asked.findNumber(a, b) : asked.findText(pairText(a, b));
  /** One more request from `a` to `b` not yet answered (a text key is made once, to find and to add). */
  const ask = (a: Address, b: Address): void => {
    const text = typeof a === "number" && typeof b === "number" ? null : pairText(a, b);
    const slot = text === null ? asked.findNumber(a as number, b as number) : asked.findText(text);
    if (slot >= 0) asked.setValueAt(slot, asked.valueAt(slot) + 1);
    else if (text === null) asked.addNumber(a as number, b as number, 1);
    else asked.addText(text, 1);
  };

  const raise = (targetIp: Address, t: FloodTarget, via: string): void => {
    const target = addressText(targetIp);
    const a = floodAttribution(t);
    const pps = a.evidence.packetsPerSecond as number;
    store.raise({
      type: "icmp_flood",
      severity: pps >= s.icmpFloodPerSecond * CRITICAL_FACTOR ? "critical" : "high",
      title: `ICMP flood against ${target}`,
      description: `${pps} ICMP packets/s to ${target} from ${a.sourceIp ?? `${t.sources.size}+ sources`} (${via}).`,
      ts: t.last,
      sourceIp: a.sourceIp,
      sourceMac: a.sourceMac,
      targetIp: target,
      key: `icmp_flood|${target}`,
      evidence: { ...a.evidence, via, threshold: s.icmpFloodPerSecond, windowSeconds: s.floodWindowSeconds },
    });
  };

  /** The flow of the current numeric flowEnded call. */
  const ended = new EndedFlowRef();
  const flowEnded = (f: EndedFlow | FlowRecord): void => {
    // Packets the engine did not report one by one (e.g. ICMPv6 inside IPv6 fragments): rate the flow.
    if (f.protocol !== "ICMP" && f.protocol !== "ICMPv6" && f.protocol !== "OTHER") return;
    if (f.packetsSent < s.floodMinPackets) return;
    const seconds = Math.max(1, f.lastSeen - f.startTime);
    if (f.packetsSent / seconds < s.icmpFloodPerSecond) return;
    const t: FloodTarget = {
      start: f.startTime, last: f.lastSeen, packets: f.packetsSent, replies: f.packetsReceived,
      sources: new Set<Address>([f.srcIp]), bySource: new Map<Address, number>([[f.srcIp, f.packetsSent]]),
      byMac: new Map(f.srcMac ? [[f.srcMac, f.packetsSent]] : []), ports: new Set(), raised: true, dirty: false,
    };
    raise(f.dstIp, t, `flow ${f.protocol}`);
  };

  return {
    name: "threats.icmp-flood",
    tracked: () => tracker.targets.size + asked.size,
    wants: ["icmp"],
    observe(o: Observation): void {
      if (o.kind !== "icmp") return;
      const m = o.meta;
      const target = metaDst(m);
      if (target === null || target === "") return;
      const src = metaSrc(m);
      const type = o.msg.type;
      if (src !== null && src !== "" && (type === ECHO_REQUEST || type === ECHO6_REQUEST)) {
        ask(src, target);
      } else if (src !== null && src !== "" && (type === ECHO_REPLY || type === ECHO6_REPLY)) {
        const slot = slotOf(target, src);
        const pending = slot >= 0 ? asked.valueAt(slot) : 0;
        if (pending > 0) {
          asked.setValueAt(slot, pending - 1);
          return;
        }
      }
      const t = tracker.hit(target, src, metaSrcMac(m), m.ts);
      if (!isFlooding(t, s.icmpFloodPerSecond)) return;
      if (firstCrossing(t, tracker.gate)) raise(target, t, "packets");
    },
    flowEndedAt(table: FlowTable, index: number, _reason: EndReason): void {
      const proto = table.ipProtocolOf(index);
      if (proto !== 6 && proto !== 17) flowEnded(ended.at(table, index));
    },
    flowEnded,
    tick(now: number): void {
      tracker.sweep(now, (t, target) => raise(target, t, "packets"));
    },
  };
}
