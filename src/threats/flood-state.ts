/**
 * Per-target packet-rate state shared by the flood detectors: aggregated by target (so random
 * spoofed sources still add up), with a capped sample of sources and the dominant sender MAC.
 * Targets, sources and MACs are kept as numbers (IPv4, 48-bit MACs; IPv6 as the text the packet
 * already carries): a spoofed flood makes no string per SYN, text is made only for a report.
 */
import { AddressTable } from "./address-table.ts";
import { type Address, addressText, type MacAddress, macText, reportGrowth, StatePool, SweepGate } from "./util.ts";

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
  /** The key the tracker filed it under last. */
  key: Address = "";
  /** The whole second of `last` when the tracker last listed it by second (NaN: not listed). */
  second = NaN;
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
    this.second = NaN;
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

/** A SweepGate that also tells whether any target was marked dirty since the last full sweep. */
class FloodGate extends SweepGate {
  dirtySinceSweep = false;

  override dirtied(): void {
    this.dirtySinceSweep = true;
    super.dirtied();
  }
}

export class FloodTracker {
  readonly targets: AddressTable<FloodTarget>;
  /** For the detectors' ticks: every time a target is given, and its dirty marks (see SweepGate). */
  readonly gate = new FloodGate();
  /**
   * The targets by the whole second of their `last`, listed again whenever that second moves on (an
   * entry whose target moved to a later second, or left the map, is skipped and dropped): a tick with
   * nothing to report finds the idle targets here instead of walking every target (10 k at the cap,
   * every tick of a busy capture).
   */
  readonly #bySecond = new Map<number, TrackedTarget[]>();
  /** The list of the second hit last (most hits fall in it). */
  #second = -1;
  #listed: TrackedTarget[] | null = null;
  /** With `recycle`: targets the detector's tick dropped (reportGrowth's pool), given to new targets. */
  readonly pool: StatePool<FloodTarget> | undefined;
  /**
   * `recycle`: a target whose window has passed is reset in place, and a new target takes the state
   * the cap drops, or one the tick dropped (no object per target and window). A target the detector
   * holds beyond the hook that hit it must be marked with keep() (the SYN flood's candidates keep
   * theirs as evidence): it is then left to the collector, never reset.
   */
  constructor(cap: number, readonly windowSeconds: number, readonly recycle = false) {
    this.targets = new AddressTable(cap);
    this.pool = recycle ? new StatePool(POOLED_TARGETS, (t) => (t as TrackedTarget).reset(0), (t) => !(t as TrackedTarget).kept) : undefined;
  }

  /** Marks a target the detector holds on to: it is never recycled. */
  keep(t: FloodTarget): void {
    (t as TrackedTarget).kept = true;
  }

  /**
   * The tick's reportGrowth over the targets: reports the dirty ones, drops (and recycles) those idle
   * past the window. With none marked dirty since the last full sweep that walk would only drop the
   * idle ones (reportGrowth drops every idle target at every tick: its gate lets no idle one by), so
   * they are found by the seconds of their `last`: the same targets leave the map (the order of the
   * ones left is the map's, whatever order they leave in), and the same are recycled.
   */
  sweep(now: number, report: (t: FloodTarget, target: Address) => void): void {
    if (this.gate.dirtySinceSweep) {
      this.gate.dirtySinceSweep = false;
      reportGrowth(this.targets, now, this.windowSeconds, report, this.gate, this.pool);
      return;
    }
    this.#dropIdle(now);
  }

  /** Lists `t` under the second of its `last` (when that second moved on). */
  #list(t: TrackedTarget): void {
    const second = Math.floor(t.last);
    // A NaN time is never idle (now - NaN > window is false): such a target is not listed.
    if (t.second === second || second !== second) return;
    t.second = second;
    if (second !== this.#second || this.#listed === null) {
      let listed = this.#bySecond.get(second);
      if (listed === undefined) this.#bySecond.set(second, listed = []);
      this.#second = second;
      this.#listed = listed;
    }
    this.#listed.push(t);
  }

  /** Drops the targets idle past the window at `now` (reportGrowth's test, `now - last > window`), recycling them. */
  #dropIdle(now: number): void {
    const window = this.windowSeconds, targets = this.targets;
    for (const [second, listed] of this.#bySecond) {
      // last >= second, and now - x does not grow with x: a second that fails the test holds no idle target.
      if (!(now - second > window)) continue;
      let kept = 0;
      for (let i = 0; i < listed.length; i++) {
        const t = listed[i];
        if (t.second !== second) continue;
        const slot = targets.slotOf(t.key);
        if (slot < 0 || targets.valueAt(slot) !== t) continue;
        if (now - t.last > window) {
          this.pool?.release(t);
          targets.deleteAt(slot);
        } else listed[kept++] = t;
      }
      if (kept > 0) {
        listed.length = kept;
        continue;
      }
      this.#bySecond.delete(second);
      if (this.#listed === listed) this.#listed = null;
    }
  }

  /** A kept target its holder let go of, no longer filed under its key: recycled (with `recycle`). */
  release(t: FloodTarget): void {
    (t as TrackedTarget).kept = false;
    this.pool?.release(t);
  }

  /** Counts one packet; returns the target state (its window restarted when stale). */
  hit(target: Address, srcIp: Address | null, srcMac: MacAddress | null, ts: number, by = 1, port = -1): FloodTarget {
    const targets = this.targets;
    const slot = targets.slotOf(target);
    let t = slot >= 0 ? targets.valueAt(slot) as TrackedTarget : undefined;
    if (!t || ts - t.start > this.windowSeconds) {
      let reuse = !this.recycle ? undefined : t ?? (targets.evictForReuse() ?? this.pool!.take()) as TrackedTarget | undefined;
      if (reuse !== undefined && reuse.kept) reuse = undefined;
      if (reuse === undefined) {
        // A new state under a key already held keeps the key's place (as a map's set would).
        t = new TrackedTarget(ts);
        if (slot >= 0) targets.setValueAt(slot, t);
        else targets.add(target, t);
      } else {
        reuse.reset(ts);
        // A stale target keeps its key and place; a dropped one is filed under the new key, as a new target would be.
        if (t === undefined) targets.add(target, reuse);
        t = reuse;
      }
      t.key = target;
    }
    t.last = Math.max(t.last, ts);
    this.#list(t);
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
