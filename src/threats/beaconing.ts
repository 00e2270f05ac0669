/**
 * Beaconing: connections from one source to one destination and port that start at a steady period
 * (low jitter) over many intervals, like malware calling home. Rated low: IoT heartbeats do it too.
 */
import type { FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { PairTable } from "./pair-table.ts";
import {
  dstIp4, isGroupIp, isGroupIp4, type MacAddress, macText, srcIp4, srcMacOf, StatePool, type TrackedAnalyzer, StartedFlowRef, type StartedFlow,
} from "./util.ts";

/** Connection start times remembered per series (a ring). */
const MAX_STARTS = 32;
/** Series (protocol and port) kept per pair of addresses; past it the pair's oldest series is dropped. */
const MAX_SERIES_PER_PAIR = 64;
/** Dropped series kept for reuse. */
const POOLED_SERIES = 1024;
/** Infrastructure that is periodic by design. */
const IGNORED_PORTS = new Set([53, 67, 68, 123, 137, 138, 1900, 5353, 5355]);

/** Connections from one address to another on one protocol and port. */
interface Series {
  /** The protocol and the destination port as one number (serviceCode). */
  service: number;
  /** The pair's next series (a pair's series are chained from its map entry, newest first). */
  next: Series | null;
  starts: number[];
  last: number;
  /** A number when read from the flow table (text only for a report). */
  srcMac: MacAddress | null;
  deviceId: string | null;
}

/** Mean and coefficient of variation of the gaps between the last `n + 1` start times. */
export function periodicity(starts: number[], n: number): { mean: number; jitter: number } | undefined {
  return periodicityInto(starts, n, { mean: 0, jitter: 0 });
}

/** periodicity() written into `out` (the hook's scratch: no object per flow start), or undefined. */
function periodicityInto(starts: number[], n: number, out: { mean: number; jitter: number }): { mean: number; jitter: number } | undefined {
  if (starts.length < n + 1) return undefined;
  // Summed in the order of the gaps, as before (the same floating-point result), with no arrays made.
  const from = starts.length - n;
  let sum = 0;
  for (let i = from; i < starts.length; i++) sum += starts[i] - starts[i - 1];
  const mean = sum / n;
  if (mean <= 0) return undefined;
  let squares = 0;
  for (let i = from; i < starts.length; i++) squares += (starts[i] - starts[i - 1] - mean) ** 2;
  const sd = Math.sqrt(squares / n);
  out.mean = mean;
  out.jitter = sd / mean;
  return out;
}

/** A dropped series made new (its pair's chain dropped with it). */
function resetSeries(sr: Series, service: number, ts: number, srcMac: MacAddress | null, deviceId: string | null): Series {
  sr.service = service;
  sr.next = null;
  sr.starts.length = 0;
  sr.last = ts;
  sr.srcMac = srcMac;
  sr.deviceId = deviceId;
  return sr;
}

/** TCP / UDP and a port as one number. */
function serviceCode(protocol: string, port: number): number {
  return protocol === "UDP" ? 65536 + port : port;
}

export function createBeaconingDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  /** By pair of addresses (their numbers for IPv4, else the text "src|dst"): the pair's first series, the others chained. */
  const series = new PairTable<Series>(s.maxTrackedKeys);
  /**
   * No series started before this (the least `last` the last sweep kept, or any start since): the
   * tick walks the pairs only once some series may be idle past its window (two hours by default).
   */
  let floor = Infinity;
  /** Series the tick dropped, given to new series. */
  const pool = new StatePool<Series>(POOLED_SERIES, (sr) => {
    sr.next = null;
    sr.starts.length = 0;
  });

  /** The series of a pair (the numbers `a4`, `b4` of an IPv4 pair, else the text `key`) and service, made (at the chain's head) when new. */
  const seriesOf = (a4: number, b4: number, key: string | null, service: number, ts: number, srcMac: MacAddress | null, deviceId: string | null): Series => {
    const slot = key === null ? series.findNumber(a4, b4) : series.findText(key);
    const head = slot >= 0 ? series.valueAt(slot) : null;
    for (let sr = head; sr !== null; sr = sr.next) if (sr.service === service) return sr;
    // A new pair takes the series the cap drops, if any (no objects per pair in a flood of new sources), and a new
    // series one the tick dropped.
    const reuse = (head === null ? series.evictForReuse() : undefined) ?? pool.take();
    const made: Series = reuse === undefined
      ? { service, next: head, starts: [], last: ts, srcMac, deviceId }
      : resetSeries(reuse, service, ts, srcMac, deviceId);
    made.next = head; // a reused series joins the pair's chain at its head, as a new one does
    // An existing pair keeps its place in the table, a new one is the youngest.
    if (slot >= 0) series.setValueAt(slot, made);
    else if (key === null) series.addNumber(a4, b4, made);
    else series.addText(key, made);
    // A pair with more series than the cap (one host trying many ports) loses its oldest.
    let sr = made;
    for (let n = 1; n < MAX_SERIES_PER_PAIR && sr.next !== null; n++) sr = sr.next;
    sr.next = null;
    return made;
  };

  /** The flow of the current numeric flowStarted call (read for a report only). */
  const started = new StartedFlowRef();
  /** The current flow start's periodicity (scratch, read before the next call). */
  const timing = { mean: 0, jitter: 0 };

  /** Counts a connection start of a series; returns the series when its starts are now periodic (timing holds how). */
  const beat = (a4: number, b4: number, key: string | null, service: number, ts: number, srcMac: MacAddress | null, deviceId: string | null): Series | null => {
    const sr = seriesOf(a4, b4, key, service, ts, srcMac, deviceId);
    sr.starts.push(ts);
    if (sr.starts.length > MAX_STARTS) sr.starts.shift();
    sr.last = ts;
    if (sr.last < floor) floor = sr.last;
    const p = periodicityInto(sr.starts, s.beaconMinIntervals, timing);
    if (!p || p.jitter > s.beaconMaxJitter) return null;
    if (p.mean < s.beaconMinPeriodSeconds || p.mean > s.beaconMaxPeriodSeconds) return null;
    return sr;
  };

  const flowStarted = (f: StartedFlow): void => {
    const protocol = f.protocol, dstPort = f.dstPort;
    if ((protocol !== "TCP" && protocol !== "UDP") || IGNORED_PORTS.has(dstPort)) return;
    const src4 = srcIp4(f), dst4 = dstIp4(f);
    if (dst4 >= 0 ? isGroupIp4(dst4) : isGroupIp(f.dstIp)) return;
    const key = src4 >= 0 && dst4 >= 0 ? null : `${f.srcIp}|${f.dstIp}`;
    const sr = beat(src4, dst4, key, serviceCode(protocol, dstPort), f.startTime, srcMacOf(f), f.srcDeviceId);
    if (sr !== null) raise(f, sr);
  };

  /** A periodic series, reported with the flow that made it so. */
  const raise = (f: StartedFlow, sr: Series): void => {
    const p = timing;
    store.raise({
      type: "beaconing",
      severity: "low",
      title: `Periodic connections from ${f.srcIp} to ${f.dstIp}:${f.dstPort}`,
      description: `${f.srcIp} connects to ${f.dstIp}:${f.dstPort}/${f.protocol} every ${p.mean.toFixed(1)} s ` +
        `(jitter ${(p.jitter * 100).toFixed(1)}% over ${s.beaconMinIntervals} intervals), like a program calling home.`,
      ts: f.startTime,
      sourceIp: f.srcIp,
      sourceMac: macText(sr.srcMac),
      targetIp: f.dstIp,
      targetPort: f.dstPort,
      deviceId: sr.deviceId,
      evidence: {
        periodSeconds: Math.round(p.mean * 100) / 100,
        jitter: Math.round(p.jitter * 1000) / 1000,
        intervals: s.beaconMinIntervals,
        maxJitter: s.beaconMaxJitter,
        protocol: f.protocol,
        hostname: f.hostname ?? "",
      },
    });
  };

  return {
    name: "threats.beaconing",
    tracked: () => series.size,
    flowStartedAt(table: FlowTable, index: number): void {
      // flowStarted read straight from the table (no flow view per call; the view only for a report).
      const proto = table.ipProtocolOf(index), dstPort = table.responderPort(index);
      if ((proto !== 6 && proto !== 17) || IGNORED_PORTS.has(dstPort)) return;
      const a4 = table.initiatorIp4(index), b4 = table.responderIp4(index);
      if (b4 >= 0 ? isGroupIp4(b4) : isGroupIp(table.responderIp(index))) return;
      const key = a4 >= 0 && b4 >= 0 ? null : `${table.initiatorIp(index)}|${table.responderIp(index)}`;
      const mac = table.initiatorMac(index);
      const sr = beat(a4, b4, key, proto === 17 ? 65536 + dstPort : dstPort, table.firstSeenOf(index), mac >= 0 ? mac : null, null);
      if (sr !== null) raise(started.at(table, index), sr);
    },
    flowStarted,
    tick(now: number): void {
      const window = s.beaconMaxPeriodSeconds * 2;
      if (!(now - floor > window)) return; // no series can be stale yet
      floor = Infinity;
      const stale = (sr: Series) => now - sr.last > window;
      series.sweep((head, slot) => {
        let first: Series | null = head;
        while (first && stale(first)) {
          const dropped = first;
          first = first.next;
          pool.release(dropped); // after reading its next: the pool scrubs it
        }
        for (let sr = first; sr; sr = sr.next) {
          while (sr.next && stale(sr.next)) {
            const dropped = sr.next;
            sr.next = dropped.next;
            pool.release(dropped);
          }
          if (sr.last < floor) floor = sr.last;
        }
        if (first && first !== head) series.setValueAt(slot, first); // its place is kept
        return first === null;
      });
    },
  };
}
