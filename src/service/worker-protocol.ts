/**
 * Messages between the service thread (HTTP, WebSocket) and the pipeline worker (capture, engine,
 * analyzers, storage writes). Requests name an operation of WorkerOperations (the service's
 * operations, service.ts, plus starting and stopping the worker); errors cross as plain objects
 * and are rebuilt on the other side.
 */
import type { FlowRecord } from "../flows/record.ts";
import type { LiveEvent } from "./bus.ts";
import type { ExportSettings } from "../export/exporter.ts";
import { CaptureConflictError, CaptureStartError, type CaptureState, type HealthState } from "./context.ts";
import type { OpPath } from "./rpc.ts";
import type { ServiceOperations } from "./service.ts";

export interface WorkerInit {
  databasePath: string;
  version: string;
  flushSeconds: number;
  maxFlows: number;
  /** MAX_MEMORY_MB: the memory guard's cap (src/util/memory.ts). */
  maxMemoryMb?: number;
  retention: { retentionDays: number; maxDbBytes: number };
  interface?: string;
  filter?: string;
  /** CAPTURE_BUFFER_MB: live capture's kernel ring. */
  captureBufferMb?: number;
  blocklists?: string[];
  /** Threat-intel feed cache (beside the database). */
  feedDir?: string;
  logLevel: "debug" | "info" | "warn" | "error";
  export?: ExportSettings;
  ring?: { dir: string; capMb: number };
}

/** Starting and stopping the pipeline in the worker. */
export interface WorkerControl {
  /** Opens storage and starts the service; answers its start time (epoch ms). */
  init(init: WorkerInit): Promise<number>;
  /** Stops capture, writes everything, closes the database. */
  shutdown(): Promise<null>;
  /** Whether flow events (one per flow start, update, end) are sent: only while a /ws client takes them. */
  flowEvents(on: boolean): Promise<null>;
  /**
   * Whether live snapshots are sent (every LIVE_SNAPSHOT_MS): only while the HTTP thread reads flows;
   * `size`: the flows of each of its lists (one of LIVE_SNAPSHOT_SIZES, default the smallest).
   */
  liveSnapshots(on: boolean, size?: number): Promise<null>;
}

/** Flows started and ended since the worker started (sent with health: metrics count them). */
export interface FlowCounts {
  started: number;
  ended: number;
}

export type WorkerOperations = WorkerControl & ServiceOperations;
export type WorkerOp = OpPath<WorkerOperations>;

export interface WorkerRequest {
  id: number;
  op: WorkerOp;
  args: unknown[];
}

export interface WireError {
  name: string;
  message: string;
  status?: 400 | 503;
  code?: string;
}

export type WorkerMessage =
  | { type: "reply"; id: number; ok: true; result: unknown }
  | { type: "reply"; id: number; ok: false; error: WireError }
  | { type: "events"; events: LiveEvent[] }
  | { type: "health"; health: HealthState; capture: CaptureState; flowCounts: FlowCounts }
  | { type: "live"; snapshot: LiveSnapshot };

/** The newest live flows and the ended flows not yet written, so the HTTP thread can page flows alone. */
export interface LiveSnapshot {
  /** How many flows each list was taken with: enough for an unfiltered page up to this offset + limit. */
  size: number;
  /** Newest first, at most `size`. */
  active: FlowRecord[];
  /** Ended flows waiting for the next write, newest first. */
  queued: FlowRecord[];
}

/** Flows in a live snapshot at most: enough for any unfiltered page (limit <= 1000). */
export const LIVE_SNAPSHOT_SIZE = 1000;
/**
 * The sizes a snapshot is taken in: the smallest that holds the pages read lately (offset + limit).
 * Monitors and bench/soak.ts poll 100 flows, the live view reads 500 once: a snapshot of 1000 + 1000
 * records twice a second was built, copied and dropped by both threads for pages of 100.
 */
export const LIVE_SNAPSHOT_SIZES = [100, 250, 500, LIVE_SNAPSHOT_SIZE] as const;

/** The snapshot size for a page of `want` flows (offset + limit); null when even the largest is too small. */
export function snapshotSizeFor(want: number): number | null {
  return LIVE_SNAPSHOT_SIZES.find((n) => n >= want) ?? null;
}
/** How often the snapshot is refreshed: the flows list may lag the live table by this much. */
export const LIVE_SNAPSHOT_MS = 500;
/**
 * Snapshots stop this long after the HTTP thread last read flows from one: building and copying
 * 2000 records twice a second cost the capture ~10 % of a full-speed feed while nobody looked.
 */
export const LIVE_SNAPSHOT_IDLE_MS = 10_000;

export function toWire(err: unknown): WireError {
  const e = err as Error & { status?: 400 | 503; code?: string };
  return { name: e?.name ?? "Error", message: e?.message ?? String(err), status: e?.status, code: e?.code };
}

export function fromWire(w: WireError): Error {
  if (w.name === "CaptureConflictError") return new CaptureConflictError(w.message);
  if (w.name === "CaptureStartError") return new CaptureStartError(w.message, w.status ?? 503, w.code ?? "capture_failed");
  const err = new Error(w.message);
  err.name = w.name;
  return err;
}
