/**
 * The flows the API serves: live flows from the engine's table, ended flows queued for the next
 * flush, and stored history, merged newest first. Precedence for one id: live, then queued, then stored.
 */
import type { Engine } from "../engine/engine.ts";
import type { FlowRecord } from "../flows/record.ts";
import {
  flowFromRow, flowOrder, flowText, ROW_ID, ROW_LAST_SEEN, ROW_STATUS, type FlowQuery, type FlowRowValues, type StoredFlows,
} from "../storage/flows.ts";
import type { StorageWriter } from "../storage/writer.ts";

/** How long the ordering of live flows is reused (sorting 200 k flows costs ~20 ms). */
export const LIVE_ORDER_TTL_MS = 1000;

export function matches(f: FlowRecord, q: FlowQuery): boolean {
  if (q.status && f.status !== q.status) return false;
  if (q.protocol && f.protocol !== q.protocol) return false;
  if (q.since !== undefined && f.lastSeen < q.since) return false;
  if (q.ip && f.srcIp !== q.ip && f.dstIp !== q.ip) return false;
  if (q.deviceId && f.srcDeviceId !== q.deviceId && f.dstDeviceId !== q.deviceId) return false;
  if (q.q && !flowText(f).includes(q.q.toLowerCase())) return false;
  return true;
}

export const newestFirst = (a: FlowRecord, b: FlowRecord) => b.lastSeen - a.lastSeen || Number(b.id) - Number(a.id);

const newestRowFirst = (a: FlowRowValues, b: FlowRowValues) =>
  (b[ROW_LAST_SEEN] as number) - (a[ROW_LAST_SEEN] as number) || (b[ROW_ID] as number) - (a[ROW_ID] as number);

/** Inserts `f` into `list` (newest first) if it is among the `max` newest. */
export function insertNewest(list: FlowRecord[], f: FlowRecord, max: number): void {
  insertSorted(list, f, max, newestFirst);
}

/** The `max` newest ended flows waiting in the write queue, newest first (records made for those only). */
export function newestQueued(writer: StorageWriter, max: number): FlowRecord[] {
  const rows: FlowRowValues[] = [];
  for (const row of writer.pendingFlowRows()) if (row[ROW_STATUS] === "closed") insertSorted(rows, row, max, newestRowFirst);
  return rows.map(flowFromRow);
}

/** Ended flows waiting in the write queue, as records (made as they are read). */
function* queuedClosed(writer: StorageWriter | null): Iterable<FlowRecord> {
  if (!writer) return;
  for (const row of writer.pendingFlowRows()) if (row[ROW_STATUS] === "closed") yield flowFromRow(row);
}

function insertSorted<T>(list: T[], f: T, max: number, order: (a: T, b: T) => number): void {
  if (list.length >= max && order(f, list[list.length - 1]) >= 0) return;
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (order(f, list[mid]) < 0) hi = mid;
    else lo = mid + 1;
  }
  list.splice(lo, 0, f);
  if (list.length > max) list.pop();
}

export class FlowView {
  #order: Float64Array = new Float64Array(0);
  #orderAt = -Infinity;
  /** The table's next id when the order was taken: flows created since are looked up by id. */
  #nextIdAt = 0;

  constructor(
    private readonly stored: StoredFlows,
    private readonly writer: StorageWriter | null,
    private readonly engine: Engine | null,
  ) {}

  get(id: string): FlowRecord | undefined {
    return this.engine?.flows.get(id) ?? this.writer?.pendingFlow(id) ?? this.stored.get(id);
  }

  list(q: FlowQuery): FlowRecord[] {
    const live = this.engine && q.status !== "closed" ? this.#live(q, (q.offset ?? 0) + q.limit) : this.engine ? [] : null;
    return mergePage(q, live, queuedClosed(this.writer), this.stored);
  }

  /** Up to `want` live flows matching q, newest first. */
  #live(q: FlowQuery, want: number): FlowRecord[] {
    const table = this.engine!.flows;
    const filtered = q.protocol !== undefined || q.ip !== undefined || q.deviceId !== undefined || q.since !== undefined || q.status !== undefined ||
      q.q !== undefined || (q.sort ?? "last_seen") !== "last_seen";
    if (!filtered) return newestActive(table, want).map((i) => table.record(i));
    const now = performance.now();
    if (now - this.#orderAt > LIVE_ORDER_TTL_MS) {
      this.#order = Float64Array.from(newestActive(table, Infinity), (i) => table.ids[i]);
      this.#orderAt = now;
      this.#nextIdAt = table.nextId;
    }
    const out: FlowRecord[] = [];
    // Flows newer than the cached order: few (one second's worth), and the newest of all.
    for (let id = table.nextId - 1; id >= this.#nextIdAt; id--) {
      const f = table.get(id);
      if (f && matches(f, q)) out.push(f);
    }
    let older = 0;
    for (const id of this.#order) {
      if (id >= this.#nextIdAt) continue;
      const f = table.get(id);
      if (f && matches(f, q)) {
        out.push(f);
        // Newest first may stop early; any other order needs every match.
        if (++older >= want && q.sort !== "bytes") break;
      }
    }
    return out;
  }
}

/**
 * One page of flows from live flows (already filtered, newest first; null when there is no live
 * table), ended flows not yet written, and storage. Precedence for one id: live, queued, stored.
 */
export function mergePage(q: FlowQuery, live: FlowRecord[] | null, queued: Iterable<FlowRecord>, stored: StoredFlows): FlowRecord[] {
  const want = (q.offset ?? 0) + q.limit;
  const out = new Map<string, FlowRecord>();
  if (live) for (const f of live) out.set(f.id, f);
  if (q.status !== "active" || !live) {
    const ended: FlowRecord[] = [];
    for (const f of queued) if (f.status === "closed" && !out.has(f.id) && matches(f, q)) ended.push(f);
    ended.sort(flowOrder(q.sort));
    for (const f of ended.slice(0, want)) out.set(f.id, f);
    // With a live table, stored "active" rows are either live or queued as closed: read only closed ones.
    const status = live ? "closed" : q.status;
    for (const f of stored.query({ ...q, status, limit: want, offset: 0 })) if (!out.has(f.id)) out.set(f.id, f);
  }
  return [...out.values()].sort(flowOrder(q.sort)).slice(q.offset ?? 0, want);
}

type Table = Engine["flows"];

/** Indexes of the `k` most recently seen active flows, newest first, without making their records. */
export function newestActive(table: Table, k: number): number[] {
  const n = table.size;
  const idx = new Int32Array(n);
  const ts = new Float64Array(n);
  let m = 0;
  table.forEachActive((i) => {
    if (m < n) {
      idx[m] = i;
      ts[m++] = table.lastSeenOf(i);
    }
  });
  let chosen: number[];
  if (m <= k) {
    chosen = Array.from(idx.subarray(0, m));
  } else {
    const threshold = kthLargest(ts.slice(0, m), k);
    chosen = [];
    for (let j = 0; j < m; j++) if (ts[j] >= threshold) chosen.push(idx[j]);
  }
  chosen.sort((a, b) => table.lastSeenOf(b) - table.lastSeenOf(a) || table.ids[b] - table.ids[a]);
  return chosen.length > k ? chosen.slice(0, k) : chosen;
}

/** The k-th largest value (1-based) of `a` by quickselect; reorders `a`. */
function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // position in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}
