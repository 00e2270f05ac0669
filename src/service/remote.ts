/**
 * The service thread's side of the pipeline worker: a ServiceContext whose answers come from the
 * worker through a typed proxy of its operations (rpc.ts; health from its latest report, so
 * monitors never wait), and its live events on a LiveBus.
 */
import type { FlowRecord } from "../flows/record.ts";
import type { FlowQuery } from "../storage/flows.ts";
import { openReader, type StorageReader } from "../storage/index.ts";
import type { LiveBus } from "./bus.ts";
import type { CaptureStartOptions, CaptureState, HealthState, ServiceContext } from "./context.ts";
import { matches, mergePage } from "./flow-view.ts";
import { wrap, type Remote } from "./rpc.ts";
import {
  fromWire, type LiveSnapshot, type WorkerInit, type WorkerMessage, type WorkerOp, type WorkerOperations,
} from "./worker-protocol.ts";

/** The worker itself could not run (its module is missing from a build, or it crashed). */
export class WorkerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerUnavailableError";
  }
}

/** After these, flows must be read as of the answer, not from an older snapshot. */
const CAPTURE_OPS: ReadonlySet<WorkerOp> = new Set<WorkerOp>(["feedFile", "capture.start", "capture.stop", "capture.status"]);

/** A worker that has not reported for this long is reported as a problem by /api/health. */
export const STALE_HEALTH_MS = 5000;

export class PipelineWorker {
  readonly #worker: Worker;
  readonly #bus: LiveBus;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; capture: boolean }>();
  #nextId = 1;
  #health: HealthState | null = null;
  #healthAt = 0;
  #capture: CaptureState | null = null;
  #startedAt = Date.now();
  #exited = false;
  /** The packet ring is on (its downloads are answered by the worker). */
  #ring = false;
  #snapshot: LiveSnapshot | null = null;
  /** This thread's own read-only connection: stored flows are read here, never waiting for the worker. */
  #reader: StorageReader | null = null;
  /** The worker's operations, called as if they were here. */
  readonly ops: Remote<WorkerOperations> = wrap<WorkerOperations>((op, args) => this.call(op, args));

  private constructor(worker: Worker, bus: LiveBus) {
    this.#worker = worker;
    this.#bus = bus;
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => this.#receive(e.data);
    worker.addEventListener("close", () => this.#failAll("the pipeline worker exited"));
    worker.onerror = (e) => this.#failAll(`the pipeline worker failed: ${(e as ErrorEvent).message}`);
  }

  static async start(init: WorkerInit, bus: LiveBus): Promise<PipelineWorker> {
    let worker: Worker;
    try {
      worker = new Worker(new URL("./worker.ts", import.meta.url).href);
    } catch (err) {
      throw new WorkerUnavailableError((err as Error).message);
    }
    const pw = new PipelineWorker(worker, bus);
    try {
      pw.#startedAt = await pw.ops.init(init);
      pw.#ring = init.ring !== undefined;
      // The worker has created and migrated the database; WAL lets this connection read alongside it.
      pw.#reader = openReader(init.databasePath);
    } catch (err) {
      worker.terminate();
      throw err;
    }
    return pw;
  }

  call(op: WorkerOp, args: unknown[]): Promise<unknown> {
    if (this.#exited) return Promise.reject(new Error("the pipeline worker is not running"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, capture: CAPTURE_OPS.has(op) });
      this.#worker.postMessage({ id, op, args });
    });
  }

  #receive(m: WorkerMessage): void {
    switch (m.type) {
      case "events":
        for (const e of m.events) {
          // Capture started or stopped: the flows changed state; wait for a snapshot taken after it.
          if (e.type === "capture") this.#snapshot = null;
          this.#bus.publish(e);
        }
        return;
      case "live":
        this.#snapshot = m.snapshot;
        return;
      case "health":
        this.#health = m.health;
        this.#capture = m.capture;
        this.#healthAt = Date.now();
        return;
      case "reply": {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        // Whoever just asked about capture must then see flows as of that answer, not an older snapshot.
        if (p.capture) this.#snapshot = null;
        if (m.ok) p.resolve(m.result);
        else p.reject(fromWire(m.error));
        return;
      }
      default: {
        const unknown: never = m;
        throw new Error(`pipeline worker: unknown message ${JSON.stringify(unknown)}`);
      }
    }
  }

  #failAll(message: string): void {
    this.#exited = true;
    for (const p of this.#pending.values()) p.reject(new WorkerUnavailableError(message));
    this.#pending.clear();
  }

  feedFile(path: string, speed: number, filter?: string, loop = false): Promise<CaptureState> {
    return this.ops.feedFile(path, speed, filter, loop);
  }

  startLive(opts: CaptureStartOptions = {}): Promise<CaptureState> {
    return this.ops.capture.start(opts);
  }

  /** Stops capture, writes everything and closes the database in the worker, then ends it. */
  async shutdown(): Promise<void> {
    if (this.#exited) return;
    // Closed first, so the worker's connection is the last one and can checkpoint and remove the WAL.
    this.#reader?.close();
    this.#reader = null;
    try {
      await this.ops.shutdown();
    } finally {
      this.#exited = true;
      this.#worker.terminate();
    }
  }

  /**
   * Unfiltered pages come from the latest live snapshot and this thread's connection; filtered ones
   * need every live flow, so the worker answers them.
   */
  #listFlows(q: FlowQuery): FlowRecord[] | Promise<FlowRecord[]> {
    const snap = this.#snapshot;
    const want = (q.offset ?? 0) + q.limit;
    const simple = q.protocol === undefined && q.ip === undefined && q.deviceId === undefined && q.since === undefined &&
      q.q === undefined && (q.sort ?? "last_seen") === "last_seen";
    if (!snap || !this.#reader || !simple || (!snap.complete && want > snap.active.length)) {
      return this.ops.flows.list(q);
    }
    const live = q.status === "closed" ? [] : snap.active.filter((f) => matches(f, q)).slice(0, want);
    return mergePage(q, live, snap.queued, this.#reader.flows);
  }

  #getFlow(id: string): FlowRecord | undefined | Promise<FlowRecord | undefined> {
    const snap = this.#snapshot;
    const hit = snap?.active.find((f) => f.id === id) ?? snap?.queued.find((f) => f.id === id);
    if (hit) return hit;
    return this.ops.flows.get(id);
  }

  context(version: string): ServiceContext {
    const ops = this.ops;
    return {
      version,
      startedAt: this.#startedAt,
      health: () => this.#healthNow(version),
      // Flows are answered here when they can be (the live snapshot and this thread's connection).
      flows: { list: (q) => this.#listFlows(q), get: (id) => this.#getFlow(id) },
      devices: ops.devices,
      threats: ops.threats,
      capture: ops.capture,
      analytics: ops.analytics,
      protocols: ops.protocols,
      packets: this.#ring ? ops.packets : undefined,
    };
  }

  #healthNow(version: string): HealthState {
    const uptimeSeconds = Math.round((Date.now() - this.#startedAt) / 1000);
    const h = this.#health;
    if (!h || this.#exited) {
      return {
        version, uptimeSeconds, captureRunning: false, dbOk: false, dbSizeBytes: 0, pendingRows: 0, droppedRows: 0, lastFlushAt: null,
        lastFlushError: null, problems: [this.#exited ? "pipeline: the worker has stopped" : "pipeline: starting"],
      };
    }
    const problems = [...h.problems];
    const age = Date.now() - this.#healthAt;
    if (age > STALE_HEALTH_MS) problems.push(`pipeline: no report for ${Math.round(age / 1000)} s (overloaded?)`);
    return { ...h, uptimeSeconds, captureRunning: this.#capture?.running ?? h.captureRunning, problems };
  }
}
