/**
 * What the API reads from the running service. The service (src/service/service.ts) implements it
 * over the engine, the trackers and storage; route tests build the same thing over an in-memory db.
 */
import type { Analytics, Protocols } from "../api/schemas.ts";
import type { Device } from "../devices/model.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { FlowQuery } from "../storage/flows.ts";
import type { ThreatQuery } from "../storage/threats.ts";
import type { Threat } from "../threats/model.ts";

export interface CaptureState {
  running: boolean;
  mode: "live" | "file" | null;
  interface: string | null;
  file: string | null;
  filter: string | null;
  /** Epoch seconds the current (or last) capture started. */
  since: number | null;
  packets: number;
  bytes: number;
  drops: number;
  packetsPerSecond: number;
  bytesPerSecond: number;
  error: string | null;
  /** Times live capture reopened its interface by itself after losing it. */
  restarts: number;
  /** The latest gaps in live capture (oldest first); `to` is null while capture is still waiting. */
  interruptions: CaptureInterruption[];
}

export interface CaptureInterruption {
  /** Epoch seconds. */
  from: number;
  to: number | null;
  reason: string;
}

export interface CaptureStartOptions {
  interface?: string;
  filter?: string;
}

/** Start when running / stop when stopped. */
export class CaptureConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaptureConflictError";
  }
}

/** A start that failed for a reason the user can act on (permission, unknown interface, bad filter). */
export class CaptureStartError extends Error {
  constructor(message: string, readonly status: 400 | 503, readonly code: string) {
    super(message);
    this.name = "CaptureStartError";
  }
}

export interface HealthState {
  version: string;
  uptimeSeconds: number;
  captureRunning: boolean;
  dbOk: boolean;
  dbSizeBytes: number;
  pendingRows: number;
  /** Epoch ms of the last flush. */
  lastFlushAt: number | null;
  lastFlushError: string | null;
  problems: string[];
}

/** A value now (the service in this thread) or later (the service in its worker). */
export type Maybe<T> = T | Promise<T>;

export interface ServiceContext {
  readonly version: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Always answered from this thread: monitors poll it hard. */
  health(): HealthState;
  flows: {
    list(q: FlowQuery): Maybe<FlowRecord[]>;
    get(id: string): Maybe<FlowRecord | undefined>;
  };
  devices: {
    list(): Maybe<Device[]>;
    get(id: string): Maybe<Device | undefined>;
  };
  threats: {
    list(q: ThreatQuery): Maybe<Threat[]>;
    get(id: string): Maybe<Threat | undefined>;
    /** The dismissed threat, or undefined when the id is unknown. */
    dismiss(id: string): Maybe<Threat | undefined>;
  };
  capture: {
    status(): Maybe<CaptureState>;
    start(opts: CaptureStartOptions): Promise<CaptureState>;
    stop(): Promise<CaptureState>;
  };
  analytics(q: { hours: number; now: number }): Maybe<Analytics>;
  protocols(q: { hours?: number; now: number }): Maybe<Protocols>;
}
