/**
 * Per-target packet-rate state shared by the flood detectors: aggregated by target (so random
 * spoofed sources still add up), with a capped sample of sources and the dominant sender MAC.
 */
import { addCapped, BoundedMap } from "./util.ts";

/** Distinct sources counted per target; past it the evidence says ">= this many". */
export const MAX_SOURCES_TRACKED = 1024;
/** One source sending at least this share of the packets is "the" source; otherwise spoofed / distributed. */
export const DOMINANT_SHARE = 0.8;
export const MAX_PORTS_TRACKED = 64;

export interface FloodTarget {
  start: number;
  last: number;
  packets: number;
  replies: number;
  sources: Set<string>;
  /** Packets per source IP and per source MAC, both capped maps. */
  bySource: Map<string, number>;
  byMac: Map<string, number>;
  /** Destination ports hit (capped): a flood hammers a few, a scan walks many. */
  ports: Set<number>;
  raised: boolean;
  dirty: boolean;
}

export class FloodTracker {
  readonly targets: BoundedMap<string, FloodTarget>;
  constructor(cap: number, readonly windowSeconds: number) {
    this.targets = new BoundedMap(cap);
  }

  /** Counts one packet; returns the target state (its window restarted when stale). */
  hit(target: string, srcIp: string | null, srcMac: string | null, ts: number, by = 1, port = -1): FloodTarget {
    let t = this.targets.get(target);
    if (!t || ts - t.start > this.windowSeconds) {
      t = { start: ts, last: ts, packets: 0, replies: 0, sources: new Set(), bySource: new Map(), byMac: new Map(), ports: new Set(),
        raised: false, dirty: false };
      this.targets.set(target, t);
    }
    t.last = Math.max(t.last, ts);
    t.packets += by;
    if (port >= 0) addCapped(t.ports, port, MAX_PORTS_TRACKED);
    if (srcIp) {
      addCapped(t.sources, srcIp, MAX_SOURCES_TRACKED);
      if (t.bySource.has(srcIp) || t.bySource.size < MAX_SOURCES_TRACKED) t.bySource.set(srcIp, (t.bySource.get(srcIp) ?? 0) + by);
    }
    if (srcMac && (t.byMac.has(srcMac) || t.byMac.size < MAX_SOURCES_TRACKED)) t.byMac.set(srcMac, (t.byMac.get(srcMac) ?? 0) + by);
    return t;
  }
}

/** The key holding at least DOMINANT_SHARE of `total`, if any. */
export function dominant(counts: Map<string, number>, total: number): string | null {
  for (const [k, n] of counts) if (n >= total * DOMINANT_SHARE) return k;
  return null;
}

/** Packets per second over the window so far (at least one second, so a burst is not divided by ~0). */
export function rate(t: FloodTarget): number {
  return t.packets / Math.max(1, t.last - t.start);
}

/** A flood must last about this many seconds' worth of packets at the threshold rate. */
export const FLOOD_MIN_SECONDS_WORTH = 2;

export function isFlooding(t: FloodTarget, perSecond: number): boolean {
  return t.packets >= perSecond * FLOOD_MIN_SECONDS_WORTH && rate(t) >= perSecond;
}

/** Source fields and evidence common to every flood threat. */
export function floodAttribution(t: FloodTarget): {
  sourceIp: string | null; sourceMac: string | null; evidence: Record<string, number | boolean | string[]>;
} {
  const sourceIp = dominant(t.bySource, t.packets);
  const sourceMac = dominant(t.byMac, t.packets);
  return {
    sourceIp,
    sourceMac,
    evidence: {
      packets: t.packets,
      packetsPerSecond: Math.round(rate(t)),
      seconds: Math.round((t.last - t.start) * 1000) / 1000,
      distinctSources: t.sources.size,
      spoofedOrDistributed: sourceIp === null,
      sampleSources: [...t.sources].slice(0, 5),
    },
  };
}
