/**
 * The running service behind `netinsight serve`: storage restored, the engine and its analyzers,
 * capture control, batched writes, retention and live events. Implements the API's ServiceContext.
 */
import { DEFAULT_ROLLUP_RETENTION, type AnalyticsAnswer, type ProtocolsAnswer } from "../analytics/model.ts";
import { applyPatch, withEdit, type DeviceEdit, type DeviceEditPatch, type EditedDevice } from "../devices/edit.ts";
import { buildPipeline, type Pipeline } from "../engine/pipeline.ts";
import { analyticsReport, protocolsReport } from "../storage/analytics.ts";
import { flowRowAt, type FlowQuery } from "../storage/flows.ts";
import { nextFlowId, type Storage } from "../storage/index.ts";
import type { ThreatQuery } from "../storage/threats.ts";
import { RollupStore } from "../storage/rollups.ts";
import { retentionStep, usedBytes, type RetentionPolicy } from "../storage/retention.ts";
import { FLUSH_ROWS, StorageWriter } from "../storage/writer.ts";
import { ThreadSink } from "../storage/thread-sink.ts";
import type { ThreatDismissal, ThreatWithDismissal } from "../threats/dismissal.ts";
import type { Threat } from "../threats/model.ts";
import { LiveBus } from "./bus.ts";
import type { ExportSettings, FlowExporter } from "../export/exporter.ts";
import { PacketRecorder } from "../pcap-ring/recorder.ts";
import { pcapDownload } from "../pcap-ring/download.ts";
import type { PcapDownload, PcapQuery } from "./context.ts";
import { attachExporter } from "../export/setup.ts";
import { CaptureController } from "./capture.ts";
import type { CaptureStartOptions, DeviceWindowQuery, HealthState, ServiceContext } from "./context.ts";
import { FlowView } from "./flow-view.ts";
import { silentLogger, type Logger } from "./logger.ts";
import { ANALYZE_GC_NEW_FLOWS, DEFAULT_MAX_MEMORY_MB, MemoryGuard, WorkGc } from "../util/memory.ts";

/** Flow "updated" events published per sync; the WebSocket hub coalesces beyond that anyway. */
export const MAX_UPDATED_EVENTS = 1000;
/** Dropped rows are a problem in /api/health this long after the latest drop (then they are history: droppedRows). */
export const DROPS_REPORTED_MS = 60_000;
/** A file fed faster than storage writes waits this long before it looks at the write queue again. */
export const BACKLOG_WAIT_MS = 5;
/**
 * Packets between the pipeline's scheduled collections, and new flows (a spoofed flood) between its
 * full ones: JavaScriptCore lets the heap grow to twice what was live before collecting in full, and
 * the garbage of ended flows (texts, rows) only a full one frees. The packets' own garbage (decoded
 * messages, observations) a young one frees: only every SERVE_FULL_GC_EVERY-th by packets is full.
 * A normal capture makes a flow per ~20 packets, so its new flows still collect in full every ~200 k.
 */
export const SERVE_GC_PACKETS = 100_000;
export const SERVE_GC_NEW_FLOWS = ANALYZE_GC_NEW_FLOWS;
export const SERVE_FULL_GC_EVERY = 4;
/**
 * Live capture at a few thousand packets/s reaches SERVE_GC_PACKETS only every minute or so, and the
 * heap may double meanwhile: while packets arrive, a full collection at least this often as well
 * (a few tens of ms of a heap this size; a file fed at full speed collects far more often anyway).
 */
export const SERVE_GC_MAX_MS = 10_000;
/**
 * A flush that wrote at least this many rows is followed by a full collection: each flush of live
 * capture makes a row for every live flow that changed (thousands), and their JSON text for the writer
 * thread; once committed they are garbage, which otherwise waited up to SERVE_GC_MAX_MS.
 */
export const FLUSH_GC_ROWS = 1000;
/**
 * ... unless the pipeline collected in full less than this long ago: a file fed at full speed
 * collects every few hundred ms on its count of packets and new flows (#collectDue), and a collection
 * right after the one that just ran frees little (serve --read of the bench capture made 4-6 of
 * them, ~65 ms each). Live capture at a few thousand packets/s collects every SERVE_GC_MAX_MS: its
 * flushes still collect.
 */
export const FLUSH_GC_MIN_MS = 1000;
/** Table slots looked at between two looks at the write queue while a file's live flows end. */
export const END_SLICE_FLOWS = 1024;
/** How often retention runs (it prunes in small steps, yielding between them). */
export const RETENTION_INTERVAL_MS = 60_000;

export interface ServiceOptions {
  storage: Storage;
  version: string;
  bus?: LiveBus;
  flushSeconds?: number;
  retention?: RetentionPolicy;
  maxFlows?: number;
  /** The memory guard's cap (MAX_MEMORY_MB); default DEFAULT_MAX_MEMORY_MB. */
  maxMemoryMb?: number;
  interface?: string;
  filter?: string;
  /** Live capture's kernel ring in MB (CAPTURE_BUFFER_MB); default LIVE_RING_BYTES. */
  captureBufferMb?: number;
  blocklists?: string[];
  /** Threat-intel feed cache directory (default: the system temp folder). */
  feedDir?: string;
  log?: Logger;
  /** IPFIX / NetFlow v9 export (src/export/). */
  export?: ExportSettings;
  /** The on-disk packet ring (src/pcap-ring/), when PCAP_RING_MB > 0. */
  ring?: { dir: string; capMb: number };
  /** Commit history on a writer thread of its own (serve's pipeline worker), not on the capture thread. */
  writeThread?: boolean;
}

export class NetInsightService {
  readonly startedAt = Date.now();
  readonly bus: LiveBus;
  readonly writer: StorageWriter;
  readonly capture: CaptureController;
  readonly #view: FlowView;
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  #syncIds = new Float64Array(0);
  #syncLastSeen = new Float64Array(0);
  /** 1: the flow in this slot was first seen live by the latest sync, and not written by a sync yet. */
  #syncUnwritten = new Uint8Array(0);
  #closed = false;
  #retaining = false;
  #dbSize = { at: 0, bytes: 0 };
  /** The write error last logged (null: writing works). */
  #writeError: string | null = null;
  readonly memory: MemoryGuard;
  /** When (performance.now()) and at how many packets the pipeline last collected in full. */
  #gcMark = { at: 0, packets: 0 };
  /** The scheduled collections: young by packets (every SERVE_FULL_GC_EVERY-th full), full by new flows. */
  readonly #gc = new WorkGc(SERVE_GC_PACKETS, SERVE_GC_NEW_FLOWS, undefined, SERVE_FULL_GC_EVERY, undefined, true);
  /** Flow export, when collectors are configured. */
  exporter: FlowExporter | null = null;
  /** The packet ring, when on. */
  recorder: PacketRecorder | null = null;
  /**
   * Whether flows are published on the bus, one event per flow start, update and end. The pipeline
   * worker turns it off while no /ws client takes flows: no record made per flow start, nothing
   * copied across the worker boundary per flow. flowCounts count them either way (metrics).
   */
  flowEvents = true;
  readonly flowCounts = { started: 0, ended: 0 };
  /** Users' edits by device id, and the latest dismissal by threat id (both small; kept in memory). */
  readonly #edits = new Map<string, DeviceEdit>();
  readonly #dismissals = new Map<string, ThreatDismissal>();

  private constructor(
    readonly opts: ServiceOptions,
    readonly storage: Storage,
    readonly pipeline: Pipeline & { rollup: NonNullable<Pipeline["rollup"]> },
    readonly rollups: RollupStore,
    bus: LiveBus,
    readonly writeThread: ThreadSink | null,
  ) {
    this.bus = bus;
    this.memory = new MemoryGuard({ capMb: opts.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB });
    this.writer = new StorageWriter(storage, { maxFlows: pipeline.engine.flows.capacity, sink: writeThread ?? undefined });
    this.capture = new CaptureController({
      engine: pipeline.engine, sessions: storage.sessions, bus, interface: opts.interface, filter: opts.filter,
      bufferBytes: opts.captureBufferMb ? opts.captureBufferMb << 20 : undefined,
      log: (m) => this.log.info(m), backlog: () => {
        this.#collectDue();
        return this.#backlog();
      },
    });
    this.#view = new FlowView(storage.flows, this.writer, pipeline.engine);
    for (const e of storage.deviceEdits.all()) this.#edits.set(e.deviceId, e);
    for (const d of storage.dismissals.latest()) this.#dismissals.set(d.threatId, d);
    this.#wire();
  }

  static async create(opts: ServiceOptions): Promise<NetInsightService> {
    const log = opts.log ?? silentLogger;
    const orphans = opts.storage.flows.closeOrphans();
    if (orphans > 0) log.info(`storage: closed ${orphans} flows left active by the previous run`);
    const rollups = new RollupStore(opts.storage.db);
    const pipeline = buildPipeline({
      firstFlowId: nextFlowId(opts.storage), maxFlows: opts.maxFlows, blocklists: opts.blocklists, feedDir: opts.feedDir, liveDeviceCounters: true,
      devices: opts.storage.devices.list(), threats: opts.storage.threats.list(), rollups,
    });
    const service = new NetInsightService(opts, opts.storage, { ...pipeline, rollup: pipeline.rollup! }, rollups, opts.bus ?? new LiveBus(),
      opts.writeThread ? await openWriteThread(opts.storage.path, log) : null);
    if (opts.export) service.exporter = await attachExporter(pipeline.engine, opts.export);
    if (opts.ring) {
      const recorder = new PacketRecorder({ ...opts.ring, flows: (q) => service.flows.list(q), log: (m) => log.warn(m) });
      recorder.attach(pipeline.engine);
      pipeline.threats.onChange((t) => recorder.threatChanged(t));
      service.recorder = recorder;
    }
    return service;
  }

  get version(): string {
    return this.opts.version;
  }

  get log(): Logger {
    return this.opts.log ?? silentLogger;
  }

  #wire(): void {
    const { engine, threats, devices } = this.pipeline;
    engine.onFlowStartAt((flows, index) => {
      // Not queued for storage here: the next flush's sync writes it if it is still live (and its
      // end queues it otherwise), so a flow that starts and ends between two flushes is written once.
      this.flowCounts.started++;
      if (this.flowEvents) this.bus.publish({ type: "flow", event: "new", data: flows.record(index) });
    });
    engine.onFlowEndAt((flows, index) => {
      // Flows still open when a file ends (or the service stops) are over for the service: stored closed.
      // The row is read straight from the table: no record per ended flow unless /ws clients take them.
      this.writer.flowValues(flowRowAt(flows, index, "closed"));
      this.flowCounts.ended++;
      if (this.flowEvents) this.bus.publish({ type: "flow", event: "closed", data: { ...flows.record(index), status: "closed" } });
    });
    threats.onChange((t, event) => {
      // The store keeps changing its record: the writer and listeners get this moment's copy.
      const copy = { ...t, evidence: { ...t.evidence } };
      this.writer.threat(copy);
      this.bus.publish({ type: "threat", event, data: this.#withDismissal(copy) });
    });
    devices.onChange((d, isNew) => {
      this.writer.device(d);
      this.bus.publish({ type: "device", event: isNew ? "new" : "updated", data: withEdit(d, this.#edits.get(d.id)) });
    });
  }

  /** Starts the timers: stats every second, flush every FLUSH_SECONDS, retention every minute. */
  start(): void {
    const flushMs = (this.opts.flushSeconds ?? 5) * 1000;
    this.#timers.push(setInterval(() => this.#everySecond(), 1000));
    // Garbage from a burst of new flows piles up fast: look at memory four times a second.
    this.#timers.push(setInterval(() => {
      this.#collectDue();
      this.memory.check();
    }, 250));
    this.#timers.push(setInterval(() => void this.flush(), flushMs));
    this.#timers.push(setInterval(() => void this.runRetention(), RETENTION_INTERVAL_MS));
    for (const t of this.#timers) (t as { unref?: () => void }).unref?.();
  }

  #everySecond(): void {
    this.capture.tick();
    this.exporter?.flush();
    this.recorder?.keepPending();
    this.pipeline.threats.flush();
    const s = this.capture.status();
    const e = this.pipeline.engine.stats;
    this.bus.publish({
      type: "stats",
      data: {
        // The capture's clock, so the chart, flows and header tell one time even for a replayed file.
        time: this.capture.captureNow(e.lastSeen), packetsPerSecond: s.packetsPerSecond, bytesPerSecond: s.bytesPerSecond,
        activeFlows: e.flowsActive, devices: this.pipeline.devices.size, drops: s.drops, packets: e.packets, bytes: e.bytes,
      },
    });
    // Rows piling up (a burst of ended flows): write them now, but leave the live flows to the timer's
    // flush. Synced on every such flush too, a busy capture's live flows were queued again each second
    // (250 k rows for the bench capture's 116 k flows, the writer thread's main cost).
    if (this.writer.pending >= FLUSH_ROWS) void this.flush(false);
  }

  /**
   * Queues changed active flows (unless `syncLive` is false) and devices, then writes everything
   * queued. The timer calls it every flushSeconds.
   */
  async flush(syncLive = true): Promise<void> {
    if (this.#closed) return;
    // A flush still writing (a flood): joining it beats queueing every live flow again for nothing.
    if (this.writer.flushing) {
      await this.writer.flush();
      return;
    }
    // While writes fail, live flows stay in the flow table (and are queued once writing works again):
    // only ended flows, which have nowhere else to live, wait in the queue.
    if (syncLive && !this.writer.lastFlush?.error) this.#syncActiveFlows();
    const info = await this.writer.flush((this.opts.flushSeconds ?? 5) * 1000);
    if (info.rows >= FLUSH_GC_ROWS && performance.now() - this.#gcMark.at >= FLUSH_GC_MIN_MS) this.#collectNow();
    this.#reportWrite(info.error);
    if (!info.error && info.rows > 0) this.log.debug(`storage: wrote ${info.rows} rows in ${info.ms.toFixed(0)} ms (longest transaction ${info.maxChunkMs.toFixed(0)} ms)`);
  }

  /** Logs when writing starts failing (or fails differently) and when it works again: not every flush. */
  #reportWrite(error: string | null): void {
    if (error === this.#writeError) return;
    if (error) {
      const full = /full/i.test(error) ? `the disk holding ${this.storage.path} is full; ` : "";
      this.log.error(`storage: cannot write the database (${error}): ${full}capture goes on in memory, ` +
        `up to ${this.writer.maxPending} queued flows, and writing is retried every flush`);
    } else {
      this.log.info(`storage: writing again (${this.writer.pending} rows still queued)`);
    }
    this.#writeError = error;
  }

  /**
   * Active flows whose counters moved since the last sync: published, and queued for storage once
   * they were already live at the previous sync. A flow is stored when it ends; a sync writes only
   * those that outlive a whole flush interval, so one that starts before a flush and ends before
   * the next is written once, not twice (serve --read at full speed: 116 k flows made 227 k rows, a
   * third of the file's flows being live at each of its syncs).
   */
  #syncActiveFlows(): void {
    const table = this.pipeline.engine.flows;
    if (this.#syncIds.length < table.capacity) {
      this.#syncIds = new Float64Array(table.capacity);
      this.#syncLastSeen = new Float64Array(table.capacity);
      this.#syncUnwritten = new Uint8Array(table.capacity);
    }
    let published = 0;
    const w = this.writer;
    const ids = this.#syncIds, lastSeen = this.#syncLastSeen, unwritten = this.#syncUnwritten;
    table.forEachActive((i) => {
      const seen = table.lastSeenOf(i);
      const first = ids[i] !== table.ids[i];
      if (!first && lastSeen[i] === seen && unwritten[i] === 0) return;
      // A full queue takes no more live flows: they stay in the flow table and are synced next time,
      // instead of pushing out ended flows, which have nowhere else to live.
      if (w.full) return;
      const changed = first || lastSeen[i] !== seen;
      ids[i] = table.ids[i];
      lastSeen[i] = seen;
      if (first) {
        unwritten[i] = 1;
      } else {
        unwritten[i] = 0;
        w.flowValues(flowRowAt(table, i));
      }
      if (changed && this.flowEvents && published++ < MAX_UPDATED_EVENTS) this.bus.publish({ type: "flow", event: "updated", data: table.record(i) });
    });
  }

  /** Prunes by age and size in small steps, yielding between them. */
  async runRetention(now = this.clock(Date.now() / 1000)): Promise<void> {
    const policy = this.opts.retention;
    if (!policy || this.#retaining || this.#closed) return;
    this.#retaining = true;
    try {
      for (let more = true; more && !this.#closed;) {
        more = retentionStep(this.storage, policy, now).more;
        await new Promise((r) => setImmediate(r));
      }
      if (!this.#closed) this.rollups.compact(now, { ...DEFAULT_ROLLUP_RETENTION, retentionDays: policy.retentionDays });
    } catch (err) {
      this.log.warn(`storage: retention failed: ${(err as Error).message}`);
    } finally {
      this.#retaining = false;
    }
  }

  /**
   * Feeds a capture file. When it ends, as `analyze` does: every open flow ends through the detectors,
   * device counters and storage (no flow stays active once the capture stopped), and the rollups of
   * its last minutes are written too.
   */
  async feedFile(path: string, speed: number, filter?: string, loop = false) {
    const status = await this.capture.startFile(path, speed, filter, loop);
    void this.capture.feedDone.then(async () => {
      if (this.#closed) return;
      // Every live flow ends: all are kept and written (serve stores what analyze reports).
      this.writer.holdAll = true;
      await this.#endLiveFlows();
      const last = this.pipeline.engine.stats.lastSeen;
      this.pipeline.devices.flush();
      this.pipeline.threats.flush();
      if (last !== null) this.pipeline.rollup.snapshot(last);
      this.pipeline.rollup.flush();
      await this.flush();
      // Written before the capture is done for the service: a flush still running joins, the rest follows.
      while (!this.#closed && !this.capture.running && this.writer.pending > 0 && !this.writer.lastFlush?.error) await this.writer.flush();
      this.writer.holdAll = false;
    });
    return status;
  }

  /**
   * Ends every live flow, as engine.finish() does (in table order), a slice at a time, waiting for
   * storage between slices like the feed does: the whole table queued as rows at once was a flood's
   * peak of memory (200 k rows), and nothing may be dropped here.
   */
  async #endLiveFlows(): Promise<void> {
    const table = this.pipeline.engine.flows;
    let ended = 0;
    for (let i = 0; i < table.capacity && !this.#closed; i++) {
      if (table.inUse[i]) {
        table.end(i, "shutdown");
        // Each end leaves garbage as a new flow does (its row, its record for the rollups): the
        // same cadence of full collections, or the heap doubles while 50 k live flows end at once.
        if (++ended % SERVE_GC_NEW_FLOWS === 0) this.#collectNow();
      }
      if (i % END_SLICE_FLOWS !== END_SLICE_FLOWS - 1) continue;
      for (let behind = this.#backlog(); behind && !this.#closed; behind = this.#backlog()) await behind;
    }
    this.pipeline.engine.finish(); // nothing left to end: the engine's own bookkeeping
  }

  /**
   * A file fed at full speed asks after every slice (FEED_SLICE_MS): the pipeline's full collections
   * then come on their count of packets and new flows, not only when the 250 ms timer gets a turn
   * (a spoofed flood made 10-25 k flows between two turns, and their garbage, before collecting).
   */
  #collectDue(): void {
    const e = this.pipeline.engine.stats;
    const gc = this.#gc, full = gc.collections, young = gc.youngCollections;
    gc.check(e.packets, e.flowsCreated);
    if (gc.collections !== full) this.#gcMark = { at: performance.now(), packets: e.packets };
    else if (gc.youngCollections === young && performance.now() - this.#gcMark.at >= SERVE_GC_MAX_MS && e.packets !== this.#gcMark.packets) {
      this.#collectNow();
    }
  }

  /** A full collection now; the scheduled ones (and the timed one, SERVE_GC_MAX_MS) count from it. */
  #collectNow(): void {
    const e = this.pipeline.engine.stats;
    this.#gc.collectAt(e.packets, e.flowsCreated);
    this.#gcMark = { at: performance.now(), packets: e.packets };
  }

  /**
   * Storage is behind a file fed at full speed (half the queue's cap used): a write starts, and the
   * feed waits a moment and asks again, so it goes on as soon as the writer has caught up a little
   * (on a writer thread both run at once).
   */
  #backlog(): Promise<unknown> | null {
    const w = this.writer;
    if (this.#closed || !w.backlogged || w.lastFlush?.error) return null;
    const writing = w.flush();
    return w.flushing ? Promise.race([writing, Bun.sleep(BACKLOG_WAIT_MS)]) : writing;
  }

  // ---- ServiceContext ----

  health(): HealthState {
    const problems: string[] = [];
    let dbOk = true;
    let dbSizeBytes = this.#dbSize.bytes;
    try {
      this.storage.db.query("SELECT 1").get();
      // Health is polled hard by monitors: the size needs three pragmas, once a second is plenty.
      if (Date.now() - this.#dbSize.at > 1000) this.#dbSize = { at: Date.now(), bytes: (dbSizeBytes = usedBytes(this.storage)) };
    } catch (err) {
      dbOk = false;
      problems.push(`database: ${(err as Error).message}`);
    }
    const cap = this.capture.status();
    if (cap.error) problems.push(`capture: ${cap.error}`);
    const memory = this.memory.problem();
    if (memory) problems.push(memory);
    const flush = this.writer.lastFlush;
    // The database is ok when it answers and the latest write went through: now, not ever since start.
    if (flush?.error) {
      dbOk = false;
      problems.push(`storage: last write failed (${flush.error}); ${this.writer.pending} rows waiting`);
    }
    if (this.exporter) problems.push(...this.exporter.problems());
    if (this.recorder) problems.push(...this.recorder.problems());
    const dropAt = this.writer.lastDropAt;
    if (dropAt !== null && Date.now() - dropAt < DROPS_REPORTED_MS) {
      problems.push(`storage: ${this.writer.droppedRows} flow updates dropped (the write queue was full ${Math.round((Date.now() - dropAt) / 1000)} s ago)`);
    }
    return {
      version: this.version,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      captureRunning: cap.running,
      dbOk,
      dbSizeBytes,
      pendingRows: this.writer.pending,
      droppedRows: this.writer.droppedRows,
      lastFlushAt: flush?.at ?? null,
      lastFlushError: flush?.error ?? null,
      problems,
    };
  }

  readonly flows = {
    list: (q: FlowQuery) => this.#view.list(q),
    get: (id: string) => this.#view.get(id),
  };

  readonly devices = {
    /** Most recently seen first. */
    list: (): EditedDevice[] => this.pipeline.devices.list().sort((a, b) => b.lastSeen - a.lastSeen || a.id.localeCompare(b.id))
      .map((d) => withEdit(d, this.#edits.get(d.id))),
    get: (id: string): EditedDevice | undefined => {
      const d = this.pipeline.devices.get(id);
      return d && withEdit(d, this.#edits.get(id));
    },
    /** Saves a user's edit (at once: it is a person's action) and tells live clients. */
    update: (id: string, patch: DeviceEditPatch): EditedDevice | undefined => {
      const d = this.pipeline.devices.get(id);
      if (!d) return undefined;
      const edit = applyPatch(id, this.#edits.get(id), patch, Date.now() / 1000);
      this.storage.deviceEdits.put(edit);
      this.#edits.set(id, edit);
      const edited = withEdit(d, edit);
      this.bus.publish({ type: "device", event: "updated", data: edited });
      return edited;
    },
    applications: (id: string, q: DeviceWindowQuery) => this.storage.deviceTraffic.applications(this.#deviceWindow(id, q)),
    destinations: (id: string, q: DeviceWindowQuery) => this.storage.deviceTraffic.destinations(this.#deviceWindow(id, q)),
    timeline: (id: string, q: DeviceWindowQuery) => this.storage.deviceTraffic.timeline(this.#deviceWindow(id, q)),
  };

  #deviceWindow(deviceId: string, q: DeviceWindowQuery) {
    const to = this.clock(q.now);
    return { deviceId, from: to - q.hours * 3600, to };
  }

  #withDismissal(t: Threat): ThreatWithDismissal {
    return { ...t, dismissal: this.#dismissals.get(t.id) ?? null };
  }

  readonly threats = {
    list: (q: ThreatQuery) =>
      this.pipeline.threats.list(q).map((t) => this.#withDismissal(t)),
    get: (id: string) => {
      const t = this.pipeline.threats.get(id);
      return t && this.#withDismissal(t);
    },
    /** Records who dismissed it and when (first, so the live event carries it), then dismisses. */
    dismiss: (id: string, by = "api"): ThreatWithDismissal | undefined => {
      const t = this.pipeline.threats.get(id);
      if (!t) return undefined;
      if (t.status !== "dismissed") {
        const d = { threatId: id, at: Date.now() / 1000, by };
        this.storage.dismissals.add(d);
        this.#dismissals.set(id, d);
      }
      const done = this.pipeline.threats.dismiss(id);
      return done && this.#withDismissal(done);
    },
  };

  /**
   * The service's "now" for windows ("last 24 hours") and retention: the wall clock, except while
   * history comes from a capture file, when it is the file's own clock (its newest packet), so an
   * old capture is neither outside every window nor pruned as too old a minute after it is read.
   */
  clock(wallNow: number): number {
    const last = this.pipeline.engine.stats.lastSeen;
    return this.capture.packetSource === "file" && last !== null ? last : wallNow;
  }

  analytics(q: { hours: number; now: number }): AnalyticsAnswer {
    return analyticsReport(this.storage.db, { ...q, now: this.clock(q.now) });
  }

  protocols(q: { hours?: number; now: number }): ProtocolsAnswer {
    return protocolsReport(this.storage.db, { ...q, now: this.clock(q.now) });
  }

  /** Stop capture, end every flow, write everything, close the database. Safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    for (const t of this.#timers) clearInterval(t);
    if (this.capture.running) await this.capture.stop().catch(() => undefined);
    const { threats, rollup } = this.pipeline;
    // A slice at a time with collections and writes between, as at a file's end (and joining it when
    // that is under way): all live flows (up to MAX_FLOWS) ended at once took a flood's RSS past 400 MB.
    await this.#endLiveFlows();
    await this.exporter?.close();
    this.recorder?.close();
    threats.flush();
    try {
      rollup.close();
    } catch (err) {
      this.log.warn(`analytics: final rollup write failed: ${(err as Error).message}`);
    }
    this.pipeline.devices.flush();
    const info = await this.writer.drain(); // waits for a flush in progress, then writes what is left
    if (info.error) this.log.error(`storage: final write failed: ${info.error}`);
    this.#closed = true;
    // The writer thread's connection closes first: this one, the last, checkpoints and removes the WAL.
    await this.writeThread?.close();
    this.storage.close();
  }
}

/** The writer thread for a database file; null (writes stay on this thread) for :memory: or when it cannot start. */
async function openWriteThread(path: string, log: Logger): Promise<ThreadSink | null> {
  if (path === ":memory:" || path.startsWith("file:")) return null;
  try {
    return await ThreadSink.open(path);
  } catch (err) {
    log.warn(`storage: no writer thread (${(err as Error).message}); writing on the capture thread`);
    return null;
  }
}

/**
 * Everything the pipeline answers, written once: served as it is in this thread (serviceContext),
 * and across the worker boundary by worker.ts's dispatcher and remote.ts's typed proxy (rpc.ts).
 * A new operation is one entry here (and in ServiceContext when the API reads it).
 */
/** A threat's, flow's or device's packets from the ring (the ring off: nothing). */
function ringDownload(s: NetInsightService, q: PcapQuery): PcapDownload {
  if (!s.recorder) return { status: "empty" };
  return pcapDownload(s.recorder, q, {
    threat: (id) => s.pipeline.threats.get(id),
    flow: (id) => s.flows.get(id),
    device: (id) => s.pipeline.devices.get(id),
    now: () => s.clock(Date.now() / 1000),
  });
}

export function serviceOperations(s: NetInsightService) {
  return {
    flows: s.flows,
    devices: s.devices,
    threats: s.threats,
    capture: {
      status: () => s.capture.status(),
      start: (o: CaptureStartOptions = {}) => s.capture.startLive(o),
      stop: () => s.capture.stop(),
    },
    analytics: (q: { hours: number; now: number }) => s.analytics(q),
    protocols: (q: { hours?: number; now: number }) => s.protocols(q),
    packets: { download: (q: PcapQuery) => ringDownload(s, q) },
    /** Feeds a capture file at `speed` times real time, again and again with `loop` (serve --read). */
    feedFile: (path: string, speed: number, filter?: string, loop = false) => s.feedFile(path, speed, filter, loop),
  } satisfies Omit<ServiceContext, "version" | "startedAt" | "health"> & Record<string, unknown>;
}

export type ServiceOperations = ReturnType<typeof serviceOperations>;

/** The ServiceContext the API reads when the pipeline runs in this thread. */
export function serviceContext(s: NetInsightService): ServiceContext {
  const ops = serviceOperations(s);
  return { version: s.version, startedAt: s.startedAt, health: () => s.health(), ...ops, packets: s.recorder ? ops.packets : undefined };
}
