/**
 * Starts the whole service from a validated configuration: storage, token, pipeline, the Hono app,
 * the WebSocket hub and Bun.serve. `serve`, the end-to-end tests and the benchmark all use it.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Server } from "bun";
import { tokenMatches } from "../api/auth.ts";
import { createApp } from "../api/app.ts";
import type { Config } from "../config.ts";
import { openStorage } from "../storage/index.ts";
import { VERSION } from "../version.ts";
import { LiveBus } from "./bus.ts";
import { createLogger, type Logger } from "./logger.ts";
import { resolveToken, type ResolvedToken } from "./token.ts";
import { NetInsightService, serviceContext } from "./service.ts";

export interface RunningService {
  service: NetInsightService;
  server: Server<unknown>;
  url: string;
  token: ResolvedToken;
  /** Stop serving, stop capture, flush, close the database. */
  stop(): Promise<void>;
}

export interface RunOptions {
  log?: Logger;
  blocklists?: string[];
}

export class ServeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServeError";
  }
}

export async function runService(config: Config, opts: RunOptions = {}): Promise<RunningService> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  mkdirSync(path.dirname(config.DATABASE_PATH), { recursive: true });
  const storage = openStorage(config.DATABASE_PATH);
  let token: ResolvedToken;
  try {
    token = resolveToken(config.API_TOKEN, config.DATABASE_PATH);
  } catch (err) {
    storage.close();
    throw new ServeError(`cannot store the API token beside the database: ${(err as Error).message}`);
  }
  const bus = new LiveBus();
  const service = await NetInsightService.create({
    storage, version: VERSION, bus, flushSeconds: config.FLUSH_SECONDS, maxFlows: config.MAX_FLOWS,
    retention: { retentionDays: config.RETENTION_DAYS, maxDbBytes: config.MAX_DB_MB * 1024 * 1024 },
    interface: config.NETWORK_INTERFACE, filter: config.CAPTURE_FILTER, blocklists: opts.blocklists, log,
  });
  const web = await optionalImport<typeof import("../web/assets.ts")>(() => import("../web/assets.ts"), log, "live view");
  const wsDocs = await optionalImport<typeof import("../ws/openapi.ts")>(() => import("../ws/openapi.ts"), log, "WebSocket docs");
  const app = createApp(serviceContext(service), {
    token: token.token,
    allowedOrigins: config.ALLOWED_ORIGINS,
    mount: (a) => {
      web?.webAssetRoutes(a);
      wsDocs?.registerLiveFeedDocs(a);
    },
  });
  const wsModule = await optionalImport<typeof import("../ws/hub.ts")>(() => import("../ws/hub.ts"), log, "WebSocket feed");
  const hub = wsModule?.createLiveHub({ bus, checkToken: (t) => tokenMatches(token.token, t), version: VERSION }) ?? null;

  let server: Server<unknown>;
  try {
    server = Bun.serve({
      hostname: config.HOST,
      port: config.PORT,
      fetch(req, srv) {
        if (hub && new URL(req.url).pathname === "/ws") return hub.upgrade(req, srv as never);
        return app.fetch(req, { server: srv });
      },
      websocket: (hub?.websocket ?? { message() {} }) as never,
      error(err) {
        log.error(`http: ${err.message}`);
        return Response.json({ error: { code: "internal_error", message: "internal error" } }, { status: 500 });
      },
    }) as Server<unknown>;
  } catch (err) {
    await service.shutdown();
    const msg = (err as Error).message;
    if (/in use|EADDRINUSE/i.test(msg)) throw new ServeError(`port ${config.PORT} on ${config.HOST} is already in use: stop the other program or choose another port with --port or PORT`);
    throw new ServeError(`cannot listen on ${config.HOST}:${config.PORT}: ${msg}`);
  }
  service.start();
  const shownHost = config.HOST === "0.0.0.0" || config.HOST === "::" ? "localhost" : config.HOST;
  let stopped: Promise<void> | null = null;
  return {
    service,
    server,
    url: `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${server.port}`,
    token,
    stop() {
      stopped ??= (async () => {
        hub?.close();
        await server.stop(true);
        await service.shutdown();
      })();
      return stopped;
    },
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
