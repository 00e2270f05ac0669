/**
 * Flow labels (service, host name, application, category, device ids) as numbers in typed
 * arrays: each distinct text is interned once and reference-counted by the flows that carry it,
 * so a hundred thousand flows in progress hold no label objects, and texts no flow uses are freed.
 */
import { Interner } from "../util/interner.ts";
import type { FlowRecord } from "./record.ts";

export type FlowLabels = Partial<Pick<FlowRecord, "service" | "serviceBy" | "hostname" | "application" | "category" | "srcDeviceId" | "dstDeviceId">>;

/** The text-valued labels, in the order of their cells. */
const TEXT_FIELDS = ["service", "hostname", "application", "category", "srcDeviceId", "dstDeviceId"] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
const CELL: Record<TextField, number> = { service: 0, hostname: 1, application: 2, category: 3, srcDeviceId: 4, dstDeviceId: 5 };
/** Cells per flow: the six text ids, how the service was found, one spare (32 bytes: one cache line holds two flows). */
const CELLS = 8;
const SERVICE_BY = 6;

export const BY_NONE = 0, BY_PAYLOAD = 1, BY_PORT = 2;
const BY_CODE = { payload: BY_PAYLOAD, port: BY_PORT } as const;
const BY_NAME = [null, "payload", "port"] as const;

export class FlowLabelColumns {
  /**
   * Per flow index, CELLS cells side by side: interned text id per field (0 = none), then the
   * serviceBy code. Side by side, clearing or copying a flow's labels reads one cache line, not seven.
   */
  private readonly cells: Int32Array;
  private readonly texts = new Interner();

  constructor(capacity: number) {
    this.cells = new Int32Array(capacity * CELLS);
  }

  /** Distinct texts held now. */
  get interned(): number {
    return this.texts.size;
  }

  text(id: number): string | null {
    return this.texts.text(id) ?? null;
  }

  /** The interned id of a flow's label (0 = none); `text(id)` is its text. */
  idOf(index: number, field: TextField): number {
    return this.cells[index * CELLS + CELL[field]];
  }

  /** A flow's label text, or null. */
  textOf(index: number, field: TextField): string | null {
    return this.texts.text(this.cells[index * CELLS + CELL[field]]) ?? null;
  }

  /** How the flow's service was found: BY_NONE, BY_PAYLOAD or BY_PORT. */
  serviceByOf(index: number): number {
    return this.cells[index * CELLS + SERVICE_BY];
  }

  /** Sets the fields present in `patch` (a null or undefined value clears one), as Object.assign would. */
  set(index: number, patch: FlowLabels): void {
    // Field by field by name, not a loop over names with `field in patch`: reads by a fixed name
    // the JIT caches per patch shape (a hook labels every flow, often with the same few shapes).
    const base = index * CELLS;
    if (patch.service !== undefined || "service" in patch) this.put(base, patch.service);
    if (patch.hostname !== undefined || "hostname" in patch) this.put(base + 1, patch.hostname);
    if (patch.application !== undefined || "application" in patch) this.put(base + 2, patch.application);
    if (patch.category !== undefined || "category" in patch) this.put(base + 3, patch.category);
    if (patch.srcDeviceId !== undefined || "srcDeviceId" in patch) this.put(base + 4, patch.srcDeviceId);
    if (patch.dstDeviceId !== undefined || "dstDeviceId" in patch) this.put(base + 5, patch.dstDeviceId);
    if (patch.serviceBy !== undefined || "serviceBy" in patch) this.cells[base + SERVICE_BY] = patch.serviceBy ? BY_CODE[patch.serviceBy] : BY_NONE;
  }

  /** Sets one cell to a text (null / undefined: none); the same text again costs no lookup. */
  private put(at: number, text: string | null | undefined): void {
    const cells = this.cells, old = cells[at];
    if (old !== 0 && this.texts.text(old) === text) return;
    const next = this.intern(text);
    this.release(old);
    cells[at] = next;
  }

  /**
   * A text's id held by a caller that labels many flows with it (one more user until `unhold`), so
   * `setId` labels a flow by number: no lookup by text per flow.
   */
  hold(text: string): number {
    return this.texts.intern(text);
  }

  unhold(id: number): void {
    this.release(id);
  }

  /** Sets one text field to an id the caller holds (0: none), as `set` would with its text. */
  setId(index: number, field: TextField, id: number): void {
    const cells = this.cells, at = index * CELLS + CELL[field], old = cells[at];
    if (old === id) return;
    if (id !== 0) this.texts.retain(id);
    this.release(old);
    cells[at] = id;
  }

  /** `setId` for the service with how it was found, as `set` would with `{ service, serviceBy }`. */
  setServiceId(index: number, id: number, by: "payload" | "port"): void {
    this.setId(index, "service", id);
    this.cells[index * CELLS + SERVICE_BY] = BY_CODE[by];
  }

  /** Sets the service a flow is identified as, and how. */
  setService(index: number, service: string, by: "payload" | "port"): void {
    const base = index * CELLS, cells = this.cells;
    const next = this.intern(service);
    this.release(cells[base]);
    cells[base] = next;
    cells[base + SERVICE_BY] = BY_CODE[by];
  }

  clear(index: number): void {
    const base = index * CELLS, cells = this.cells;
    for (let k = 0; k < TEXT_FIELDS.length; k++) {
      const id = cells[base + k];
      if (id !== 0) {
        this.release(id);
        cells[base + k] = 0;
      }
    }
    cells[base + SERVICE_BY] = BY_NONE;
  }

  /** Copies a flow's labels onto a record. */
  apply(index: number, r: FlowRecord): void {
    const c = this.cells, t = this.texts, base = index * CELLS;
    r.service = t.text(c[base]) ?? null;
    r.serviceBy = BY_NAME[c[base + SERVICE_BY]] ?? null;
    r.hostname = t.text(c[base + 1]) ?? null;
    r.application = t.text(c[base + 2]) ?? null;
    r.category = t.text(c[base + 3]) ?? null;
    r.srcDeviceId = t.text(c[base + 4]) ?? null;
    r.dstDeviceId = t.text(c[base + 5]) ?? null;
  }

  private intern(s: string | null | undefined): number {
    return s === null || s === undefined ? 0 : this.texts.intern(s);
  }

  private release(id: number): void {
    if (id !== 0) this.texts.release(id);
  }
}
