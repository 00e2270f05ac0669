/**
 * The pipeline worker: runs the service (capture, engine, analyzers, batched writes) off the HTTP
 * thread, answers its requests and forwards its live events, so a busy capture never stalls the API.
 */
import type { FlowRecord } from "../flows/record.ts";
import { openStorage } from "../storage/index.ts";
import type { LiveEvent } from "./bus.ts";
import { createLogger } from "./logger.ts";
import { NetInsightService } from "./service.ts";
import { insertNewest, newestActive } from "./flow-view.ts";
import {
  LIVE_SNAPSHOT_MS, LIVE_SNAPSHOT_SIZE, toWire, type LiveSnapshot, type WorkerInit, type WorkerMessage, type WorkerRequest,
} from "./worker-protocol.ts";

declare const self: Worker;

/** Live events are sent in batches: one message per EVENT_BATCH_MS instead of one per event. */
const EVENT_BATCH_MS = 50;
/** How often the service thread's copy of health and capture status is refreshed. */
const HEALTH_EVERY_MS = 250;

let service: NetInsightService | null = null;
const timers: ReturnType<typeof setInterval>[] = [];
let queued: LiveEvent[] = [];

const post = (m: WorkerMessage) => self.postMessage(m);

function need(): NetInsightService {
  if (!service) throw new Error("the pipeline is not initialised");
  return service;
}

async function handle(req: WorkerRequest): Promise<unknown> {
  const a = req.args as any[];
  switch (req.op) {
    case "init": {
      const init = a[0] as WorkerInit;
      const log = createLogger(init.logLevel);
      service = await NetInsightService.create({
        storage: openStorage(init.databasePath), version: init.version, flushSeconds: init.flushSeconds,
        maxFlows: init.maxFlows, maxMemoryMb: init.maxMemoryMb, retention: init.retention, interface: init.interface, filter: init.filter,
        blocklists: init.blocklists, log, export: init.export,
      });
      service.bus.subscribe((e) => queued.push(e));
      timers.push(setInterval(() => {
        if (queued.length === 0) return;
        const events = queued;
        queued = [];
        post({ type: "events", events });
      }, EVENT_BATCH_MS));
      const pushHealth = () => service && post({ type: "health", health: service.health(), capture: service.capture.status() });
      timers.push(setInterval(pushHealth, HEALTH_EVERY_MS));
      timers.push(setInterval(() => service && post({ type: "live", snapshot: liveSnapshot(service) }), LIVE_SNAPSHOT_MS));
      service.start();
      pushHealth();
      return service.startedAt;
    }
    case "feedFile": return need().feedFile(a[0], a[1], a[2], a[3]);
    case "captureStart": return need().capture.startLive(a[0]);
    case "captureStop": return need().capture.stop();
    case "captureStatus": return need().capture.status();
    case "flowsList": return need().flows.list(a[0]);
    case "flowsGet": return need().flows.get(a[0]);
    case "devicesList": return need().devices.list();
    case "devicesGet": return need().devices.get(a[0]);
    case "devicesUpdate": return need().devices.update(a[0], a[1]);
    case "deviceApplications": return need().devices.applications(a[0], a[1]);
    case "deviceDestinations": return need().devices.destinations(a[0], a[1]);
    case "deviceTimeline": return need().devices.timeline(a[0], a[1]);
    case "threatsList": return need().threats.list(a[0]);
    case "threatsGet": return need().threats.get(a[0]);
    case "threatsDismiss": return need().threats.dismiss(a[0], a[1]);
    case "analytics": return need().analytics(a[0]);
    case "protocols": return need().protocols(a[0]);
    case "shutdown": {
      for (const t of timers) clearInterval(t);
      await service?.shutdown();
      if (queued.length) post({ type: "events", events: queued });
      queued = [];
      return null;
    }
  }
}

function liveSnapshot(s: NetInsightService): LiveSnapshot {
  const table = s.pipeline.engine.flows;
  const active = newestActive(table, LIVE_SNAPSHOT_SIZE).map((i) => table.record(i));
  // The writer queue can hold many thousands of rows: keep only the newest few, never a copy of it all.
  const queued: FlowRecord[] = [];
  for (const f of s.writer.pendingFlows()) if (f.status === "closed") insertNewest(queued, f, LIVE_SNAPSHOT_SIZE);
  return { active, complete: table.size <= LIVE_SNAPSHOT_SIZE, queued };
}

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  try {
    post({ type: "reply", id: req.id, ok: true, result: await handle(req) });
  } catch (err) {
    post({ type: "reply", id: req.id, ok: false, error: toWire(err) });
  }
};
