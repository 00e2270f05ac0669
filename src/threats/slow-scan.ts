/**
 * Slow port scans (nmap -T0/-T1, one probe every 15 s or more): the port-scan detector's minute
 * window never fills, so this one counts, per source and host over a long window, the distinct
 * TCP ports that got a probe — a connection that never carried a byte of payload either way (a
 * SYN refused, unanswered, or answered and then reset) — judged when each flow ends.
 */
import type { FlowRecord } from "../flows/record.ts";
import type { EndReason, FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { PairTable } from "./pair-table.ts";
import {
  type Address, addressText, type MacAddress, macText, srcMacOf, dstAddress, dstIp4, EndedFlowRef, SmallSet, srcAddress, srcIp4, reportGrowth, reportOnce, StatePool,
  type EndedFlow, type Reported, type TrackedAnalyzer, UpdatedFlowRef,
} from "./util.ts";

const MAX_PORTS_TRACKED = 256;
const SAMPLE_PORTS = 20;
/** Dropped pair states kept for reuse. */
const POOLED_STATES = 1024;

interface Probes extends Reported {
  /** The prober and the probed host (the key is a number for IPv4 pairs). */
  src: Address;
  dst: Address;
  start: number;
  ports: SmallSet<number>;
  /** A number when read from the flow table (text only for a report). */
  mac: MacAddress | null;
  deviceId: string | null;
}

/** A TCP connection that exchanged no payload and few packets: a probe, not a use of the service. */
export function isProbe(f: Pick<FlowRecord, "ipProtocol" | "shape" | "packetsSent" | "tcpFlags">): boolean {
  // The packet shape last, and from the table only its length (shapeOf makes a new array).
  return f.ipProtocol === 6 && f.packetsSent <= 3 && !f.tcpFlags.includes("F") &&
    (f instanceof UpdatedFlowRef ? f.shapeLength : f.shape?.length ?? 0) === 0;
}

export function createSlowScanDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  /** By prober and probed host: their numbers for IPv4, else the text "src|dst". */
  const pairs = new PairTable<Probes>(s.maxTrackedKeys);
  /** Pairs the tick dropped, given to new pairs. */
  const pool = new StatePool<Probes>(POOLED_STATES, (p) => p.ports.clear());

  const raise = (p: Probes): void => {
    const src = addressText(p.src), dst = addressText(p.dst);
    const ports = [...p.ports].sort((a, b) => a - b);
    store.raise({
      type: "port_scan",
      severity: "medium",
      title: `Port scan of ${dst}`,
      description: `${src} probed ${p.ports.size} ports of ${dst} over ${Math.round(p.last - p.start)} s without using any (a slow scan).`,
      ts: p.last,
      sourceIp: src,
      sourceMac: macText(p.mac),
      targetIp: dst,
      deviceId: p.deviceId,
      evidence: {
        slowScanPorts: p.ports.size, slowScanSamplePorts: ports.slice(0, SAMPLE_PORTS), slowScanThreshold: s.slowScanPorts,
        slowScanWindowSeconds: s.slowScanWindowSeconds,
        slowScanRule: "distinct ports of one host probed by one source (no payload either way) within the long window",
      },
    });
  };

  const flowEnded = (f: EndedFlow | FlowRecord): void => {
    if (!isProbe(f)) return;
    const a4 = srcIp4(f), b4 = dstIp4(f);
    const key = a4 >= 0 && b4 >= 0 ? null : `${f.srcIp}|${f.dstIp}`;
    const slot = key === null ? pairs.findNumber(a4, b4) : pairs.findText(key);
    let p = slot >= 0 ? pairs.valueAt(slot) : undefined;
    if (!p || f.startTime - p.start > s.slowScanWindowSeconds) {
      // The pair's past window reset in place, or the state the cap drops (no object per pair in a flood), or one the tick
      // dropped, or new.
      const reuse = p ?? pairs.evictForReuse() ?? pool.take();
      if (reuse === undefined) {
        p = { src: srcAddress(f), dst: dstAddress(f), start: f.startTime, last: f.lastSeen, ports: new SmallSet(), mac: srcMacOf(f), deviceId: f.srcDeviceId, raised: false, dirty: false };
      } else {
        p = reuse;
        p.src = srcAddress(f);
        p.dst = dstAddress(f);
        p.start = f.startTime;
        p.last = f.lastSeen;
        p.ports.clear();
        p.mac = srcMacOf(f);
        p.deviceId = f.srcDeviceId;
        p.raised = p.dirty = false;
      }
      if (slot < 0) {
        if (key === null) pairs.addNumber(a4, b4, p);
        else pairs.addText(key, p);
      }
    }
    p.last = Math.max(p.last, f.lastSeen);
    if (p.ports.has(f.dstPort) || p.ports.size >= MAX_PORTS_TRACKED) return;
    p.ports.add(f.dstPort);
    if (p.ports.size >= s.slowScanPorts) reportOnce(p, raise);
  };
  /** The flow of the current numeric flowEnded call. */
  const ended = new EndedFlowRef();

  return {
    name: "threats.slow-scan",
    tracked: () => pairs.size,
    flowEndedAt(table: FlowTable, index: number, _reason: EndReason): void {
      flowEnded(ended.at(table, index));
    },
    flowEnded,
    tick(now: number): void {
      reportGrowth(pairs, now, s.slowScanWindowSeconds, raise, undefined, pool);
    },
  };
}
