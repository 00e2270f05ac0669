/**
 * What the edges (api/, ws/) read from the running service: domain records only, no wire shapes.
 * The service (service.ts) implements it in its thread, the worker proxy (remote.ts) across threads;
 * route tests build the same thing over an in-memory db. This file imports only the core.
 */
import type { AnalyticsAnswer, ProtocolsAnswer } from "../analytics/model.ts";
import type { DeviceEditPatch, EditedDevice } from "../devices/edit.ts";
import type { DeviceApplication, DeviceDestination, DeviceTimeline } from "../storage/device-traffic.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { FlowQuery } from "../storage/flows.ts";
import type { ThreatQuery } from "../storage/threats.ts";
import type { ThreatWithDismissal } from "../threats/dismissal.ts";

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

/** The service cannot answer right now (its pipeline worker is restarting): the API says 503. */
export class ServiceUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServiceUnavailableError";
  }
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
  /** Rows dropped since start because the write queue was full. */
  droppedRows: number;
  /** Epoch ms of the last flush. */
  lastFlushAt: number | null;
  lastFlushError: string | null;
  problems: string[];
  /** Delivery status per notification channel (added in the API's thread, where notifications run). */
  notifications?: ChannelStatus[];
}

/** A window of one device's history: the last `hours` before `now` (epoch seconds, wall clock). */
export interface DeviceWindowQuery {
  hours: number;
  now: number;
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
    list(): Maybe<EditedDevice[]>;
    get(id: string): Maybe<EditedDevice | undefined>;
    /** Saves a user's edit; undefined when the device is unknown. */
    update(id: string, patch: DeviceEditPatch): Maybe<EditedDevice | undefined>;
    /** One device's traffic over the last `hours` (of the service clock). */
    applications(id: string, q: DeviceWindowQuery): Maybe<DeviceApplication[]>;
    destinations(id: string, q: DeviceWindowQuery): Maybe<DeviceDestination[]>;
    timeline(id: string, q: DeviceWindowQuery): Maybe<DeviceTimeline>;
  };
  threats: {
    list(q: ThreatQuery): Maybe<ThreatWithDismissal[]>;
    get(id: string): Maybe<ThreatWithDismissal | undefined>;
    /** The dismissed threat, or undefined when the id is unknown; `by` is recorded with the time. */
    dismiss(id: string, by?: string): Maybe<ThreatWithDismissal | undefined>;
  };
  capture: {
    status(): Maybe<CaptureState>;
    start(opts: CaptureStartOptions): Promise<CaptureState>;
    stop(): Promise<CaptureState>;
  };
  analytics(q: { hours: number; now: number }): Maybe<AnalyticsAnswer>;
  protocols(q: { hours?: number; now: number }): Maybe<ProtocolsAnswer>;
  /** The packets behind threats, flows and devices (src/pcap-ring/); absent when the ring is off. */
  packets?: {
    download(q: PcapQuery): Maybe<PcapDownload>;
  };
}

/** A pcap download: what it is about (a threat, a flow, a device's last minutes). */
export type PcapQuery =
  | { kind: "threat"; id: string }
  | { kind: "flow"; id: string }
  | { kind: "device"; id: string; minutes: number };

/** The file (pcapng), or why there is none: no such threat/flow/device, or none of its packets kept. */
export type PcapDownload =
  | { status: "ok"; bytes: Uint8Array; filename: string }
  | { status: "unknown" }
  | { status: "empty" };

/** What each notification channel reports to /api/health and /metrics (the notifier fills it in). */
export interface ChannelStatus {
  /** "webhook:ntfy.sh", "mqtt", "syslog", "file". */
  name: string;
  /** Notifications waiting in the outbox (new, or being retried). */
  pending: number;
  delivered: number;
  /** Delivery attempts that failed (each is retried with backoff). */
  failedAttempts: number;
  /** Notifications given up on after DELIVERY_MAX_AGE of failures. */
  abandoned: number;
  /** Epoch ms of the last delivery. */
  lastDeliveredAt: number | null;
  lastError: string | null;
  /** Epoch ms since when every attempt failed (null: the last attempt worked). */
  failingSince: number | null;
}
