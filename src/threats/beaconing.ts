/**
 * Beaconing: connections from one source to one destination and port that start at a steady period
 * (low jitter) over many intervals, like malware calling home. Rated low: IoT heartbeats do it too.
 */
import type { FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { BoundedMap, isGroupIp, type TrackedAnalyzer, StartedFlowRef, type StartedFlow } from "./util.ts";

/** Connection start times remembered per pair (a ring). */
const MAX_STARTS = 32;
/** Infrastructure that is periodic by design. */
const IGNORED_PORTS = new Set([53, 67, 68, 123, 137, 138, 1900, 5353, 5355]);

interface Series {
  starts: number[];
  last: number;
  srcMac: string | null;
  deviceId: string | null;
}

/** Mean and coefficient of variation of the gaps between the last `n + 1` start times. */
export function periodicity(starts: number[], n: number): { mean: number; jitter: number } | undefined {
  if (starts.length < n + 1) return undefined;
  const recent = starts.slice(-(n + 1));
  const gaps = recent.slice(1).map((t, i) => t - recent[i]);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  if (mean <= 0) return undefined;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  return { mean, jitter: sd / mean };
}

export function createBeaconingDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  const series = new BoundedMap<string, Series>(s.maxTrackedKeys);

  /** The flow of the current numeric flowStarted call. */
  const started = new StartedFlowRef();
  const flowStarted = (f: StartedFlow): void => {
    if ((f.protocol !== "TCP" && f.protocol !== "UDP") || IGNORED_PORTS.has(f.dstPort) || isGroupIp(f.dstIp)) return;
    const key = `${f.srcIp}|${f.dstIp}|${f.protocol}/${f.dstPort}`;
    const sr = series.upsert(key, () => ({ starts: [], last: f.startTime, srcMac: f.srcMac, deviceId: f.srcDeviceId }));
    sr.starts.push(f.startTime);
    if (sr.starts.length > MAX_STARTS) sr.starts.shift();
    sr.last = f.startTime;
    const p = periodicity(sr.starts, s.beaconMinIntervals);
    if (!p || p.jitter > s.beaconMaxJitter) return;
    if (p.mean < s.beaconMinPeriodSeconds || p.mean > s.beaconMaxPeriodSeconds) return;
    store.raise({
      type: "beaconing",
      severity: "low",
      title: `Periodic connections from ${f.srcIp} to ${f.dstIp}:${f.dstPort}`,
      description: `${f.srcIp} connects to ${f.dstIp}:${f.dstPort}/${f.protocol} every ${p.mean.toFixed(1)} s ` +
        `(jitter ${(p.jitter * 100).toFixed(1)}% over ${s.beaconMinIntervals} intervals), like a program calling home.`,
      ts: f.startTime,
      sourceIp: f.srcIp,
      sourceMac: sr.srcMac,
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
      flowStarted(started.at(table, index));
    },
    flowStarted,
    tick(now: number): void {
      series.sweep((sr) => now - sr.last > s.beaconMaxPeriodSeconds * 2);
    },
  };
}
