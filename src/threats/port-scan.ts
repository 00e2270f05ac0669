/**
 * Vertical port scan: one source probing many ports of one host (SYN, connect, UDP scans), plus
 * FIN / NULL / Xmas stealth probes and the ICMP port-unreachable replies a UDP scan provokes.
 */
import type { Observation } from "../engine/events.ts";
import { tcpFlagLetters } from "../flows/snapshot.ts";
import type { FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import {
  addCapped, type Address, addressText, dstAddress, dstIp4, type MacAddress, macText, metaDst, metaSrc, SmallSet, srcAddress, srcIp4,
  srcMacOf, StatePool, SweepGate, type TrackedAnalyzer, reportGrowth, firstCrossing, type StartedFlow,
} from "./util.ts";
import { PairTable } from "./pair-table.ts";

/** Ports remembered per pair; enough to cross any sane threshold and show a sample. */
const MAX_PORTS_TRACKED = 2048;
const SAMPLE_PORTS = 20;
/** Dropped pair states kept for reuse. */
const POOLED_STATES = 1024;
/** A scan this many times past the threshold is rated high. */
const HIGH_FACTOR = 5;

/**
 * One pair's window. The state is itself the set of the ports probed (a SmallSet): one object per
 * pair, not a state and a set (up to maxTrackedKeys of each were alive).
 */
class PairState extends SmallSet<number> {
  /** The prober and the probed host (the key is a number for IPv4 pairs). */
  src: Address;
  dst: Address;
  start: number;
  last: number;
  udpPorts = 0;
  stealth = 0;
  /** Made on the first stealth probe (most pairs never see one). */
  stealthKinds: SmallSet<string> | null = null;
  unreachables = 0;
  /** A number when read from the flow table (text only for a report). */
  srcMac: MacAddress | null = null;
  deviceId: string | null = null;
  /** Raised in this window; later growth is reported once per tick (not once per probe). */
  raised = false;
  dirty = false;

  constructor(src: Address, dst: Address, ts: number) {
    super();
    this.src = src;
    this.dst = dst;
    this.start = this.last = ts;
  }

  /** The ports probed. */
  get ports(): SmallSet<number> {
    return this;
  }
}

/** Flags of the first packet (the engine reports flowStarted after accounting it) that no client sends. */
export function stealthKind(flags: string): string | undefined {
  if (flags.includes("S") || flags.includes("A") || flags.includes("R")) return undefined;
  if (flags === "") return "NULL";
  if (flags.includes("F") && flags.includes("U") && flags.includes("P")) return "Xmas";
  if (flags === "F") return "FIN";
  if (flags.includes("F") || flags.includes("U")) return "odd-flags";
  return undefined;
}

/** stealthKind of each flag byte's letters, worked out once (the numeric hook reads the bits). */
const STEALTH_BY_BITS: readonly (string | undefined)[] = Array.from({ length: 256 }, (_, bits) => stealthKind(tcpFlagLetters(bits)));

export function createPortScanDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  /** By prober and probed host: their numbers for IPv4, else the text "src>dst". */
  const pairs = new PairTable<PairState>(s.maxTrackedKeys);
  const gate = new SweepGate();
  /** Pairs the tick dropped, given to new pairs (see newPair). */
  const pool = new StatePool<PairState>(POOLED_STATES, (p) => {
    p.clear();
    p.stealthKinds = null;
  });

  /**
   * A pair's state in its window: the one kept under its key (the addresses' numbers `a4`, `b4` when
   * both are IPv4, else the text `key`), or a fresh one.
   */
  const pair = (a4: number, b4: number, key: string | null, src: Address, dst: Address, ts: number): PairState => {
    const slot = key === null ? pairs.findNumber(a4, b4) : pairs.findText(key);
    let p = slot >= 0 ? pairs.valueAt(slot) : undefined;
    if (p === undefined || ts - p.start > s.portScanWindowSeconds) {
      p = newPair(p, src, dst, ts);
      if (slot < 0) {
        if (key === null) pairs.addNumber(a4, b4, p);
        else pairs.addText(key, p);
      }
    }
    p.last = ts;
    gate.saw(ts);
    return p;
  };

  /**
   * A fresh state for a pair: the pair's own past window reset in place (the key keeps its place, as
   * a set would), or the state the cap drops (a flood of new pairs makes no object per pair), or one
   * the tick dropped, or new. The caller adds a new pair's key.
   */
  const newPair = (stale: PairState | undefined, src: Address, dst: Address, ts: number): PairState => {
    const p = stale ?? pairs.evictForReuse() ?? pool.take();
    if (p === undefined) return new PairState(src, dst, ts);
    p.src = src;
    p.dst = dst;
    p.start = p.last = ts;
    p.ports.clear();
    p.udpPorts = p.stealth = p.unreachables = 0;
    p.stealthKinds = null;
    p.srcMac = p.deviceId = null;
    p.raised = p.dirty = false;
    return p;
  };

  const check = (p: PairState, ts: number): void => {
    const crossed = p.ports.size >= s.portScanPorts || p.stealth >= s.stealthScanProbes ||
      p.unreachables >= s.udpScanUnreachables;
    if (!crossed) return;
    if (firstCrossing(p, gate)) raise(addressText(p.src), addressText(p.dst), p, ts);
  };

  const raise = (src: string, dst: string, p: PairState, ts: number): void => {
    const ports = p.ports.size;
    const kinds = [...(p.stealthKinds ?? [])];
    if (p.udpPorts > 0) kinds.push("UDP");
    if (ports - p.udpPorts > 0) kinds.push("TCP");
    const high = ports >= s.portScanPorts * HIGH_FACTOR;
    store.raise({
      type: "port_scan",
      severity: high ? "high" : "medium",
      title: `Port scan of ${dst}`,
      description: `${src} probed ${ports} ports of ${dst} within ${Math.round(ts - p.start)} s` +
        (p.stealth ? ` (${p.stealth} ${[...(p.stealthKinds ?? [])].join("/")} stealth probes)` : "") +
        (p.unreachables ? `; ${dst} answered ${p.unreachables} port-unreachable` : "") + ".",
      ts,
      sourceIp: src,
      sourceMac: macText(p.srcMac),
      targetIp: dst,
      deviceId: p.deviceId,
      evidence: {
        ports,
        udpPorts: p.udpPorts,
        stealthProbes: p.stealth,
        portUnreachables: p.unreachables,
        scanTypes: kinds,
        windowSeconds: s.portScanWindowSeconds,
        threshold: s.portScanPorts,
        samplePorts: [...p.ports].slice(0, SAMPLE_PORTS),
      },
    });
  };

  /** One flow start (TCP or UDP) counted into its pair: both hook forms. */
  const started = (p: PairState, udp: boolean, dstPort: number, stealth: string | undefined, ts: number): void => {
    const before = p.size;
    addCapped(p, dstPort, MAX_PORTS_TRACKED);
    if (udp) {
      if (p.size > before) p.udpPorts++;
    } else if (stealth) {
      p.stealth++;
      (p.stealthKinds ??= new SmallSet()).add(stealth);
    }
    check(p, ts);
  };

  const flowStarted = (f: StartedFlow): void => {
    if (f.protocol !== "TCP" && f.protocol !== "UDP") return;
    const a4 = srcIp4(f), b4 = dstIp4(f);
    const p = pair(a4, b4, a4 >= 0 && b4 >= 0 ? null : `${f.srcIp}>${f.dstIp}`, srcAddress(f), dstAddress(f), f.startTime);
    p.srcMac ??= srcMacOf(f);
    p.deviceId ??= f.srcDeviceId;
    const udp = f.protocol === "UDP";
    started(p, udp, f.dstPort, udp ? undefined : stealthKind(f.tcpFlags), f.startTime);
  };

  return {
    name: "threats.port-scan",
    tracked: () => pairs.size,
    wants: ["icmp"],
    flowStartedAt(table: FlowTable, index: number): void {
      // flowStarted read straight from the table (no flow view per call).
      const proto = table.ipProtocolOf(index);
      if (proto !== 6 && proto !== 17) return;
      const ts = table.firstSeenOf(index);
      const a4 = table.initiatorIp4(index), b4 = table.responderIp4(index);
      const key = a4 >= 0 && b4 >= 0 ? null : `${table.initiatorIp(index)}>${table.responderIp(index)}`;
      const p = pair(a4, b4, key, a4 >= 0 ? a4 : table.initiatorIp(index), b4 >= 0 ? b4 : table.responderIp(index), ts);
      if (p.srcMac === null || p.srcMac === undefined) {
        const mac = table.initiatorMac(index);
        p.srcMac = mac >= 0 ? mac : null;
      }
      const udp = proto === 17;
      started(p, udp, table.responderPort(index), udp ? undefined : STEALTH_BY_BITS[(table.tcpFlagsOf(index, 0) | table.tcpFlagsOf(index, 1)) & 0xff], ts);
    },
    flowStarted,
    observe(o: Observation): void {
      // Type 3 code 3 (v4) / type 1 code 4 (v6): a closed UDP port answering; the scanner is the ICMP destination.
      if (o.kind !== "icmp") return;
      const unreach = o.msg.v6 ? o.msg.type === 1 && o.msg.code === 4 : o.msg.type === 3 && o.msg.code === 3;
      if (!unreach) return;
      const scanner = metaDst(o.meta), host = metaSrc(o.meta);
      if (scanner === null || scanner === "" || host === null || host === "") return;
      const numbers = typeof scanner === "number" && typeof host === "number";
      const p = numbers ? pair(scanner, host, null, scanner, host, o.meta.ts) : pair(-1, -1, `${addressText(scanner)}>${addressText(host)}`, scanner, host, o.meta.ts);
      p.srcMac ??= o.meta.dstMac;
      p.unreachables++;
      check(p, o.meta.ts);
    },
    tick(now: number): void {
      reportGrowth(pairs, now, s.portScanWindowSeconds, (p) => raise(addressText(p.src), addressText(p.dst), p, p.last), gate, pool);
    },
  };
}
