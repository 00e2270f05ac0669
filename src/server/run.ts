/**
 * Starts the whole service from a validated configuration: token, the pipeline (in its own worker
 * thread, so capture never stalls the API), the Hono app, the WebSocket hub and Bun.serve. The one
 * place where the service and its edges (api/, ws/, web/) meet.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Server } from "bun";
import { checkToken, tokenMatches } from "../api/auth.ts";
import { errorBody } from "../api/errors.ts";
import { AuthFailureLimiter } from "../api/rate-limit.ts";
import { tokenFromUpgrade } from "../ws/auth.ts";
import { createApp } from "../api/app.ts";
import { MetricsCollector } from "../notify/prometheus.ts";
import { startNotifications } from "../notify/index.ts";
import type { Config } from "../config.ts";
import { LiveBus } from "../service/bus.ts";
import type { CaptureStartOptions, CaptureState, ServiceContext } from "../service/context.ts";
import { createLogger, type Logger } from "../service/logger.ts";
import { PipelineWorker, WorkerUnavailableError } from "../service/remote.ts";
import { resolveToken, type ResolvedToken } from "../service/token.ts";
import type { WorkerInit } from "../service/worker-protocol.ts";
import { MemoryGuard } from "../util/memory.ts";
import { VERSION } from "../version.ts";
import type { ExportSettings } from "../export/exporter.ts";
import { ringDir } from "../pcap-ring/settings.ts";
import { resolveTls, TlsError, type TlsSetup } from "../tls/certificate.ts";
import { startBackups, type BackupSchedule } from "../backup/schedule.ts";

/**
 * How often the HTTP thread collects in full while the pipeline runs in its worker. Its garbage (the
 * worker's reports four times a second, live snapshots of up to 2000 flows twice a second while flows
 * are read, event batches, the API's answers) otherwise waits for JavaScriptCore's own full collection,
 * which lets the heap double first. A collection of this ~8 MB heap takes a few ms. In the 3-minute
 * soak (bench/soak.ts, 5 API requests/s): max RSS 221 MB without, 188 MB with.
 */
export const HTTP_GC_MS = 2000;

export interface RunningService {
  version: string;
  server: Server<unknown>;
  url: string;
  token: ResolvedToken;
  /** HTTPS certificate in use (null: plain HTTP, HTTPS=off or loopback with HTTPS=auto). */
  tls: TlsSetup | null;
  /** Scheduled backups (null without BACKUP_DIR). */
  backups: BackupSchedule | null;
  /** Where the pipeline runs: its own worker thread (serve), or this thread. */
  mode: "worker" | "in-process";
  feedFile(path: string, speed: number, filter?: string, loop?: boolean): Promise<CaptureState>;
  startLive(opts?: CaptureStartOptions): Promise<CaptureState>;
  /** Stop serving, stop capture, flush, close the database. */
  stop(): Promise<void>;
}

export interface RunOptions {
  log?: Logger;
  blocklists?: string[];
  /** Run the pipeline in this thread instead of a worker (tests, debugging). */
  inProcess?: boolean;
  /** IPFIX / NetFlow v9 export (collectors resolved). */
  export?: ExportSettings;
}

export class ServeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServeError";
  }
}

interface Pipeline {
  mode: "worker" | "in-process";
  ctx: ServiceContext;
  /** A /ws client takes flow events (or none does any more). */
  setFlowEvents(on: boolean): void;
  flowCounts(): { started: number; ended: number };
  feedFile(path: string, speed: number, filter?: string, loop?: boolean): Promise<CaptureState>;
  startLive(opts?: CaptureStartOptions): Promise<CaptureState>;
  shutdown(): Promise<void>;
}

export async function runService(config: Config, opts: RunOptions = {}): Promise<RunningService> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  let token: ResolvedToken;
  try {
    mkdirSync(path.dirname(config.DATABASE_PATH), { recursive: true });
    token = resolveToken(config.API_TOKEN, config.DATABASE_PATH);
  } catch (err) {
    throw new ServeError(`cannot write beside the database (${config.DATABASE_PATH}): ${(err as Error).message}`);
  }
  let tls: TlsSetup | null;
  try {
    tls = resolveTls({ mode: config.HTTPS, host: config.HOST, certFile: config.TLS_CERT, keyFile: config.TLS_KEY, databasePath: config.DATABASE_PATH });
  } catch (err) {
    throw new ServeError(err instanceof TlsError ? err.message : `HTTPS: ${(err as Error).message}`);
  }
  const bus = new LiveBus();
  const init: WorkerInit = {
    databasePath: config.DATABASE_PATH, version: VERSION, flushSeconds: config.FLUSH_SECONDS, maxFlows: config.MAX_FLOWS,
    maxMemoryMb: config.MAX_MEMORY_MB,
    retention: { retentionDays: config.RETENTION_DAYS, maxDbBytes: config.MAX_DB_MB * 1024 * 1024 },
    interface: config.NETWORK_INTERFACE, filter: config.CAPTURE_FILTER, captureBufferMb: config.CAPTURE_BUFFER_MB, blocklists: opts.blocklists, logLevel: config.LOG_LEVEL,
    feedDir: path.join(path.dirname(path.resolve(config.DATABASE_PATH)), "feeds"),
    export: opts.export,
    ring: config.PCAP_RING_MB > 0 ? { dir: ringDir(config), capMb: config.PCAP_RING_MB } : undefined,
  };
  let pipeline: Pipeline;
  try {
    pipeline = opts.inProcess ? await inProcessPipeline(init, bus, log) : await workerPipeline(init, bus);
  } catch (err) {
    if (!(err instanceof WorkerUnavailableError)) throw new ServeError((err as Error).message);
    log.warn(`pipeline worker unavailable (${err.message}); capturing in the API's thread instead`);
    try {
      pipeline = await inProcessPipeline(init, bus, log);
    } catch (e) {
      throw new ServeError((e as Error).message);
    }
  }
  // The worker has its own guard (service.ts); this one collects the HTTP thread's heap, where the
  // live events from the worker arrive.
  const memory = pipeline.mode === "in-process" ? null : new MemoryGuard({ capMb: config.MAX_MEMORY_MB });
  const memoryTimer = memory ? setInterval(() => memory.check(), 250) : null;
  (memoryTimer as { unref?: () => void } | null)?.unref?.();
  const gcTimer = memory ? setInterval(() => Bun.gc(true), HTTP_GC_MS) : null;
  (gcTimer as { unref?: () => void } | null)?.unref?.();
  const web = await optionalImport<typeof import("../web/assets.ts")>(() => import("../web/assets.ts"), log, "live view");
  const authLimiter = new AuthFailureLimiter();
  // Notifications run here, off the capture worker: a slow receiver cannot hold up capture.
  const notifications = startNotifications(config, { bus, ctx: pipeline.ctx, log, scheme: tls ? "https" : "http" });
  const ctx: ServiceContext = {
    ...pipeline.ctx,
    health: () => {
      const h = pipeline.ctx.health();
      return { ...h, problems: [...h.problems, ...notifications.problems()], notifications: notifications.status() };
    },
  };
  const metrics = new MetricsCollector({
    ctx, bus, maxDevices: config.METRICS_MAX_DEVICES, wsClients: () => hub?.clientCount() ?? 0, notifications: () => notifications.status(),
    flowCounts: () => pipeline.flowCounts(),
  });
  const app = createApp(ctx, {
    token: token.token,
    authLimiter,
    allowedOrigins: config.ALLOWED_ORIGINS,
    mount: web ? (a) => web.webAssetRoutes(a) : undefined,
    metrics: () => metrics.scrape(),
    notifications,
  });
  const wsModule = await optionalImport<typeof import("../ws/hub.ts")>(() => import("../ws/hub.ts"), log, "WebSocket feed");
  const hub = wsModule?.createLiveHub({
    bus, checkToken: (t) => tokenMatches(token.token, t), version: VERSION, onFlowInterest: (on) => pipeline.setFlowEvents(on),
  }) ?? null;

  let server: Server<unknown>;
  try {
    server = Bun.serve({
      hostname: config.HOST,
      port: config.PORT,
      tls: tls ? { cert: tls.cert, key: tls.key } : undefined,
      fetch(req, srv) {
        if (hub && new URL(req.url).pathname === "/ws") {
          // The same failed-auth budget as the REST API, per peer address; the right token always passes.
          const denied = checkToken(token.token, tokenFromUpgrade(req).token, srv.requestIP(req)?.address, authLimiter);
          if (denied?.status === 429) return denied;
          return hub.upgrade(req, srv as never);
        }
        return app.fetch(req, { server: srv });
      },
      websocket: (hub?.websocket ?? { message() {} }) as never,
      error(err) {
        log.error(`http: ${err.message}`);
        return Response.json(errorBody("internal_error", "internal error"), { status: 500 });
      },
    }) as Server<unknown>;
  } catch (err) {
    if (memoryTimer) clearInterval(memoryTimer);
    if (gcTimer) clearInterval(gcTimer);
    metrics.close();
    await notifications.close();
    await pipeline.shutdown();
    const msg = (err as Error).message;
    if (/in use|EADDRINUSE/i.test(msg)) throw new ServeError(`port ${config.PORT} on ${config.HOST} is already in use: stop the other program or choose another port with --port or PORT`);
    throw new ServeError(`cannot listen on ${config.HOST}:${config.PORT}: ${msg}`);
  }
  const shownHost = config.HOST === "0.0.0.0" || config.HOST === "::" ? "localhost" : config.HOST;
  const backups = config.BACKUP_DIR
    ? startBackups({ databasePath: config.DATABASE_PATH, dir: path.resolve(config.BACKUP_DIR), keep: config.BACKUP_KEEP, hours: config.BACKUP_HOURS, log })
    : null;
  let stopped: Promise<void> | null = null;
  return {
    version: VERSION,
    server,
    url: `${tls ? "https" : "http"}://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${server.port}`,
    token,
    tls,
    backups,
    mode: pipeline.mode,
    feedFile: (p, speed, filter, loop) => pipeline.feedFile(p, speed, filter, loop),
    startLive: (o) => pipeline.startLive(o),
    stop() {
      stopped ??= (async () => {
        backups?.stop();
        if (memoryTimer) clearInterval(memoryTimer);
        if (gcTimer) clearInterval(gcTimer);
        hub?.close();
        metrics.close();
        await server.stop(true);
        await pipeline.shutdown();
        // After the pipeline: the last events it publishes while shutting down are still queued.
        await notifications.close();
      })();
      return stopped;
    },
  };
}

async function workerPipeline(init: WorkerInit, bus: LiveBus): Promise<Pipeline> {
  const w = await PipelineWorker.start(init, bus);
  return {
    mode: "worker",
    ctx: w.context(init.version),
    setFlowEvents: (on) => w.setFlowEvents(on),
    flowCounts: () => w.flowCounts(),
    feedFile: (p, speed, filter, loop) => w.feedFile(p, speed, filter, loop),
    startLive: (o) => w.startLive(o),
    shutdown: () => w.shutdown(),
  };
}

/**
 * The pipeline in this thread (--single-thread, or no worker): its modules (engine, analyzers, their
 * tables and data) are loaded only then, not by every serve's HTTP thread, which only talks to the worker.
 */
async function inProcessPipeline(init: WorkerInit, bus: LiveBus, log: Logger): Promise<Pipeline> {
  const [{ NetInsightService, serviceContext }, { openStorage }] = await Promise.all([import("../service/service.ts"), import("../storage/index.ts")]);
  const service = await NetInsightService.create({
    storage: openStorage(init.databasePath), version: init.version, bus, flushSeconds: init.flushSeconds,
    maxFlows: init.maxFlows, maxMemoryMb: init.maxMemoryMb, retention: init.retention, interface: init.interface, filter: init.filter, captureBufferMb: init.captureBufferMb,
    blocklists: init.blocklists, feedDir: init.feedDir, log, export: init.export, ring: init.ring,
  });
  service.start();
  return {
    mode: "in-process",
    ctx: serviceContext(service),
    // The bus is this thread's: flow events always flow (the hub drops what nobody takes).
    setFlowEvents: () => undefined,
    flowCounts: () => ({ ...service.flowCounts }),
    feedFile: (p, speed, filter, loop) => service.feedFile(p, speed, filter, loop),
    startLive: (o) => service.capture.startLive(o),
    shutdown: () => service.shutdown(),
  };
}

/** Modules other engineers own that the service can run without (guarded so serve works before they land). */
async function optionalImport<T>(load: () => Promise<unknown>, log: Logger, what: string): Promise<T | null> {
  try {
    return (await load()) as T;
  } catch (err) {
    log.warn(`${what} not available: ${(err as Error).message.split("\n")[0]}`);
    return null;
  }
}
