/**
 * The pipeline worker: runs the service (capture, engine, analyzers, batched writes) off the HTTP
 * thread, answers its requests and forwards its live events, so a busy capture never stalls the API.
 */
import type { FlowRecord } from "../flows/record.ts";
import { openStorage } from "../storage/index.ts";
import { lowerThreadPriority } from "../util/thread-priority.ts";
import type { LiveEvent } from "./bus.ts";
import { createLogger } from "./logger.ts";
import { dispatch } from "./rpc.ts";
import { NetInsightService, serviceOperations, type ServiceOperations } from "./service.ts";
import { newestActive, newestQueued } from "./flow-view.ts";
import {
  LIVE_SNAPSHOT_MS, LIVE_SNAPSHOT_SIZES, toWire, type LiveSnapshot, type WorkerControl, type WorkerInit, type WorkerMessage,
  type WorkerRequest,
} from "./worker-protocol.ts";

declare const self: Worker;

/** Live events are sent in batches: one message per EVENT_BATCH_MS instead of one per event. */
const EVENT_BATCH_MS = 50;
/** How often the service thread's copy of health and capture status is refreshed. */
const HEALTH_EVERY_MS = 250;
/**
 * This thread's nice value above the HTTP thread's: when both want the CPU (a capture fed at full
 * speed while 50 clients poll the flows), the API answers first. With 5 (weight ~1/3), p99 of
 * GET /api/flows went from ~210 ms to ~90-120 ms in bench/api.ts --speed 0, the feed ~10 % slower
 * meanwhile; a pipeline alone on the CPU runs as fast as before.
 */
const WORKER_NICE_STEPS = 5;

let service: NetInsightService | null = null;
let operations: ServiceOperations | null = null;
const timers: ReturnType<typeof setInterval>[] = [];
let queued: LiveEvent[] = [];
/** Flow events are wanted by the service thread (a /ws client takes flows); off until it says so. */
let flowEvents = false;
/** Live snapshots are wanted by the service thread (it reads flows); off until it says so. */
let liveSnapshots = false;
/** The flows of each list of a snapshot (the HTTP thread asks for the size its pages need). */
let snapshotSize: number = LIVE_SNAPSHOT_SIZES[0];

const postSnapshot = () => service && liveSnapshots && post({ type: "live", snapshot: liveSnapshot(service) });

const post = (m: WorkerMessage) => self.postMessage(m);

const control: WorkerControl = {
  async init(init: WorkerInit) {
    const log = createLogger(init.logLevel);
    if (lowerThreadPriority(WORKER_NICE_STEPS) === null) log.debug("pipeline worker: its priority stays the HTTP thread's (no per-thread nice here)");
    service = await NetInsightService.create({
      storage: openStorage(init.databasePath), version: init.version, flushSeconds: init.flushSeconds,
      maxFlows: init.maxFlows, maxMemoryMb: init.maxMemoryMb, retention: init.retention, interface: init.interface, filter: init.filter, captureBufferMb: init.captureBufferMb,
      blocklists: init.blocklists, feedDir: init.feedDir, log, export: init.export, ring: init.ring, writeThread: true,
    });
    service.flowEvents = flowEvents;
    service.bus.subscribe((e) => queued.push(e));
    timers.push(setInterval(() => {
      if (queued.length === 0) return;
      const events = queued;
      queued = [];
      post({ type: "events", events });
    }, EVENT_BATCH_MS));
    const pushHealth = () => service && post({
      type: "health", health: service.health(), capture: service.capture.status(), flowCounts: { ...service.flowCounts },
    });
    timers.push(setInterval(pushHealth, HEALTH_EVERY_MS));
    timers.push(setInterval(postSnapshot, LIVE_SNAPSHOT_MS));
    operations = serviceOperations(service);
    service.start();
    pushHealth();
    return service.startedAt;
  },
  async shutdown() {
    for (const t of timers) clearInterval(t);
    await service?.shutdown();
    if (queued.length) post({ type: "events", events: queued });
    queued = [];
    return null;
  },
  async flowEvents(on: boolean) {
    flowEvents = on;
    if (service) service.flowEvents = on;
    return null;
  },
  async liveSnapshots(on: boolean, size: number = LIVE_SNAPSHOT_SIZES[0]) {
    liveSnapshots = on;
    snapshotSize = size;
    // The first one now: flows are being read (the HTTP thread asks the worker until it arrives).
    postSnapshot();
    return null;
  },
};

function handle(req: WorkerRequest): unknown {
  if (req.op === "init" || req.op === "shutdown" || req.op === "flowEvents" || req.op === "liveSnapshots") return dispatch(control, req.op, req.args);
  if (!operations) throw new Error("the pipeline is not initialised");
  return dispatch(operations, req.op, req.args);
}

function liveSnapshot(s: NetInsightService): LiveSnapshot {
  const table = s.pipeline.engine.flows;
  const size = snapshotSize;
  const active = newestActive(table, size).map((i) => table.record(i));
  // The writer queue can hold many thousands of rows: keep only the newest few, never a copy of it all.
  const queued = newestQueued(s.writer, size);
  return { size, active, queued };
}

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  try {
    post({ type: "reply", id: req.id, ok: true, result: await handle(req) });
  } catch (err) {
    post({ type: "reply", id: req.id, ok: false, error: toWire(err) });
  }
};
