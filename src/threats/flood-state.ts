/**
 * Per-target packet-rate state shared by the flood detectors: aggregated by target (so random
 * spoofed sources still add up), with a capped sample of sources and the dominant sender MAC.
 * Targets, sources and MACs are kept as numbers (IPv4, 48-bit MACs; IPv6 as the text the packet
 * already carries): a spoofed flood makes no string per SYN, text is made only for a report.
 */
import { type Address, addressText, BoundedMap, type MacAddress, macText, reportGrowth, StatePool, SweepGate } from "./util.ts";

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
  sources: Set<Address>;
  /** Packets per source IP and per source MAC, both capped maps. */
  bySource: Map<Address, number>;
  byMac: Map<MacAddress, number>;
  /** Destination ports hit (capped): a flood hammers a few, a scan walks many. */
  ports: Set<number>;
  raised: boolean;
  dirty: boolean;
}

/**
 * A target as the tracker keeps it: most targets only ever see one source, MAC and port, so those
 * are held inline and the sets and maps are made on the second distinct value (or when read).
 */
class TrackedTarget implements FloodTarget {
  last: number;
  packets = 0;
  replies = 0;
  raised = false;
  dirty = false;
  /** Held beyond the hook that hit it (a SYN flood candidate's evidence): never recycled. */
  kept = false;
  #src: Address | null = null;
  #srcCount = 0;
  #mac: MacAddress | null = null;
  #macCount = 0;
  #port = -1;
  #bySource?: Map<Address, number>;
  #byMac?: Map<MacAddress, number>;
  #ports?: Set<number>;

  start: number;

  constructor(start: number) {
    this.start = this.last = start;
  }

  /** Empty again, its window starting at `ts` (a recycled target: as a new one). */
  reset(ts: number): void {
    this.start = this.last = ts;
    this.packets = this.replies = 0;
    this.raised = this.dirty = false;
    this.#src = this.#mac = null;
    this.#srcCount = this.#macCount = 0;
    this.#port = -1;
    this.#bySource = this.#byMac = this.#ports = undefined;
  }

  /**
   * The sources counted: bySource's keys, made into a set when read (for a report). The two held
   * the same capped keys in the same order, and a set kept beside the map cost a hash per packet.
   */
  get sources(): Set<Address> {
    return new Set(this.bySource.keys());
  }
  get bySource(): Map<Address, number> {
    if (!this.#bySource) this.#spillSources();
    return this.#bySource!;
  }
  get byMac(): Map<MacAddress, number> {
    if (!this.#byMac) {
      // Filled by set, not from an array of pairs (the iterable constructor costs far more than a set).
      const m = this.#byMac = new Map<MacAddress, number>();
      if (this.#mac !== null) m.set(this.#mac, this.#macCount);
    }
    return this.#byMac;
  }
  get ports(): Set<number> {
    if (!this.#ports) {
      const ports = this.#ports = new Set<number>();
      if (this.#port >= 0) ports.add(this.#port);
    }
    return this.#ports;
  }

  #spillSources(): void {
    const m = this.#bySource = new Map<Address, number>();
    if (this.#src !== null) m.set(this.#src, this.#srcCount);
  }

  addSource(ip: Address, by: number): void {
    if (!this.#bySource) {
      if (this.#src === null || this.#src === ip) {
        this.#src = ip;
        this.#srcCount += by;
        return;
      }
      this.#spillSources();
    }
    // As `if (m.has(ip) || m.size < cap) m.set(ip, (m.get(ip) ?? 0) + by)`, in two lookups, not three.
    const m = this.#bySource!;
    const n = m.get(ip);
    if (n !== undefined) m.set(ip, n + by);
    else if (m.size < MAX_SOURCES_TRACKED) m.set(ip, by);
  }

  addMac(mac: MacAddress, by: number): void {
    if (!this.#byMac) {
      if (this.#mac === null || this.#mac === mac) {
        this.#mac = mac;
        this.#macCount += by;
        return;
      }
      this.byMac;
    }
    const m = this.#byMac!;
    const n = m.get(mac);
    if (n !== undefined) m.set(mac, n + by);
    else if (m.size < MAX_SOURCES_TRACKED) m.set(mac, by);
  }

  addPort(port: number): void {
    if (!this.#ports) {
      if (this.#port < 0 || this.#port === port) {
        this.#port = port;
        return;
      }
      this.ports;
    }
    const ports = this.#ports!;
    if (ports.size < MAX_PORTS_TRACKED) ports.add(port);
  }
}

/** Dropped targets kept for reuse (recycling trackers). */
const POOLED_TARGETS = 1024;

export class FloodTracker {
  readonly targets: BoundedMap<Address, FloodTarget>;
  /** For the detectors' ticks: every time a target is given, and its dirty marks (see SweepGate). */
  readonly gate = new SweepGate();
  /** With `recycle`: targets the detector's tick dropped (reportGrowth's pool), given to new targets. */
  readonly pool: StatePool<FloodTarget> | undefined;
  /**
   * `recycle`: a target whose window has passed is reset in place, and a new target takes the state
   * the cap drops, or one the tick dropped (no object per target and window). A target the detector
   * holds beyond the hook that hit it must be marked with keep() (the SYN flood's candidates keep
   * theirs as evidence): it is then left to the collector, never reset.
   */
  constructor(cap: number, readonly windowSeconds: number, readonly recycle = false) {
    this.targets = new BoundedMap(cap);
    this.pool = recycle ? new StatePool(POOLED_TARGETS, (t) => (t as TrackedTarget).reset(0), (t) => !(t as TrackedTarget).kept) : undefined;
  }

  /** Marks a target the detector holds on to: it is never recycled. */
  keep(t: FloodTarget): void {
    (t as TrackedTarget).kept = true;
  }

  /** The tick's reportGrowth over the targets: reports the dirty ones, drops (and recycles) those idle past the window. */
  sweep(now: number, report: (t: FloodTarget, target: Address) => void): void {
    reportGrowth(this.targets, now, this.windowSeconds, report, this.gate, this.pool);
  }

  /** A kept target its holder let go of, no longer filed under its key: recycled (with `recycle`). */
  release(t: FloodTarget): void {
    (t as TrackedTarget).kept = false;
    this.pool?.release(t);
  }

  /** Counts one packet; returns the target state (its window restarted when stale). */
  hit(target: Address, srcIp: Address | null, srcMac: MacAddress | null, ts: number, by = 1, port = -1): FloodTarget {
    let t = this.targets.get(target) as TrackedTarget | undefined;
    if (!t || ts - t.start > this.windowSeconds) {
      let reuse = !this.recycle ? undefined : t ?? (this.targets.evictForReuse() ?? this.pool!.take()) as TrackedTarget | undefined;
      if (reuse !== undefined && reuse.kept) reuse = undefined;
      if (reuse === undefined) {
        t = new TrackedTarget(ts);
        this.targets.set(target, t);
      } else {
        reuse.reset(ts);
        // A stale target keeps its key and place; a dropped one is filed under the new key, as a new target would be.
        if (t === undefined) this.targets.set(target, reuse);
        t = reuse;
      }
    }
    t.last = Math.max(t.last, ts);
    this.gate.saw(t.last);
    t.packets += by;
    if (port >= 0) t.addPort(port);
    if (srcIp !== null && srcIp !== "") t.addSource(srcIp, by);
    if (srcMac !== null && srcMac !== "") t.addMac(srcMac, by);
    return t;
  }
}

/** The key holding at least DOMINANT_SHARE of `total`, if any. */
export function dominant<K>(counts: Map<K, number>, total: number): K | null {
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
  const src = dominant(t.bySource, t.packets);
  const sourceIp = src === null ? null : addressText(src);
  const sourceMac = macText(dominant(t.byMac, t.packets));
  return {
    sourceIp,
    sourceMac,
    evidence: {
      packets: t.packets,
      packetsPerSecond: Math.round(rate(t)),
      seconds: Math.round((t.last - t.start) * 1000) / 1000,
      distinctSources: t.sources.size,
      spoofedOrDistributed: sourceIp === null,
      sampleSources: [...t.sources].slice(0, 5).map(addressText),
    },
  };
}
