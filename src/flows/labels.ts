/**
 * Flow labels (service, host name, application, category, device ids) as numbers in typed
 * arrays: each distinct text is interned once and reference-counted by the flows that carry it,
 * so a hundred thousand flows in progress hold no label objects, and texts no flow uses are freed.
 */
import type { FlowRecord } from "./record.ts";

export type FlowLabels = Partial<Pick<FlowRecord, "service" | "serviceBy" | "hostname" | "application" | "category" | "srcDeviceId" | "dstDeviceId">>;

/** The text-valued labels, one column each. */
const TEXT_FIELDS = ["service", "hostname", "application", "category", "srcDeviceId", "dstDeviceId"] as const;
type TextField = (typeof TEXT_FIELDS)[number];

export const BY_NONE = 0, BY_PAYLOAD = 1, BY_PORT = 2;
const BY_CODE = { payload: BY_PAYLOAD, port: BY_PORT } as const;
const BY_NAME = [null, "payload", "port"] as const;

export class FlowLabelColumns {
  /** Per flow index: interned text id per field (0 = none). */
  readonly columns: Record<TextField, Int32Array>;
  readonly serviceBy: Uint8Array;
  private readonly ids = new Map<string, number>();
  private readonly texts: (string | null)[] = [null];
  private readonly refs: number[] = [0];
  private readonly freeIds: number[] = [];

  constructor(capacity: number) {
    this.columns = {
      service: new Int32Array(capacity), hostname: new Int32Array(capacity), application: new Int32Array(capacity),
      category: new Int32Array(capacity), srcDeviceId: new Int32Array(capacity), dstDeviceId: new Int32Array(capacity),
    };
    this.serviceBy = new Uint8Array(capacity);
  }

  /** Distinct texts held now. */
  get interned(): number {
    return this.ids.size;
  }

  text(id: number): string | null {
    return this.texts[id] ?? null;
  }

  /** Sets the fields present in `patch` (a null or undefined value clears one), as Object.assign would. */
  set(index: number, patch: FlowLabels): void {
    for (const field of TEXT_FIELDS) {
      if (!(field in patch)) continue;
      const col = this.columns[field];
      const next = this.intern(patch[field]);
      this.release(col[index]);
      col[index] = next;
    }
    if ("serviceBy" in patch) this.serviceBy[index] = patch.serviceBy ? BY_CODE[patch.serviceBy] : BY_NONE;
  }

  /** Sets the service a flow is identified as, and how. */
  setService(index: number, service: string, by: "payload" | "port"): void {
    const col = this.columns.service;
    const next = this.intern(service);
    this.release(col[index]);
    col[index] = next;
    this.serviceBy[index] = BY_CODE[by];
  }

  clear(index: number): void {
    for (const field of TEXT_FIELDS) {
      const col = this.columns[field];
      if (col[index] !== 0) {
        this.release(col[index]);
        col[index] = 0;
      }
    }
    this.serviceBy[index] = BY_NONE;
  }

  /** Copies a flow's labels onto a record. */
  apply(index: number, r: FlowRecord): void {
    const c = this.columns, t = this.texts;
    r.service = t[c.service[index]] ?? null;
    r.serviceBy = BY_NAME[this.serviceBy[index]] ?? null;
    r.hostname = t[c.hostname[index]] ?? null;
    r.application = t[c.application[index]] ?? null;
    r.category = t[c.category[index]] ?? null;
    r.srcDeviceId = t[c.srcDeviceId[index]] ?? null;
    r.dstDeviceId = t[c.dstDeviceId[index]] ?? null;
  }

  private intern(s: string | null | undefined): number {
    if (s === null || s === undefined) return 0;
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.freeIds.pop() ?? this.texts.length;
      this.texts[id] = s;
      this.refs[id] = 0;
      this.ids.set(s, id);
    }
    this.refs[id]++;
    return id;
  }

  private release(id: number): void {
    if (id === 0) return;
    if (--this.refs[id] > 0) return;
    this.ids.delete(this.texts[id]!);
    this.texts[id] = null;
    this.freeIds.push(id);
  }
}
