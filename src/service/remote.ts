/**
 * The service thread's side of the pipeline worker: a ServiceContext whose answers come from the
 * worker through a typed proxy of its operations (rpc.ts; health from its latest report, so
 * monitors never wait), and its live events on a LiveBus.
 */
import type { FlowRecord } from "../flows/record.ts";
import type { FlowQuery } from "../storage/flows.ts";
import { openReader, type StorageReader } from "../storage/index.ts";
import type { LiveBus } from "./bus.ts";
import { ServiceUnavailableError, type CaptureStartOptions, type CaptureState, type HealthState, type ServiceContext } from "./context.ts";
import { matches, mergePage } from "./flow-view.ts";
import { wrap, type Remote } from "./rpc.ts";
import {
  fromWire, LIVE_SNAPSHOT_IDLE_MS, snapshotSizeFor, type FlowCounts, type LiveSnapshot, type WorkerInit, type WorkerMessage, type WorkerOp, type WorkerOperations,
} from "./worker-protocol.ts";

/** The worker itself could not run (its module is missing from a build, or it crashed). */
export class WorkerUnavailableError extends ServiceUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = "WorkerUnavailableError";
  }
}

/** A worker that died is started again after this long, then twice as long each time, up to RESTART_MAX_MS. */
export const RESTART_FIRST_MS = 1000;
export const RESTART_MAX_MS = 60_000;
/** A restarted worker that has run this long starts the backoff from RESTART_FIRST_MS again. */
export const RESTART_STABLE_MS = 60_000;
/** How long /api/health mentions the latest restart after it succeeded. */
export const RESTART_REPORTED_MS = 5 * 60_000;

/** After these, flows must be read as of the answer, not from an older snapshot. */
const CAPTURE_OPS: ReadonlySet<WorkerOp> = new Set<WorkerOp>(["feedFile", "capture.start", "capture.stop", "capture.status"]);

/** A worker that has not reported for this long is reported as a problem by /api/health. */
export const STALE_HEALTH_MS = 5000;

export class PipelineWorker {
  #worker: Worker;
  readonly #bus: LiveBus;
  readonly #init: WorkerInit;
  /** Shutting down: the worker ending is expected, not a crash. */
  #stopping = false;
  /** Set while the worker is dead and a restart is due. */
  #down: { reason: string; since: number; retryAt: number } | null = null;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #backoffMs = RESTART_FIRST_MS;
  #restarts = 0;
  #lastRestart: { at: number; reason: string } | null = null;
  #stableAt = 0;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; capture: boolean; op: WorkerOp }>();
  #nextId = 1;
  #health: HealthState | null = null;
  #healthAt = 0;
  #capture: CaptureState | null = null;
  #startedAt = Date.now();
  #exited = false;
  /** The packet ring is on (its downloads are answered by the worker). */
  #ring = false;
  #snapshot: LiveSnapshot | null = null;
  /** The last unfiltered page answered here, and what it was made from (shared by its callers: read it, never change it). */
  #lastPage: { snap: LiveSnapshot; version: string | null; key: string; flows: FlowRecord[] } | null = null;
  /** Live snapshots wanted (flows were read lately), and when flows were last read (epoch ms). */
  #snapshots = false;
  #flowsReadAt = 0;
  /**
   * The snapshot size the worker was asked for, when a read last needed that much (epoch ms), and the
   * largest size a read needed since then.
   */
  #snapshotSize = 0;
  #sizeNeededAt = 0;
  #smallerNeeded = 0;
  #snapshotTimer: ReturnType<typeof setInterval> | undefined;
  /** Live snapshots that arrived from the worker (tests: they stop when nobody reads flows). */
  #snapshotsReceived = 0;
  /** The clock the idle time of snapshots is measured with (epoch ms; tests move it). */
  readonly #now: () => number;
  /** Flow events wanted (a /ws client takes flows): told to every worker, the restarted ones too. */
  #flowEvents = false;
  /** Flows counted by workers that died, and by the current one (metrics: counters never go back). */
  #flowCountsBefore: FlowCounts = { started: 0, ended: 0 };
  #flowCountsNow: FlowCounts = { started: 0, ended: 0 };
  /** This thread's own read-only connection: stored flows are read here, never waiting for the worker. */
  #reader: StorageReader | null = null;
  /** The worker's operations, called as if they were here. */
  readonly ops: Remote<WorkerOperations> = wrap<WorkerOperations>((op, args) => this.call(op, args));

  private constructor(worker: Worker, bus: LiveBus, init: WorkerInit, now: () => number) {
    this.#worker = worker;
    this.#now = now;
    this.#bus = bus;
    this.#init = init;
    this.#attach(worker);
  }

  static #spawn(): Worker {
    try {
      return new Worker(new URL("./worker.ts", import.meta.url).href);
    } catch (err) {
      throw new WorkerUnavailableError((err as Error).message);
    }
  }

  #attach(worker: Worker): void {
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      if (worker === this.#worker) this.#receive(e.data);
    };
    worker.addEventListener("close", () => this.#died(worker, "it exited"));
    worker.onerror = (e) => this.#died(worker, (e as ErrorEvent).message || "it failed");
  }

  /** `now`: the clock for LIVE_SNAPSHOT_IDLE_MS (default Date.now). */
  static async start(init: WorkerInit, bus: LiveBus, opts: { now?: () => number } = {}): Promise<PipelineWorker> {
    const worker = PipelineWorker.#spawn();
    const pw = new PipelineWorker(worker, bus, init, opts.now ?? Date.now);
    try {
      pw.#startedAt = await pw.ops.init(init);
      pw.#ring = init.ring !== undefined;
      // The worker has created and migrated the database; WAL lets this connection read alongside it.
      pw.#reader = openReader(init.databasePath);
    } catch (err) {
      pw.#stopping = true;
      worker.terminate();
      throw err;
    }
    return pw;
  }

  /**
   * The worker died (an uncaught error, a crash in native code it survived, or kill()): answer what
   * waits with 503s, say so on the bus and in health, and start a new one with backoff. It continues
   * from the database (what the dead one had not written yet is lost) and resumes live capture.
   */
  #died(worker: Worker, reason: string): void {
    if (worker !== this.#worker || this.#down) return;
    if (this.#stopping || this.#exited) {
      this.#failAll("the pipeline worker exited");
      return;
    }
    this.#failAll(`the pipeline worker stopped (${reason}); it is being restarted`, false);
    this.#snapshot = null;
    const now = Date.now();
    if (this.#stableAt && now - this.#stableAt >= RESTART_STABLE_MS) this.#backoffMs = RESTART_FIRST_MS;
    const wait = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, RESTART_MAX_MS);
    this.#down = { reason, since: now, retryAt: now + wait };
    const last = this.#capture;
    this.#bus.publish({
      type: "capture", event: "error",
      data: {
        ...(last ?? emptyCapture()), running: false, packetsPerSecond: 0, bytesPerSecond: 0,
        error: `the pipeline worker stopped (${reason}); restarting it in ${Math.round(wait / 1000)} s`,
      },
    });
    const resume = last?.running && last.mode === "live" ? { interface: last.interface ?? undefined, filter: last.filter ?? undefined } : null;
    this.#restartTimer = setTimeout(() => void this.#restart(resume), wait);
  }

  async #restart(resume: CaptureStartOptions | null): Promise<void> {
    this.#restartTimer = undefined;
    if (this.#stopping || !this.#down) return;
    const reason = this.#down.reason;
    let worker: Worker;
    try {
      worker = PipelineWorker.#spawn();
    } catch (err) {
      return this.#retryLater(reason, (err as Error).message);
    }
    this.#worker = worker;
    this.#down = null;
    this.#attach(worker);
    try {
      await this.ops.init(this.#init);
    } catch (err) {
      if (this.#worker !== worker) return; // it died during init: #died took over
      this.#down = { reason, since: Date.now(), retryAt: 0 };
      worker.terminate();
      return this.#retryLater(reason, (err as Error).message);
    }
    this.#flowCountsBefore = this.flowCounts();
    this.#flowCountsNow = { started: 0, ended: 0 };
    if (this.#flowEvents) await this.ops.flowEvents(true).catch(() => undefined);
    if (this.#snapshots) await this.ops.liveSnapshots(true, this.#snapshotSize).catch(() => undefined);
    this.#stableAt = Date.now();
    let status: CaptureState | null = null;
    try {
      status = resume ? await this.ops.capture.start(resume) : await this.ops.capture.status();
    } catch (err) {
      status = await this.ops.capture.status().catch(() => null);
    }
    // Counted when the bus says so: whoever sees the new count also finds the "restarted" event.
    this.#restarts++;
    this.#lastRestart = { at: Date.now(), reason };
    this.#bus.publish({ type: "capture", event: "restarted", data: status ?? emptyCapture() });
  }

  #retryLater(reason: string, why: string): void {
    const wait = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, RESTART_MAX_MS);
    this.#down = { reason: `${reason}; restarting failed: ${why}`, since: this.#down?.since ?? Date.now(), retryAt: Date.now() + wait };
    this.#restartTimer = setTimeout(() => void this.#restart(null), wait);
  }

  /** Tells the worker whether to send flow events (they cost a record and a copy per flow). */
  setFlowEvents(on: boolean): void {
    if (on === this.#flowEvents) return;
    this.#flowEvents = on;
    if (!this.#down && !this.#exited) void this.ops.flowEvents(on).catch(() => undefined);
  }

  /**
   * Flows are read (`want`: offset + limit): snapshots are wanted from now until nobody read flows for
   * LIVE_SNAPSHOT_IDLE_MS, large enough for this page. Until one arrives that is, the worker answers
   * (as for a filtered page).
   */
  #flowsRead(want: number): void {
    const now = this.#now();
    this.#flowsReadAt = now;
    const size = snapshotSizeFor(want) ?? 0;
    if (this.#snapshots && size < this.#snapshotSize) {
      this.#smallerNeeded = Math.max(this.#smallerNeeded, size);
      return;
    }
    this.#sizeNeededAt = now;
    this.#smallerNeeded = 0;
    if (this.#snapshots && size === this.#snapshotSize) return;
    this.#snapshots = true;
    this.#askSnapshots(Math.max(size, this.#snapshotSize));
    this.#snapshotTimer ??= setInterval(() => this.#snapshotsIdle(), 1000);
    (this.#snapshotTimer as { unref?: () => void }).unref?.();
  }

  #askSnapshots(size: number): void {
    this.#snapshotSize = snapshotSizeFor(size) ?? snapshotSizeFor(0)!;
    if (!this.#down && !this.#exited) void this.ops.liveSnapshots(true, this.#snapshotSize).catch(() => undefined);
  }

  #snapshotsIdle(): void {
    const now = this.#now();
    if (now - this.#flowsReadAt < LIVE_SNAPSHOT_IDLE_MS) {
      // Still read: as small as the pages read since, once none needed this size for LIVE_SNAPSHOT_IDLE_MS.
      if (now - this.#sizeNeededAt < LIVE_SNAPSHOT_IDLE_MS || this.#smallerNeeded >= this.#snapshotSize) return;
      this.#askSnapshots(this.#smallerNeeded);
      this.#sizeNeededAt = now;
      this.#smallerNeeded = 0;
      return;
    }
    clearInterval(this.#snapshotTimer);
    this.#snapshotTimer = undefined;
    this.#snapshots = false;
    this.#snapshotSize = 0;
    this.#snapshot = null;
    if (!this.#down && !this.#exited) void this.ops.liveSnapshots(false).catch(() => undefined);
  }

  /** Flows started and ended since start, across worker restarts. */
  flowCounts(): FlowCounts {
    const b = this.#flowCountsBefore, n = this.#flowCountsNow;
    return { started: b.started + n.started, ended: b.ended + n.ended };
  }

  /** Ends the worker thread abruptly, as a crash would: it is restarted like after one (tests, an operator's last resort). */
  kill(): void {
    this.#worker.terminate();
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** Whether live snapshots are wanted now (flows were read within LIVE_SNAPSHOT_IDLE_MS). */
  get liveSnapshots(): boolean {
    return this.#snapshots;
  }

  /** The size of the snapshots asked for (0: none wanted). */
  get snapshotSize(): number {
    return this.#snapshotSize;
  }

  /** Live snapshots received from the worker so far. */
  get snapshotsReceived(): number {
    return this.#snapshotsReceived;
  }

  call(op: WorkerOp, args: unknown[]): Promise<unknown> {
    if (this.#exited) return Promise.reject(new WorkerUnavailableError("the pipeline worker is not running"));
    if (this.#down) return Promise.reject(new WorkerUnavailableError(`the pipeline worker stopped (${this.#down.reason}); it is being restarted`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, capture: CAPTURE_OPS.has(op), op });
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
        this.#snapshotsReceived++;
        // One sent before the worker heard that nobody reads flows any more: it would only go stale here.
        if (this.#snapshots) this.#snapshot = m.snapshot;
        return;
      case "health":
        this.#health = m.health;
        this.#capture = m.capture;
        this.#flowCountsNow = m.flowCounts;
        this.#healthAt = Date.now();
        return;
      case "reply": {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        // Whoever just asked about capture must then see flows as of that answer, not an older snapshot:
        // after a start, a stop or the end of a file. While it runs, the snapshot's lag (LIVE_SNAPSHOT_MS)
        // is the flows list's anyway, and a dashboard polling status and flows keeps its flows here.
        if (p.capture && !(p.op === "capture.status" && m.ok && (m.result as CaptureState).running)) this.#snapshot = null;
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

  #failAll(message: string, final = true): void {
    if (final) this.#exited = true;
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
    this.#stopping = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    clearInterval(this.#snapshotTimer);
    if (this.#down) {
      this.#reader?.close();
      this.#reader = null;
      this.#exited = true;
      return;
    }
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
    const want = (q.offset ?? 0) + q.limit;
    this.#flowsRead(want);
    const snap = this.#snapshot;
    const simple = q.protocol === undefined && q.ip === undefined && q.deviceId === undefined && q.since === undefined &&
      q.q === undefined && (q.sort ?? "last_seen") === "last_seen";
    // A snapshot of `size` holds the newest `size` live flows (all of them when fewer) and queued ones:
    // any page up to that many, as many queued flows at most as the page takes.
    if (!snap || !this.#reader || !simple || want > snap.size) {
      return this.ops.flows.list(q);
    }
    // Many clients poll the same page: it is the same until the next snapshot or database write.
    const key = `${q.limit}:${q.offset ?? 0}:${q.status ?? ""}`;
    const version = this.#reader.flows.version();
    const last = this.#lastPage;
    if (last && version !== null && last.snap === snap && last.version === version && last.key === key) return last.flows;
    const live: FlowRecord[] = [];
    if (q.status !== "closed") {
      for (const f of snap.active) {
        if (live.length === want) break;
        if (matches(f, q)) live.push(f);
      }
    }
    // Both lists are newest first and every queued flow is closed: a page takes at most `want` queued
    // flows besides those also live, so the rest need not be scanned (a poll of 50 clients, each time).
    const flows = mergePage(q, live, snap.queued.slice(0, want + live.length), this.#reader.flows);
    this.#lastPage = { snap, version, key, flows };
    return flows;
  }

  #getFlow(id: string): FlowRecord | undefined | Promise<FlowRecord | undefined> {
    this.#flowsRead(1);
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
    const down = this.#down;
    if (down) {
      return {
        ...(h ?? emptyHealth(version)), uptimeSeconds, captureRunning: false,
        problems: [`pipeline: the worker stopped ${Math.round((Date.now() - down.since) / 1000)} s ago (${down.reason}); ` +
          `restarting in ${Math.max(0, Math.round((down.retryAt - Date.now()) / 1000))} s (restarted ${this.#restarts} times so far)`],
      };
    }
    if (!h || this.#exited) {
      return {
        version, uptimeSeconds, captureRunning: false, dbOk: false, dbSizeBytes: 0, pendingRows: 0, droppedRows: 0, lastFlushAt: null,
        lastFlushError: null, problems: [this.#exited ? "pipeline: the worker has stopped" : "pipeline: starting"],
      };
    }
    const problems = [...h.problems];
    const r = this.#lastRestart;
    if (r && Date.now() - r.at < RESTART_REPORTED_MS) {
      problems.push(`pipeline: restarted ${Math.round((Date.now() - r.at) / 1000)} s ago after the worker stopped (${r.reason}); ` +
        `flows it had not written yet were lost (${this.#restarts} restarts since start)`);
    }
    const age = Date.now() - this.#healthAt;
    if (age > STALE_HEALTH_MS) problems.push(`pipeline: no report for ${Math.round(age / 1000)} s (overloaded?)`);
    return { ...h, uptimeSeconds, captureRunning: this.#capture?.running ?? h.captureRunning, problems };
  }
}

function emptyCapture(): CaptureState {
  return {
    running: false, mode: null, interface: null, file: null, filter: null, since: null, packets: 0, bytes: 0, drops: 0,
    packetsPerSecond: 0, bytesPerSecond: 0, error: null, restarts: 0, interruptions: [],
  };
}

function emptyHealth(version: string): HealthState {
  return {
    version, uptimeSeconds: 0, captureRunning: false, dbOk: false, dbSizeBytes: 0, pendingRows: 0, droppedRows: 0,
    lastFlushAt: null, lastFlushError: null, problems: [],
  };
}
