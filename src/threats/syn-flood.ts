/**
 * SYN flood: SYNs per second to one target, aggregated by target so random spoofed sources add up,
 * judged by how many of those connections stay half-open. A burst of connections that complete
 * their handshake (500 clients of an echo server opening at once) is load, not a flood; a flood's
 * SYNs are never followed by the initiator's ACK (spoofed sources, hping3's kernel answering RST).
 */
import {
  type Address, addressText, BoundedMap, CappedSet, dstAddress, EndedFlowRef, markGrown, metaDst, metaSrc, metaSrcMac, reportGrowth, firstCrossing, SweepGate,
  type UpdatedFlow, UpdatedFlowRef,
} from "./util.ts";
import type { Observation } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { EndReason, FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import type { TrackedAnalyzer } from "./util.ts";
import { dominant, type FloodTarget, FloodTracker, floodAttribution, isFlooding } from "./flood-state.ts";

/** Rated critical past this many times the threshold rate. */
const CRITICAL_FACTOR = 10;
/** One source walking this many ports is a fast port scan (the port-scan detector reports it), not a flood. */
const SCAN_PORTS = 16;
/** A flow this old that still has only its SYN will not complete its handshake (a LAN or internet RTT is far less). */
const HANDSHAKE_GRACE_SECONDS = 2;
/** Judged flows per target are counted this long after the flood's last SYN. */
const JUDGE_SECONDS = 60;
/**
 * Flows of a candidate target still within their grace at an update, judged by the first tick after
 * it (numeric hooks: by id through the table). Enough to judge a flood by; more wait for their end.
 */
const DEFERRED_FLOWS = 4096;

/** Whether the initiator never answered the SYN+ACK: only its SYN, or its SYN and a RST. */
export function isHalfOpen(f: Pick<FlowRecord, "packetsSent" | "tcpFlags">): boolean {
  return f.packetsSent === 1 || (f.packetsSent === 2 && f.tcpFlags.includes("R") && !f.tcpFlags.includes("F"));
}

/** A target whose SYN rate crossed the threshold, and what became of its connections. */
interface Candidate {
  since: number;
  last: number;
  halfOpen: number;
  completed: number;
  /** The flooding window's state when it was last over the rate (the evidence). */
  window: FloodTarget;
  /** Judged connections when the threat was last reported at the end of a capture. */
  reportedAt: number;
  raised: boolean;
  dirty: boolean;
}

export function createSynFloodDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  // Targets are recycled, except those a candidate keeps as its evidence (tracker.keep).
  const tracker = new FloodTracker(s.maxTrackedKeys, s.floodWindowSeconds, true);
  /** By target (a number for IPv4). */
  const candidates = new BoundedMap<Address, Candidate>(s.maxTrackedKeys);
  const candidateGate = new SweepGate();
  /**
   * Flows already counted (at an update, then again at their end, they must count once), by id:
   * the table's number from the numeric hooks (no string per flow), the record's text otherwise.
   */
  const judged = new CappedSet<string | number>(s.maxTrackedKeys);
  /**
   * Flows counted at an update and still going. Not capped like `judged`: in a spoofed flood the
   * capped map forgets a flow before it ends and its end would count it a second time. Bounded by the
   * flow table instead, since every flow leaves it at its end.
   */
  const countedLive = new Set<string | number>();
  let now = 0;
  /**
   * A flow that is only reported when it sees packets (updates) is reported once if its SYN is all
   * it ever sends: judged at that update while within its grace, it was left until its end (the idle
   * timeout), so a burst of a few seconds just before an update went unreported that long. Such flows
   * wait here (id and the time their grace ends, in update order) for the first tick after it.
   */
  const deferredIds = new Float64Array(DEFERRED_FLOWS);
  const deferredDue = new Float64Array(DEFERRED_FLOWS);
  let deferredHead = 0, deferredCount = 0;
  let deferredTable: FlowTable | null = null;
  /** The flow of the current numeric flowUpdated / flowEnded call. */
  const updated = new UpdatedFlowRef();
  const endedFlow = new EndedFlowRef();

  const raise = (targetIp: Address, c: Candidate): void => {
    const target = addressText(targetIp);
    const t = c.window;
    const a = floodAttribution(t);
    const pps = a.evidence.packetsPerSecond as number;
    store.raise({
      type: "syn_flood",
      severity: pps >= s.synFloodPerSecond * CRITICAL_FACTOR ? "critical" : "high",
      title: `SYN flood against ${target}`,
      description: `${pps} SYN/s to ${target} from ${a.sourceIp ?? `${t.sources.size}+ sources (spoofed or distributed)`}` +
        `; ${c.halfOpen} of ${c.halfOpen + c.completed} connections left half-open; ${t.replies} SYN+ACK answers.`,
      ts: Math.max(t.last, c.last),
      sourceIp: a.sourceIp,
      sourceMac: a.sourceMac,
      targetIp: target,
      key: `syn_flood|${target}`,
      evidence: {
        ...a.evidence, synAcks: t.replies, halfOpen: c.halfOpen, completedHandshakes: c.completed,
        threshold: s.synFloodPerSecond, halfOpenRatioThreshold: s.synFloodHalfOpenRatio, windowSeconds: s.floodWindowSeconds,
        rule: "SYN rate over the threshold and most of those connections half-open",
      },
    });
  };

  const judge = (target: Address, c: Candidate): void => {
    const n = c.halfOpen + c.completed;
    if (c.halfOpen < s.synFloodPerSecond || c.halfOpen / n < s.synFloodHalfOpenRatio) return;
    if (firstCrossing(c, candidateGate)) raise(target, c);
  };

  /**
   * Counts a flow to a candidate target once, when it has had time to complete its handshake.
   * Returns false for a flow of a candidate still within its grace (judge it again later).
   */
  const count = (f: UpdatedFlow | FlowRecord, id: string | number, ended: boolean, shutdown = false): boolean => {
    if (f.ipProtocol !== 6) return true;
    const target = dstAddress(f);
    const c = candidates.get(target);
    if (!c || f.startTime < c.since - s.floodWindowSeconds) return true;
    if (!ended && now - f.startTime < HANDSHAKE_GRACE_SECONDS) return false;
    if (judged.has(id) || (ended ? countedLive.delete(id) : countedLive.has(id))) return true;
    judged.add(id);
    if (!ended) countedLive.add(id);
    if (isHalfOpen(f)) c.halfOpen++;
    else c.completed++;
    c.last = Math.max(c.last, f.lastSeen);
    candidateGate.saw(c.last);
    judge(target, c);
    markGrown(c, candidateGate);
    // No tick follows the flows ended at the end of a capture: their count reaches the threat now,
    // each time it doubles (not once per flow: a flood ends tens of thousands of them).
    const judgedNow = c.halfOpen + c.completed;
    if (shutdown && c.dirty && judgedNow >= c.reportedAt * 2) {
      c.dirty = false;
      c.reportedAt = judgedNow;
      raise(target, c);
    }
    return true;
  };

  const defer = (table: FlowTable, id: number, due: number): void => {
    if (deferredCount === DEFERRED_FLOWS) return;
    deferredTable = table;
    const k = (deferredHead + deferredCount++) % DEFERRED_FLOWS;
    deferredIds[k] = id;
    deferredDue[k] = due;
  };

  /** Judges the deferred flows whose grace has ended by `ts` (those that ended meanwhile were judged at their end). */
  const judgeDeferred = (ts: number): void => {
    const table = deferredTable;
    while (deferredCount > 0 && deferredDue[deferredHead] <= ts && table !== null) {
      const id = deferredIds[deferredHead];
      deferredHead = (deferredHead + 1) % DEFERRED_FLOWS;
      deferredCount--;
      const index = table.indexOf(id);
      if (index >= 0) count(updated.at(table, index), id, false);
    }
  };

  return {
    name: "threats.syn-flood",
    tracked: () => tracker.targets.size + candidates.size,
    wants: ["tcpSyn"],
    observe(o: Observation): void {
      if (o.kind !== "tcpSyn") return;
      const m = o.meta;
      const dst = metaDst(m);
      if (dst === null || dst === "") return;
      if (o.msg.isSynAck) {
        const src = metaSrc(m);
        const t = src !== null && src !== "" ? tracker.targets.get(src) : undefined;
        if (t) t.replies++;
        return;
      }
      const t = tracker.hit(dst, metaSrc(m), metaSrcMac(m), m.ts, 1, m.dstPort);
      if (!isFlooding(t, s.synFloodPerSecond)) return;
      if (t.ports.size >= SCAN_PORTS && dominant(t.bySource, t.packets) !== null) return;
      // get, then set when absent (upsert's closure over `t` gave every call of this hook a scope object).
      let c = candidates.get(dst);
      if (c === undefined) {
        c = { since: t.start, last: t.last, halfOpen: 0, completed: 0, window: t, reportedAt: 1, raised: false, dirty: false };
        candidates.set(dst, c);
      }
      // A window the candidate lets go of is out of the tracker (a kept target is replaced, never
      // reset): nothing holds it now, so it is recycled like any dropped target.
      if (c.window !== t) tracker.release(c.window);
      c.window = t;
      tracker.keep(t);
      c.last = Math.max(c.last, t.last);
      candidateGate.saw(c.last);
      markGrown(c, candidateGate);
    },
    updateFilter: { ipProtocols: [6] },
    flowUpdatedAt(table: FlowTable, index: number): void {
      const f = updated.at(table, index);
      if (!count(f, table.ids[index], false)) defer(table, table.ids[index], f.startTime + HANDSHAKE_GRACE_SECONDS);
    },
    flowUpdated(f: FlowRecord): void {
      count(f, f.id, false);
    },
    flowEndedAt(table: FlowTable, index: number, reason: EndReason): void {
      if (table.ipProtocolOf(index) !== 6) return;
      const id = table.ids[index];
      count(endedFlow.at(table, index), id, true, reason === "shutdown");
      countedLive.delete(id);
    },
    flowEnded(f: FlowRecord, reason): void {
      count(f, f.id, true, reason === "shutdown");
      countedLive.delete(f.id);
    },
    tick(ts: number): void {
      now = ts;
      if (deferredCount > 0) judgeDeferred(ts);
      // Targets are never dirty here (only candidates are reported): this drops the idle ones.
      tracker.sweep(ts, () => {});
      reportGrowth(candidates, ts, JUDGE_SECONDS, (c, target) => raise(target, c), candidateGate);
    },
  };
}
