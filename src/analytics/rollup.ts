/**
 * Per-minute traffic rollups per device, service, application and destination, from flow counter
 * deltas: active flows are snapshotted each minute and ended flows once more, each delta going to
 * the minute of the flow's last packet. Rows are written with absolute values, seeded from the
 * database on first touch, so a repeated flush or a restart in the middle of a minute adds nothing twice.
 */
import type { Analyzer } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import { flowProtocolName } from "../flows/snapshot.ts";
import type { FlowTable } from "../flows/table.ts";
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
  /**
   * The flow table: the minute snapshot reads its live flows' values straight from it, no record made
   * per flow (and endedAt takes a flow from it). Without it, activeFlows gives the live flows' records.
   */
  flows?: FlowTable;
  /** The flows active right now as records (`() => engine.flows.active()`), when `flows` is not given. */
  activeFlows?: () => Iterable<FlowRecord>;
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

/** What the rollups read of a flow: a record, or the table's values copied into one reused object (#read). */
type RollupFlow = Pick<FlowRecord,
  "bytesSent" | "bytesReceived" | "packetsSent" | "packetsReceived" | "lastSeen" | "protocol" | "service" | "hostname" |
  "application" | "category" | "srcIp" | "dstIp" | "srcDeviceId" | "dstDeviceId">;

/**
 * One minute's open rows by dimension and key (absolute values, as in the database after flush), and
 * how many keys of each capped dimension got a row of their own: no "bucket\tdim\tkey" text made per
 * flow and dimension to find a row.
 */
interface Minute {
  rows: Record<RollupDim, Map<string, RollupRow>>;
  destKeys: number;
  deviceKeys: number;
}

function newMinute(): Minute {
  return { rows: { total: new Map(), service: new Map(), app: new Map(), dest: new Map(), device: new Map() }, destKeys: 0, deviceKeys: 0 };
}

export class TrafficRollup implements Analyzer {
  readonly name = "rollups";
  readonly #store: RollupSink;
  readonly #activeFlows: (() => Iterable<FlowRecord>) | null;
  readonly #flows: FlowTable | null;
  readonly #isLocal: (ip: string) => boolean;
  /** By numeric flow id (a record's id is its number's text). */
  readonly #seen = new BoundedMap<number, Seen>(MAX_TRACKED_FLOWS);
  /** Open minutes by bucket. */
  readonly #open = new Map<number, Minute>();
  /** The minute last looked up (most flows of a snapshot or a burst of ends share it). */
  #minute: { bucket: number; m: Minute } | null = null;
  /** Rows changed since the last flush, in the order they were first changed. */
  readonly #dirty = new Set<RollupRow>();
  readonly #retention: RollupRetention;
  /** The table's values of the flow being accounted (#read), one object reused. */
  readonly #scratch = {
    bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0, lastSeen: 0, protocol: "OTHER", service: null,
    serviceBy: null, hostname: null, application: null, category: null, srcIp: "", dstIp: "", srcDeviceId: null, dstDeviceId: null,
  } as RollupFlow & Pick<FlowRecord, "serviceBy">;
  #nextSnapshot = 0;
  #nextCompact = 0;
  #newestBucket = 0;

  constructor(opts: RollupOptions) {
    if (!opts.flows && !opts.activeFlows) throw new Error("rollup: give the flow table or activeFlows");
    this.#store = opts.store;
    this.#flows = opts.flows ?? null;
    this.#activeFlows = opts.activeFlows ?? null;
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
    const id = Number(flow.id);
    this.#account(flow, id, flow.lastSeen);
    this.#seen.delete(id);
  }

  /**
   * flowEnded read from the table (flow `i`, while it ends): run it before the other end hooks, which
   * may still label the flow (the record flowEnded gets is made before them too).
   */
  endedAt(flows: FlowTable, i: number): void {
    const id = flows.ids[i];
    this.#account(this.#read(flows, i), id, flows.lastSeenOf(i));
    this.#seen.delete(id);
  }

  /** Attributes what every active flow did since it was last seen here. */
  snapshot(now: number): void {
    const t = this.#flows;
    if (t) {
      for (let i = 0; i < t.capacity; i++) {
        if (!t.inUse[i]) continue;
        const f = this.#read(t, i);
        this.#account(f, t.ids[i], Math.min(f.lastSeen, now));
      }
      return;
    }
    for (const flow of this.#activeFlows!()) this.#account(flow, Number(flow.id), Math.min(flow.lastSeen, now));
  }

  /** Writes changed rows and forgets minutes older than OPEN_MINUTES behind the newest. */
  flush(): void {
    if (this.#dirty.size > 0) {
      this.#store.put([...this.#dirty]);
      this.#dirty.clear();
    }
    const oldest = this.#newestBucket - OPEN_MINUTES * MINUTE;
    for (const bucket of this.#open.keys()) if (bucket < oldest) this.#open.delete(bucket);
    if (this.#minute && this.#minute.bucket < oldest) this.#minute = null;
  }

  /** Flushes everything, e.g. at the end of a file or on shutdown (after the engine's finish()). */
  close(): void {
    this.snapshot(Number.POSITIVE_INFINITY);
    this.flush();
  }

  /** Flow `i`'s values as a record has them (the reused scratch object). */
  #read(t: FlowTable, i: number): RollupFlow {
    const r = this.#scratch;
    r.bytesSent = t.bytesOf(i, 0);
    r.bytesReceived = t.bytesOf(i, 1);
    r.packetsSent = t.packetsOf(i, 0);
    r.packetsReceived = t.packetsOf(i, 1);
    r.lastSeen = t.lastSeenOf(i);
    r.protocol = flowProtocolName(t.ipProtocolOf(i));
    r.srcIp = t.initiatorIp(i);
    r.dstIp = t.responderIp(i);
    t.labels.apply(i, r as FlowRecord);
    return r;
  }

  /**
   * A flow counts in the total, its service, application and destination, and the devices at its
   * ends (each from its own side); a key counts the flow once (its `flows`), whatever it moved.
   */
  #account(flow: RollupFlow, id: number, at: number): void {
    let seen = this.#seen.get(id);
    if (!seen) {
      seen = newSeen();
      this.#seen.set(id, seen);
    }
    let bytesOut = flow.bytesSent - seen.bytesOut, bytesIn = flow.bytesReceived - seen.bytesIn;
    let packetsOut = flow.packetsSent - seen.packetsOut, packetsIn = flow.packetsReceived - seen.packetsIn;
    // Counters only grow; a smaller value means a reused id, which is counted from zero.
    if (bytesOut < 0 || bytesIn < 0 || packetsOut < 0 || packetsIn < 0) {
      bytesOut = flow.bytesSent; bytesIn = flow.bytesReceived;
      packetsOut = flow.packetsSent; packetsIn = flow.packetsReceived;
    }
    seen.bytesOut = flow.bytesSent; seen.bytesIn = flow.bytesReceived;
    seen.packetsOut = flow.packetsSent; seen.packetsIn = flow.packetsReceived;
    const changed = bytesOut + bytesIn + packetsOut + packetsIn > 0;
    const service = flow.service ?? flow.protocol;
    const app = flow.application ?? "";
    // A DNS flow's hostname is the name it asked for; its destination is still the resolver.
    const dest = (flow.service !== "DNS" && flow.hostname) || flow.dstIp;
    const srcEnd = flow.srcDeviceId ?? (flow.srcIp && this.#isLocal(flow.srcIp) ? flow.srcIp : null);
    const dstEnd = flow.dstDeviceId ?? (flow.dstIp && this.#isLocal(flow.dstIp) ? flow.dstIp : null);
    const src = srcEnd || null;
    const dst = dstEnd && dstEnd !== srcEnd ? dstEnd : null;
    // Keys not counted for this flow yet (the keys it was last counted under, as they were before now).
    const newTotal = !seen.total, newService = seen.service !== service, newApp = seen.app !== app, newDest = seen.dest !== dest;
    const newSrc = src !== null && seen.device1 !== src && seen.device2 !== src;
    const newDst = dst !== null && seen.device1 !== dst && seen.device2 !== dst;
    if (changed || newTotal || newService || newApp || newDest || newSrc || newDst) {
      const bucket = Math.floor(at / MINUTE) * MINUTE;
      const m = this.#minuteOf(bucket);
      if (changed || newTotal) add(this.#row(m, bucket, "total", ""), null, false, newTotal, bytesOut, bytesIn, packetsOut, packetsIn);
      if (changed || newService) add(this.#row(m, bucket, "service", service), null, false, newService, bytesOut, bytesIn, packetsOut, packetsIn);
      if (changed || newApp) add(this.#row(m, bucket, "app", app), flow.category, false, newApp, bytesOut, bytesIn, packetsOut, packetsIn);
      if (changed || newDest) add(this.#row(m, bucket, "dest", dest), flow.dstIp, false, newDest, bytesOut, bytesIn, packetsOut, packetsIn);
      if (src !== null && (changed || newSrc)) add(this.#row(m, bucket, "device", src), flow.srcIp, false, newSrc, bytesOut, bytesIn, packetsOut, packetsIn);
      if (dst !== null && (changed || newDst)) add(this.#row(m, bucket, "device", dst), flow.dstIp, true, newDst, bytesOut, bytesIn, packetsOut, packetsIn);
    }
    seen.total = true;
    seen.service = service;
    seen.app = app;
    seen.dest = dest;
    seen.device1 = src ?? dst;
    seen.device2 = src !== null ? dst : null;
  }

  #minuteOf(bucket: number): Minute {
    const last = this.#minute;
    if (last !== null && last.bucket === bucket) return last.m;
    let m = this.#open.get(bucket);
    if (!m) this.#open.set(bucket, (m = newMinute()));
    this.#minute = { bucket, m };
    return m;
  }

  #row(m: Minute, bucket: number, dim: RollupDim, key: string): RollupRow {
    const rows = m.rows[dim];
    let row = rows.get(key);
    if (!row) {
      const cap = dim === "dest" ? MAX_DEST_KEYS_PER_MINUTE : dim === "device" ? MAX_DEVICE_KEYS_PER_MINUTE : 0;
      if (cap > 0) {
        const n = dim === "dest" ? m.destKeys : m.deviceKeys;
        if (n >= cap) {
          key = OTHER_KEY;
          row = rows.get(key);
        } else if (dim === "dest") {
          m.destKeys = n + 1;
        } else {
          m.deviceKeys = n + 1;
        }
      }
    }
    if (!row) {
      // First touch in this process: start from what an earlier run (or an earlier flush) stored.
      const stored = this.#store.get(dim, bucket, MINUTE, key);
      row = {
        dim, bucket, resolution: MINUTE, key, label: stored?.label ?? null,
        bytesOut: stored?.bytesOut ?? 0, bytesIn: stored?.bytesIn ?? 0,
        packetsOut: stored?.packetsOut ?? 0, packetsIn: stored?.packetsIn ?? 0, flows: stored?.flows ?? 0,
      };
      rows.set(key, row);
      if (bucket > this.#newestBucket) this.#newestBucket = bucket;
    }
    this.#dirty.add(row);
    return row;
  }
}

/** Adds a flow's delta to a row (a device at the responder's end sees it reversed). */
function add(row: RollupRow, label: string | null, reverse: boolean, isNew: boolean, bytesOut: number, bytesIn: number, packetsOut: number, packetsIn: number): void {
  if (reverse) {
    row.bytesOut += bytesIn; row.bytesIn += bytesOut;
    row.packetsOut += packetsIn; row.packetsIn += packetsOut;
  } else {
    row.bytesOut += bytesOut; row.bytesIn += bytesIn;
    row.packetsOut += packetsOut; row.packetsIn += packetsIn;
  }
  if (isNew) row.flows += 1;
  if (label !== null) row.label = label;
}
