/**
 * Per-minute traffic rollups per device, service, application and destination, from flow counter
 * deltas: active flows are snapshotted each minute and ended flows once more, each delta going to
 * the minute of the flow's last packet. Rows are written with absolute values, seeded from the
 * database on first touch, so a repeated flush or a restart in the middle of a minute adds nothing twice.
 */
import type { Analyzer } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import { isLocalAddress } from "../util/locality.ts";
import {
  DEFAULT_ROLLUP_RETENTION, HOUR, MINUTE, OTHER_KEY, type RollupDim, type RollupRetention, type RollupRow, type RollupSink,
} from "./model.ts";
import { BoundedMap } from "../util/ordered-map.ts";

/** Minutes kept in memory behind the newest one, for packets that arrive a little late. */
export const OPEN_MINUTES = 5;
/** Distinct destinations per minute; the rest are summed under OTHER_KEY to bound the table. */
export const MAX_DEST_KEYS_PER_MINUTE = 500;
/** Distinct devices per minute (a scan of a /16 must not write 65k device rows). */
export const MAX_DEVICE_KEYS_PER_MINUTE = 1000;
/** How often old minutes are rolled up and expired rows pruned (capture time). */
export const COMPACT_EVERY_SECONDS = HOUR;
/** Flows whose counters are remembered between snapshots; flowEnded forgets them. */
export const MAX_TRACKED_FLOWS = 500_000;

export interface RollupOptions {
  store: RollupSink;
  /** The flows active right now (`() => engine.flows.active()`, or records made one at a time as they are read). */
  activeFlows: () => Iterable<FlowRecord>;
  /** Which addresses count as devices when a flow carries no device id. */
  isLocal?: (ip: string) => boolean;
  retention?: RollupRetention;
}

/**
 * A flow's counters as last accounted, and the key it was last counted under per dimension (null:
 * none yet), so a relabelled flow counts once per key. The keys are the flow's own strings, one slot
 * per dimension (two for devices, one per end): no Set and no "dim\tkey" text kept per tracked flow,
 * which for a minute's snapshot of 60 k live flows was ~50 MB of heap.
 */
interface Seen {
  bytesOut: number; bytesIn: number; packetsOut: number; packetsIn: number;
  total: boolean; service: string | null; app: string | null; dest: string | null; device1: string | null; device2: string | null;
}

function newSeen(): Seen {
  return { bytesOut: 0, bytesIn: 0, packetsOut: 0, packetsIn: 0, total: false, service: null, app: null, dest: null, device1: null, device2: null };
}

/** Whether `seen` was last counted under `s` (a device under either end's slot). */
function counted(seen: Seen, s: Share): boolean {
  switch (s.dim) {
    case "total": return seen.total;
    case "service": return seen.service === s.key;
    case "app": return seen.app === s.key;
    case "dest": return seen.dest === s.key;
    case "device": return seen.device1 === s.key || seen.device2 === s.key;
    default: {
      const unknown: never = s.dim;
      throw new Error(`rollup: unknown dimension ${String(unknown)}`);
    }
  }
}

/** Records the keys `shares` counted under as the flow's latest (what the Set of "dim\tkey" held). */
function remember(seen: Seen, shares: Share[]): void {
  seen.total = false;
  seen.service = seen.app = seen.dest = seen.device1 = seen.device2 = null;
  for (const s of shares) {
    if (s.dim === "total") seen.total = true;
    else if (s.dim === "service") seen.service = s.key;
    else if (s.dim === "app") seen.app = s.key;
    else if (s.dim === "dest") seen.dest = s.key;
    else if (seen.device1 === null) seen.device1 = s.key;
    else seen.device2 = s.key;
  }
}

interface Share { dim: RollupDim; key: string; label: string | null; reverse: boolean }

export class TrafficRollup implements Analyzer {
  readonly name = "rollups";
  readonly #store: RollupSink;
  readonly #activeFlows: () => Iterable<FlowRecord>;
  readonly #isLocal: (ip: string) => boolean;
  readonly #seen = new BoundedMap<string, Seen>(MAX_TRACKED_FLOWS);
  /** Open minute rows by "bucket\tdim\tkey": absolute values, as in the database after flush. */
  readonly #open = new Map<string, RollupRow>();
  readonly #dirty = new Set<string>();
  /** Distinct keys per (bucket, dim) to apply the caps. */
  readonly #keyCount = new Map<string, number>();
  readonly #retention: RollupRetention;
  #nextSnapshot = 0;
  #nextCompact = 0;
  #newestBucket = 0;

  constructor(opts: RollupOptions) {
    this.#store = opts.store;
    this.#activeFlows = opts.activeFlows;
    this.#isLocal = opts.isLocal ?? isLocalAddress;
    this.#retention = opts.retention ?? DEFAULT_ROLLUP_RETENTION;
  }

  /** Once per second from the engine: snapshot and flush at every minute edge. */
  tick(now: number): void {
    if (now < this.#nextSnapshot) return;
    this.snapshot(now);
    this.flush();
    this.#nextSnapshot = (Math.floor(now / MINUTE) + 1) * MINUTE;
    if (now >= this.#nextCompact) {
      // Relative to capture time, so analysing an old file never prunes what it just wrote.
      this.#store.compact(now, this.#retention);
      this.#nextCompact = now + COMPACT_EVERY_SECONDS;
    }
  }

  flowEnded(flow: FlowRecord): void {
    this.#account(flow, flow.lastSeen);
    this.#seen.delete(flow.id);
  }

  /** Attributes what every active flow did since it was last seen here. */
  snapshot(now: number): void {
    for (const flow of this.#activeFlows()) this.#account(flow, Math.min(flow.lastSeen, now));
  }

  /** Writes changed rows and forgets minutes older than OPEN_MINUTES behind the newest. */
  flush(): void {
    if (this.#dirty.size > 0) {
      const rows: RollupRow[] = [];
      for (const id of this.#dirty) {
        const row = this.#open.get(id);
        if (row) rows.push(row);
      }
      this.#store.put(rows);
      this.#dirty.clear();
    }
    const oldest = this.#newestBucket - OPEN_MINUTES * MINUTE;
    for (const [id, row] of this.#open) if (row.bucket < oldest) this.#open.delete(id);
    for (const id of this.#keyCount.keys()) if (Number(id.slice(0, id.indexOf("\t"))) < oldest) this.#keyCount.delete(id);
  }

  /** Flushes everything, e.g. at the end of a file or on shutdown (after the engine's finish()). */
  close(): void {
    this.snapshot(Number.POSITIVE_INFINITY);
    this.flush();
  }

  #account(flow: FlowRecord, at: number): void {
    let seen = this.#seen.get(flow.id);
    if (!seen) {
      seen = newSeen();
      this.#seen.set(flow.id, seen);
    }
    const d = {
      bytesOut: flow.bytesSent - seen.bytesOut,
      bytesIn: flow.bytesReceived - seen.bytesIn,
      packetsOut: flow.packetsSent - seen.packetsOut,
      packetsIn: flow.packetsReceived - seen.packetsIn,
    };
    // Counters only grow; a smaller value means a reused id, which is counted from zero.
    if (d.bytesOut < 0 || d.bytesIn < 0 || d.packetsOut < 0 || d.packetsIn < 0) {
      d.bytesOut = flow.bytesSent; d.bytesIn = flow.bytesReceived;
      d.packetsOut = flow.packetsSent; d.packetsIn = flow.packetsReceived;
    }
    seen.bytesOut = flow.bytesSent; seen.bytesIn = flow.bytesReceived;
    seen.packetsOut = flow.packetsSent; seen.packetsIn = flow.packetsReceived;
    const shares = this.#shares(flow);
    const changed = d.bytesOut + d.bytesIn + d.packetsOut + d.packetsIn > 0;
    const bucket = Math.floor(at / MINUTE) * MINUTE;
    for (const s of shares) {
      const isNew = !counted(seen, s);
      if (!changed && !isNew) continue;
      const row = this.#row(bucket, s);
      if (s.reverse) {
        row.bytesOut += d.bytesIn; row.bytesIn += d.bytesOut;
        row.packetsOut += d.packetsIn; row.packetsIn += d.packetsOut;
      } else {
        row.bytesOut += d.bytesOut; row.bytesIn += d.bytesIn;
        row.packetsOut += d.packetsOut; row.packetsIn += d.packetsIn;
      }
      if (isNew) row.flows += 1;
      if (s.label !== null) row.label = s.label;
    }
    remember(seen, shares);
  }

  /** The rows a flow counts in; devices see the flow from their own side. */
  #shares(flow: FlowRecord): Share[] {
    const shares: Share[] = [
      { dim: "total", key: "", label: null, reverse: false },
      { dim: "service", key: flow.service ?? flow.protocol, label: null, reverse: false },
      { dim: "app", key: flow.application ?? "", label: flow.category, reverse: false },
      // A DNS flow's hostname is the name it asked for; its destination is still the resolver.
      { dim: "dest", key: (flow.service !== "DNS" && flow.hostname) || flow.dstIp, label: flow.dstIp, reverse: false },
    ];
    const src = flow.srcDeviceId ?? (flow.srcIp && this.#isLocal(flow.srcIp) ? flow.srcIp : null);
    const dst = flow.dstDeviceId ?? (flow.dstIp && this.#isLocal(flow.dstIp) ? flow.dstIp : null);
    if (src) shares.push({ dim: "device", key: src, label: flow.srcIp, reverse: false });
    if (dst && dst !== src) shares.push({ dim: "device", key: dst, label: flow.dstIp, reverse: true });
    return shares;
  }

  #row(bucket: number, s: Share): RollupRow {
    let key = s.key;
    let id = `${bucket}\t${s.dim}\t${key}`;
    let row = this.#open.get(id);
    if (!row) {
      const cap = s.dim === "dest" ? MAX_DEST_KEYS_PER_MINUTE : s.dim === "device" ? MAX_DEVICE_KEYS_PER_MINUTE : 0;
      if (cap > 0) {
        const countId = `${bucket}\t${s.dim}`;
        const n = this.#keyCount.get(countId) ?? 0;
        if (n >= cap) {
          key = OTHER_KEY;
          id = `${bucket}\t${s.dim}\t${key}`;
          row = this.#open.get(id);
        } else {
          this.#keyCount.set(countId, n + 1);
        }
      }
    }
    if (!row) {
      // First touch in this process: start from what an earlier run (or an earlier flush) stored.
      const stored = this.#store.get(s.dim, bucket, MINUTE, key);
      row = {
        dim: s.dim, bucket, resolution: MINUTE, key, label: stored?.label ?? null,
        bytesOut: stored?.bytesOut ?? 0, bytesIn: stored?.bytesIn ?? 0,
        packetsOut: stored?.packetsOut ?? 0, packetsIn: stored?.packetsIn ?? 0, flows: stored?.flows ?? 0,
      };
      this.#open.set(id, row);
      if (bucket > this.#newestBucket) this.#newestBucket = bucket;
    }
    this.#dirty.add(id);
    return row;
  }
}
