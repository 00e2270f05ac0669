/**
 * The flows table: upserts (a flow is rewritten while it is active) and the queries the API makes.
 */
import type { Database, Statement } from "bun:sqlite";
import type { FlowRecord } from "../flows/record.ts";
import { flowProtocolName, refreshFlowRecord } from "../flows/snapshot.ts";
import type { FlowTable } from "../flows/table.ts";

export interface FlowQuery {
  limit: number;
  offset?: number;
  status?: "active" | "closed";
  deviceId?: string;
  protocol?: string;
  ip?: string;
  /** Epoch seconds: flows seen at or after. */
  since?: number;
  /** Text search: part of an address, MAC, host name, application or service (case-insensitive). */
  q?: string;
  /** Newest first (default) or biggest (bytes both ways) first. */
  sort?: FlowSort;
}

export type FlowSort = "last_seen" | "bytes";

/** The text a flow is searched by (`q`), lower-case. */
export function flowText(f: FlowRecord): string {
  return [f.srcIp, f.dstIp, f.srcMac, f.dstMac, f.hostname, f.application, f.service].filter(Boolean).join(" ").toLowerCase();
}

const newest = (a: FlowRecord, b: FlowRecord) => b.lastSeen - a.lastSeen || Number(b.id) - Number(a.id);
const biggest = (a: FlowRecord, b: FlowRecord) =>
  b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived) || newest(a, b);

/** The order a page of flows is in. */
export function flowOrder(sort: FlowSort | undefined): (a: FlowRecord, b: FlowRecord) => number {
  return sort === "bytes" ? biggest : newest;
}

const ORDER_BY: Record<FlowSort, string> = {
  last_seen: "last_seen DESC, id DESC",
  bytes: "bytes_sent + bytes_received DESC, last_seen DESC, id DESC",
};

const COLUMNS = [
  "id", "protocol", "ip_protocol", "ip_version", "src_ip", "src_port", "dst_ip", "dst_port", "src_mac",
  "dst_mac", "vlan", "packets_sent", "bytes_sent", "packets_received", "bytes_received", "start_time",
  "last_seen", "status", "tcp_state", "tcp_flags", "service", "service_by", "hostname", "application",
  "category", "src_device_id", "dst_device_id",
] as const;
/** Columns that never change once a flow exists: not rewritten on update. */
const FIXED = new Set(["id", "protocol", "ip_protocol", "ip_version", "src_ip", "src_port", "dst_ip", "dst_port", "vlan", "start_time"]);

const SELECT = `SELECT id, protocol, ip_protocol AS ipProtocol, ip_version AS ipVersion, src_ip AS srcIp,
  src_port AS srcPort, dst_ip AS dstIp, dst_port AS dstPort, src_mac AS srcMac, dst_mac AS dstMac, vlan,
  packets_sent AS packetsSent, bytes_sent AS bytesSent, packets_received AS packetsReceived,
  bytes_received AS bytesReceived, start_time AS startTime, last_seen AS lastSeen, status,
  tcp_state AS tcpState, tcp_flags AS tcpFlags, service, service_by AS serviceBy, hostname, application,
  category, src_device_id AS srcDeviceId, dst_device_id AS dstDeviceId FROM flows`;

type FlowRow = Omit<FlowRecord, "id"> & { id: number };

/**
 * A query's status terms: every row is either closed (in the ordered partial indexes) or not (in
 * flows_open); "active" says both terms so the planner sees the open index's condition.
 */
const STATUS_PARTS: Record<"active" | "closed" | "any", string[]> = {
  closed: [`status = 'closed'`],
  active: [`status <> 'closed' AND status = 'active'`],
  any: [`status = 'closed'`, `status <> 'closed'`],
};

/** Recent pages a connection keeps for repeats of the same query (many clients polling one page). */
const PAGE_CACHE_ENTRIES = 8;
/** Pages longer than this are read each time: the cache stays a few MB at most. */
const PAGE_CACHE_MAX_ROWS = 1000;

/** A flow's column values in COLUMNS order. */
export type FlowRowValues = (string | number | null)[];

/**
 * The flow as its row's values: an array of numbers and strings crosses a thread boundary (structured
 * clone) several times cheaper than the record with its 27 named properties.
 */
export function flowRow(f: FlowRecord): FlowRowValues {
  return [
    Number(f.id), f.protocol, f.ipProtocol, f.ipVersion, f.srcIp, f.srcPort, f.dstIp, f.dstPort, f.srcMac,
    f.dstMac, f.vlan, f.packetsSent, f.bytesSent, f.packetsReceived, f.bytesReceived, f.startTime,
    f.lastSeen, f.status, f.tcpState, f.tcpFlags, f.service, f.serviceBy, f.hostname, f.application,
    f.category, f.srcDeviceId, f.dstDeviceId,
  ];
}

/** Where a FlowRowValues keeps the fields read without turning it into a record. */
export const ROW_ID = 0, ROW_LAST_SEEN = 16, ROW_STATUS = 17, ROW_HOSTNAME = 22;

/** The record's counters, state and labels, refreshed per row (refreshFlowRecord's rules, one object reused). */
const scratch = { ipProtocol: 0, tcpState: null, tcpFlags: "" } as unknown as FlowRecord;

/**
 * The row of flow `i` read straight from the table (what flowRow(flows.record(i)) gives, without
 * the record); `status` overrides the table's (a flow the service ends is stored closed).
 */
export function flowRowAt(t: FlowTable, i: number, status?: "closed"): FlowRowValues {
  const r = scratch;
  const ipProtocol = t.ipProtocolOf(i);
  r.ipProtocol = ipProtocol;
  r.tcpState = null;
  r.tcpFlags = "";
  refreshFlowRecord(t, i, r);
  return [
    t.ids[i], flowProtocolName(ipProtocol), ipProtocol, t.ipVersionOf(i), t.initiatorIp(i), t.initiatorPort(i),
    t.responderIp(i), t.responderPort(i), t.initiatorMacText(i), t.responderMacText(i), t.vlanOf(i), r.packetsSent,
    r.bytesSent, r.packetsReceived, r.bytesReceived, t.firstSeenOf(i), r.lastSeen, status ?? r.status, r.tcpState,
    r.tcpFlags, r.service, r.serviceBy, r.hostname, r.application, r.category, r.srcDeviceId, r.dstDeviceId,
  ];
}

/** The record a row stands for (the API reads queued flows this way, a page at a time). */
export function flowFromRow(v: FlowRowValues): FlowRecord {
  return {
    id: String(v[0]), protocol: v[1], ipProtocol: v[2], ipVersion: v[3], srcIp: v[4], srcPort: v[5], dstIp: v[6],
    dstPort: v[7], srcMac: v[8], dstMac: v[9], vlan: v[10], packetsSent: v[11], bytesSent: v[12], packetsReceived: v[13],
    bytesReceived: v[14], startTime: v[15], lastSeen: v[16], status: v[17], tcpState: v[18], tcpFlags: v[19],
    service: v[20], serviceBy: v[21], hostname: v[22], application: v[23], category: v[24], srcDeviceId: v[25],
    dstDeviceId: v[26],
  } as FlowRecord;
}


function toRecord(row: FlowRow): FlowRecord {
  return { ...row, id: String(row.id) } as FlowRecord;
}

export class StoredFlows {
  readonly #db: Database;
  readonly #upsert: Statement;
  /** Pages by SQL and arguments, valid while the database is unchanged (#version); null: no cache. */
  readonly #pages: Map<string, FlowRecord[]> | null;
  #pagesVersion = "";
  readonly #version: Statement | null;

  /**
   * `pageCache`: keep the last few pages and answer a repeated query from them until the database
   * changes (for a reading connection that many clients poll; a commit by any connection clears it).
   */
  constructor(db: Database, opts: { pageCache?: boolean } = {}) {
    this.#db = db;
    this.#pages = opts.pageCache ? new Map() : null;
    // data_version moves when another connection commits, total_changes() when this one writes.
    this.#version = opts.pageCache ? db.query("SELECT data_version AS v, total_changes() AS c FROM pragma_data_version") : null;
    const changing = COLUMNS.filter((c) => !FIXED.has(c));
    // A row written again unchanged (a finished TCP flow synced while it lingers in the flow table, then
    // ended with nothing new: a quarter of the bench capture's rows) is left as it is: no row or index
    // rewritten, and the page cache's version does not move.
    this.#upsert = db.query(
      `INSERT INTO flows (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})
       ON CONFLICT(id) DO UPDATE SET ${changing.map((c) => `${c} = excluded.${c}`).join(", ")}
       WHERE ${changing.map((c) => `${c} IS NOT excluded.${c}`).join(" OR ")}`,
    );
  }

  /** Writes one flow; call inside a transaction when writing many. */
  upsert(f: FlowRecord): void {
    this.#upsert.run(
      Number(f.id), f.protocol, f.ipProtocol, f.ipVersion, f.srcIp, f.srcPort, f.dstIp, f.dstPort, f.srcMac,
      f.dstMac, f.vlan, f.packetsSent, f.bytesSent, f.packetsReceived, f.bytesReceived, f.startTime,
      f.lastSeen, f.status, f.tcpState, f.tcpFlags, f.service, f.serviceBy, f.hostname, f.application,
      f.category, f.srcDeviceId, f.dstDeviceId,
    );
  }

  /** Writes one flow given as flowRow made it (a writer thread receives rows, not records). */
  upsertRow(row: FlowRowValues): void {
    this.#upsert.run(...row);
  }

  upsertMany(flows: Iterable<FlowRecord>): void {
    this.#db.transaction(() => {
      for (const f of flows) this.upsert(f);
    })();
  }

  get(id: string): FlowRecord | undefined {
    if (!/^\d{1,15}$/.test(id)) return undefined;
    const row = this.#db.query(`${SELECT} WHERE id = ?`).get(Number(id)) as FlowRow | null;
    return row ? toRecord(row) : undefined;
  }

  /**
   * Newest first (by last seen), with the API's filters. The flows table's ordered indexes hold ended
   * (closed) flows only, so a flow's syncs while it runs move no index entry; rows still open are read
   * through their own small index (flows_open) and merged in.
   */
  query(q: FlowQuery): FlowRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.protocol) (where.push("protocol = ?"), args.push(q.protocol));
    if (q.since !== undefined) (where.push("last_seen >= ?"), args.push(q.since));
    if (q.q) {
      const like = `%${q.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const cols = ["src_ip", "dst_ip", "src_mac", "dst_mac", "hostname", "application", "service"];
      where.push(`(${cols.map((c) => `lower(${c}) LIKE ? ESCAPE '\\'`).join(" OR ")})`);
      args.push(...cols.map(() => like));
    }
    // "Either end" filters: one is read as two ordered index scans (src side, dst side) and merged.
    const ends: [string, string, string][] = [];
    if (q.deviceId) ends.push(["src_device_id", "dst_device_id", q.deviceId]);
    if (q.ip) ends.push(["src_ip", "dst_ip", q.ip]);
    for (const [src, dst, value] of ends.slice(1)) (where.push(`(${src} = ? OR ${dst} = ?)`), args.push(value, value));
    const offset = q.offset ?? 0;
    const want = offset + q.limit;
    const sort = q.sort ?? "last_seen";
    // Each part is one SQL scan: by status (literal, so the planner can use the partial indexes), then by end.
    const parts: [string[], (string | number)[]][] = [];
    for (const status of STATUS_PARTS[q.status ?? "any"]) {
      if (ends.length === 0) {
        parts.push([[...where, status], args]);
        continue;
      }
      const [src, dst, value] = ends[0];
      parts.push([[...where, status, `${src} = ?`], [...args, value]]);
      parts.push([[...where, status, `${dst} = ?`, `${src} IS NOT ?`], [...args, value, value]]);
    }
    if (parts.length === 1) return this.#page(parts[0][0], parts[0][1], q.limit, offset, sort);
    const rows = parts.flatMap(([w, a]) => this.#page(w, a, want, 0, sort));
    return rows.sort(flowOrder(sort)).slice(offset, want);
  }

  #page(where: string[], args: (string | number)[], limit: number, offset: number, sort: FlowSort = "last_seen"): FlowRecord[] {
    const sql = `${SELECT}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${ORDER_BY[sort]} LIMIT ? OFFSET ?`;
    const read = () => (this.#db.query(sql).all(...args, limit, offset) as FlowRow[]).map(toRecord);
    if (!this.#pages || limit + offset > PAGE_CACHE_MAX_ROWS) return read();
    // Read before the query: a commit in between only makes the next lookup miss, never serve stale rows.
    const version = this.version()!;
    if (version !== this.#pagesVersion) {
      this.#pages.clear();
      this.#pagesVersion = version;
    }
    const key = `${sql}\n${JSON.stringify(args)}\n${limit}\n${offset}`;
    let page = this.#pages.get(key);
    if (!page) {
      page = read();
      if (this.#pages.size >= PAGE_CACHE_ENTRIES) this.#pages.delete(this.#pages.keys().next().value!);
      this.#pages.set(key, page);
    }
    // The records are shared by every caller of this page (read them, never change them); the list is each caller's own.
    return page.slice();
  }

  /**
   * With the page cache: a token that changes whenever any connection commits or this one writes (equal
   * tokens, equal query answers); null without it.
   */
  version(): string | null {
    if (!this.#version) return null;
    const { v, c } = this.#version.get() as { v: number; c: number };
    return `${v}:${c}`;
  }

  count(): number {
    return (this.#db.query("SELECT count(*) AS n FROM flows").get() as { n: number }).n;
  }

  maxId(): number {
    return (this.#db.query("SELECT max(id) AS m FROM flows").get() as { m: number | null }).m ?? 0;
  }

  /**
   * Flows stored as active by a run that ended without closing them (a crash): no live table
   * tracks them any more, so they are closed as of their last packet. Found through flows_open
   * (STATUS_PARTS.active), not by reading the whole table at every start.
   */
  closeOrphans(): number {
    return this.#db.query(`UPDATE flows SET status = 'closed' WHERE ${STATUS_PARTS.active[0]}`).run().changes;
  }
}
