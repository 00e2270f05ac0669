/**
 * ThreatStore: the one list of threats. Repeats of the same activity (same type, source, target,
 * port) update one record instead of adding rows; users dismiss records and silence known-good sources.
 *
 * Dismissal policy: while the activity continues within `reopenAfterSeconds` of the dismissed
 * record's lastSeen, repeats update that dismissed record quietly (no event). Activity that comes
 * back after that quiet period opens a NEW record (new id, count 1), so the user sees it again and
 * the history of the dismissed one stays as it was.
 */
import type { Severity, Threat, ThreatType } from "./model.ts";
import { isLocalAddress } from "../util/locality.ts";

export type ThreatEvent = "new" | "updated" | "dismissed";
export type ThreatListener = (t: Threat, event: ThreatEvent) => void;

/** What a detector reports; the store fills id, count, firstSeen/lastSeen and status. */
export interface ThreatInput {
  type: ThreatType;
  severity: Severity;
  title: string;
  description: string;
  /** Capture time of the activity (epoch seconds). */
  ts: number;
  sourceIp?: string | null;
  sourceMac?: string | null;
  targetIp?: string | null;
  targetPort?: number | null;
  deviceId?: string | null;
  evidence: Threat["evidence"];
  /** Overrides the dedupe key built from type/source/target/port (e.g. a flood keyed by target only). */
  key?: string;
}

export interface SuppressionRule {
  type: ThreatType | "*"; // "*" silences every type
  deviceId?: string;
  sourceIp?: string;
}

export interface ThreatStoreOptions {
  /** First id to hand out (storage seeds it to continue after a restart). Default 1. */
  firstId?: number;
  /** Most records kept; dismissed, then oldest-lastSeen records are evicted first. Default 5000. */
  maxThreats?: number;
  /** See the module comment. Default 3600 s. */
  reopenAfterSeconds?: number;
  /** Maps a source to a device id (the device tracker); used when the detector did not know it. */
  resolveDevice?: (ip: string | null, mac: string | null) => string | null;
}

const DEFAULT_MAX_THREATS = 5000;
const DEFAULT_REOPEN_AFTER_SECONDS = 3600;
/** "updated" events for one threat are coalesced to at most one per this many seconds of capture time. */
const UPDATE_COALESCE_SECONDS = 1;
const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function threatKey(type: string, source: string | null | undefined, target: string | null | undefined,
  port?: number | null): string {
  return `${type}|${source ?? "*"}|${target ?? "*"}|${port ?? "*"}`;
}

function keyOf(t: Pick<Threat, "type" | "sourceIp" | "sourceMac" | "targetIp" | "targetPort">): string {
  return threatKey(t.type, t.sourceIp ?? t.sourceMac, t.targetIp, t.targetPort);
}

export class ThreatStore {
  #byId = new Map<string, Threat>();
  #byKey = new Map<string, Threat>();
  #keyOf = new Map<string, string>(); // id -> key
  #listeners = new Set<ThreatListener>();
  #lastUpdateEmit = new Map<string, number>(); // id -> capture ts of the last "updated" event
  #pending = new Set<string>(); // ids with a coalesced "updated" not yet emitted
  #rules: SuppressionRule[] = [];
  #nextId: number;
  readonly maxThreats: number;
  readonly reopenAfterSeconds: number;
  resolveDevice?: ThreatStoreOptions["resolveDevice"];

  constructor(opts: ThreatStoreOptions = {}) {
    this.#nextId = Math.max(1, Math.floor(opts.firstId ?? 1));
    this.maxThreats = opts.maxThreats ?? DEFAULT_MAX_THREATS;
    this.reopenAfterSeconds = opts.reopenAfterSeconds ?? DEFAULT_REOPEN_AFTER_SECONDS;
    this.resolveDevice = opts.resolveDevice;
  }

  get size(): number {
    return this.#byId.size;
  }
  /** The id the next new record will get. */
  get nextId(): number {
    return this.#nextId;
  }

  /** Records or updates a threat; returns the record, or undefined when a suppression rule matched. */
  raise(input: ThreatInput): Threat | undefined {
    // A source beyond the LAN reaches us through the router, so its MAC is the router's: never blame that device.
    const mac = input.sourceIp && !isLocalAddress(input.sourceIp) ? null : input.sourceMac ?? null;
    const deviceId = input.deviceId ?? this.resolveDevice?.(input.sourceIp ?? null, mac) ?? null;
    if (this.isSuppressed(input.type, deviceId, input.sourceIp ?? null)) return undefined;
    const key = input.key ?? threatKey(input.type, input.sourceIp ?? input.sourceMac, input.targetIp, input.targetPort);
    const existing = this.#byKey.get(key);
    if (existing && (existing.status === "active" || input.ts - existing.lastSeen < this.reopenAfterSeconds)) {
      existing.count++;
      existing.lastSeen = Math.max(existing.lastSeen, input.ts);
      existing.evidence = { ...existing.evidence, ...input.evidence };
      if (SEVERITY_RANK[input.severity] > SEVERITY_RANK[existing.severity]) {
        existing.severity = input.severity;
        existing.title = input.title;
      }
      existing.description = input.description;
      if (!existing.deviceId && deviceId) existing.deviceId = deviceId;
      if (!existing.sourceMac && input.sourceMac) existing.sourceMac = input.sourceMac;
      if (existing.status === "active") this.#updated(existing);
      return existing;
    }
    const t: Threat = {
      id: String(this.#nextId++),
      type: input.type,
      severity: input.severity,
      title: input.title,
      description: input.description,
      sourceIp: input.sourceIp ?? null,
      sourceMac: input.sourceMac ?? null,
      targetIp: input.targetIp ?? null,
      targetPort: input.targetPort ?? null,
      deviceId,
      firstSeen: input.ts,
      lastSeen: input.ts,
      count: 1,
      evidence: { ...input.evidence },
      status: "active",
    };
    this.#insert(t, key);
    this.#lastUpdateEmit.set(t.id, t.lastSeen);
    this.#emit(t, "new");
    this.#evict();
    return t;
  }

  get(id: string): Threat | undefined {
    return this.#byId.get(id);
  }

  /** Newest activity first. */
  list(opts: { activeOnly?: boolean; severity?: Severity; type?: ThreatType; limit?: number } = {}): Threat[] {
    let out = [...this.#byId.values()];
    if (opts.activeOnly) out = out.filter((t) => t.status === "active");
    if (opts.severity) out = out.filter((t) => t.severity === opts.severity);
    if (opts.type) out = out.filter((t) => t.type === opts.type);
    out.sort((a, b) => b.lastSeen - a.lastSeen || Number(b.id) - Number(a.id));
    return opts.limit !== undefined ? out.slice(0, Math.max(0, opts.limit)) : out;
  }

  dismiss(id: string): Threat | undefined {
    const t = this.#byId.get(id);
    if (!t) return undefined;
    if (t.status !== "dismissed") {
      t.status = "dismissed";
      this.#pending.delete(id);
      this.#emit(t, "dismissed");
    }
    return t;
  }

  suppress(rule: SuppressionRule): void {
    if (!this.#rules.some((r) => r.type === rule.type && r.deviceId === rule.deviceId && r.sourceIp === rule.sourceIp)) {
      this.#rules.push({ ...rule });
    }
  }
  unsuppress(rule: SuppressionRule): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((r) => !(r.type === rule.type && r.deviceId === rule.deviceId && r.sourceIp === rule.sourceIp));
    return this.#rules.length !== before;
  }
  suppressions(): SuppressionRule[] {
    return this.#rules.map((r) => ({ ...r }));
  }
  isSuppressed(type: string, deviceId: string | null, sourceIp: string | null): boolean {
    return this.#rules.some((r) => (r.type === type || r.type === "*") &&
      (r.deviceId === undefined || r.deviceId === deviceId) &&
      (r.sourceIp === undefined || r.sourceIp === sourceIp) &&
      (r.deviceId !== undefined || r.sourceIp !== undefined));
  }

  /** Listener for new / updated (coalesced) / dismissed records; returns an unsubscribe function. */
  onChange(fn: ThreatListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Emits the coalesced "updated" events still pending (the detectors' tick calls it). */
  flush(): void {
    for (const id of this.#pending) {
      const t = this.#byId.get(id);
      if (t && t.status === "active") {
        this.#lastUpdateEmit.set(id, t.lastSeen);
        this.#emit(t, "updated");
      }
    }
    this.#pending.clear();
  }

  /** Loads records from storage without events; the id counter continues after the highest id. */
  restore(threats: Threat[]): void {
    for (const t of threats) {
      const copy: Threat = { ...t, evidence: { ...t.evidence } };
      const old = this.#byId.get(copy.id);
      if (old) this.#remove(old);
      const key = keyOf(copy);
      const holder = this.#byKey.get(key);
      this.#insert(copy, key);
      // Two restored records may share a key (a dismissed one and its re-opened successor): keep the newest.
      if (holder && holder !== copy && holder.lastSeen > copy.lastSeen) this.#byKey.set(key, holder);
      const n = Number(copy.id);
      if (Number.isFinite(n) && n >= this.#nextId) this.#nextId = Math.floor(n) + 1;
    }
    this.#evict();
  }

  #insert(t: Threat, key: string): void {
    this.#byId.set(t.id, t);
    this.#byKey.set(key, t);
    this.#keyOf.set(t.id, key);
  }

  #remove(t: Threat): void {
    this.#byId.delete(t.id);
    const key = this.#keyOf.get(t.id);
    if (key !== undefined && this.#byKey.get(key) === t) this.#byKey.delete(key);
    this.#keyOf.delete(t.id);
    this.#lastUpdateEmit.delete(t.id);
    this.#pending.delete(t.id);
  }

  #updated(t: Threat): void {
    const last = this.#lastUpdateEmit.get(t.id) ?? -Infinity;
    if (t.lastSeen - last >= UPDATE_COALESCE_SECONDS) {
      this.#lastUpdateEmit.set(t.id, t.lastSeen);
      this.#pending.delete(t.id);
      this.#emit(t, "updated");
    } else {
      this.#pending.add(t.id);
    }
  }

  #evict(): void {
    if (this.#byId.size <= this.maxThreats) return;
    const victims = [...this.#byId.values()].sort((a, b) =>
      (a.status === "dismissed" ? 0 : 1) - (b.status === "dismissed" ? 0 : 1) || a.lastSeen - b.lastSeen);
    for (const t of victims.slice(0, this.#byId.size - this.maxThreats)) this.#remove(t);
  }

  #emit(t: Threat, event: ThreatEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(t, event);
      } catch (err) {
        console.error(`threat listener failed: ${(err as Error).message}`);
      }
    }
  }
}
