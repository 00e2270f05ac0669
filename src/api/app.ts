/**
 * The Hono application: every REST route, the OpenAPI document and docs, auth, CORS, body limit and
 * the one error shape. It reads everything through a ServiceContext.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ServiceUnavailableError, type ServiceContext } from "../service/context.ts";
import { requireToken } from "./auth.ts";
import type { AuthFailureLimiter } from "./rate-limit.ts";
import { mountDocs } from "./docs.ts";
import { defaultHook, errorBody } from "./errors.ts";
import { analyticsRoutes } from "./routes/analytics.ts";
import { captureRoutes } from "./routes/capture.ts";
import { pcapRoutes } from "./routes/pcap.ts";
import { devicePageRoutes } from "./routes/device-page.ts";
import { deviceRoutes } from "./routes/devices.ts";
import { flowRoutes } from "./routes/flows.ts";
import { healthRoutes } from "./routes/health.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { notificationRoutes } from "./routes/notifications.ts";
import type { Notifications } from "../notify/index.ts";
import { rootRoutes, type HtmlRoot } from "./routes/root.ts";
import { threatRoutes } from "./routes/threats.ts";

/** Request bodies are tiny JSON objects (capture start); anything bigger is refused. */
export const MAX_BODY_BYTES = 16 * 1024;
/** Routes under /api that need no token. */
export const OPEN_API_PATHS: ReadonlySet<string> = new Set(["/api/health"]);

export interface AppOptions {
  token: string;
  /** Origins allowed to call the API from a browser; empty: same origin only; ["*"]: any. */
  allowedOrigins?: string[];
  /** The live view page for browsers asking GET / for text/html. */
  htmlRoot?: HtmlRoot;
  /** Mounts routes ahead of the API's (the web module's live view and its assets). */
  mount?: (app: OpenAPIHono) => void;
  /** Failed-auth counts per address; shared with the WebSocket upgrade when given. */
  authLimiter?: AuthFailureLimiter;
  /** GET /metrics (Prometheus), behind the token; absent: no such route. */
  metrics?: () => Promise<string>;
  /** The notification channels (POST /api/notifications/test, GET /api/notifications). */
  notifications?: Notifications | null;
}

export function createApp(ctx: ServiceContext, opts: AppOptions) {
  const app = new OpenAPIHono({ defaultHook });
  const origins = opts.allowedOrigins ?? [];
  if (origins.length) {
    app.use("*", cors({
      origin: origins.includes("*") ? "*" : origins,
      allowHeaders: ["Authorization", "Content-Type"],
      allowMethods: ["GET", "POST", "PATCH", "OPTIONS"],
      maxAge: 600,
    }));
  }
  app.use("/api/*", bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json(errorBody("payload_too_large", `request body is larger than ${MAX_BODY_BYTES} bytes`, { maxBytes: MAX_BODY_BYTES }), 413),
  }));
  const auth = requireToken(opts.token, OPEN_API_PATHS, opts.authLimiter);
  app.use("/api/*", auth);
  app.use("/api/*", requireJsonBody);
  if (opts.metrics) app.use("/metrics", auth);

  opts.mount?.(app);
  app.route("/", rootRoutes(ctx, opts.htmlRoot));
  app.route("/", healthRoutes(ctx));
  app.route("/", deviceRoutes(ctx));
  app.route("/", devicePageRoutes(ctx));
  app.route("/", flowRoutes(ctx));
  app.route("/", threatRoutes(ctx));
  app.route("/", analyticsRoutes(ctx));
  app.route("/", captureRoutes(ctx));
  app.route("/", pcapRoutes(ctx));
  if (opts.metrics) app.route("/", metricsRoutes(opts.metrics));
  app.route("/", notificationRoutes(opts.notifications ?? null));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "The API token: API_TOKEN, or the one generated on first start (stored beside the database as <db>.token)",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "NetInsight API",
      version: ctx.version,
      description: "Flows, devices, threats, analytics and capture control of a NetInsight box. Live updates: WebSocket `/ws?token=...`.",
    },
    tags: [
      { name: "service" }, { name: "flows" }, { name: "devices" }, { name: "threats" }, { name: "analytics" }, { name: "capture" }, { name: "notifications" },
    ],
  });
  mountDocs(app);

  const allowedMethods = methodsByPath(app);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length === 0) return c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`, { method: c.req.method, path: c.req.path }), 404);
    return c.json(errorBody("method_not_allowed", `${c.req.path} answers ${allowed.join(", ")}, not ${c.req.method}`, { method: c.req.method, allowed }),
      405, { allow: allowed.join(", ") });
  });
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      const status = err.status;
      return c.json(errorBody(HTTP_ERROR_CODES[status] ?? "http_error", err.message || "request failed", { status }), status);
    }
    if (err instanceof ServiceUnavailableError) return c.json(errorBody("unavailable", err.message, { retry: true }), 503, { "retry-after": "2" });
    console.error(`api: ${c.req.method} ${c.req.path} failed: ${(err as Error).message}`);
    return c.json(errorBody("internal_error", "internal error"), 500);
  });
  return app;
}

/** Error codes for statuses a middleware may raise as an HTTPException. */
const HTTP_ERROR_CODES: Record<number, string> = {
  400: "invalid_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
  415: "unsupported_media_type", 429: "too_many_requests",
};

/**
 * Request bodies are JSON: anything else sent to the API is 415, not silently read as "no body".
 * "Content-Type: application/json" with an empty body (a bare fetch POST) means "no options", not bad JSON.
 */
const requireJsonBody: MiddlewareHandler = async (c, next) => {
  const hasBody = c.req.raw.body !== null && c.req.header("content-length") !== "0";
  if (!hasBody && c.req.header("content-type")) {
    const headers = new Headers(c.req.raw.headers);
    headers.delete("content-type");
    c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers });
  }
  if (!hasBody || c.req.method === "GET" || c.req.method === "HEAD") return next();
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return next();
  return c.json(errorBody("unsupported_media_type", `request bodies must be application/json, not ${type || "untyped"}`,
    { contentType: type || null, accepted: ["application/json"] }), 415);
};

/** The methods the app answers on a path (for 405 and Allow), from its route table; [] when none. */
function methodsByPath(app: OpenAPIHono): (path: string) => string[] {
  let table: { re: RegExp; method: string }[] | null = null;
  return (path) => {
    table ??= app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => ({ method: r.method, re: routeRegex(r.path) }));
    const methods = new Set(table.filter((r) => r.re.test(path)).map((r) => r.method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}

export type App = ReturnType<typeof createApp>;

/** A Hono route path ("/api/devices/:device_id", "/x/:a{b|c}", "/assets/*") as a RegExp over whole paths. */
function routeRegex(path: string): RegExp {
  const segment = (part: string) => {
    if (part === "*") return ".*";
    const param = /^:\w+(?:\{(.+)\})?(\?)?$/.exec(part);
    if (param) return param[1] ? `(?:${param[1]})` : "[^/]+";
    return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  };
  return new RegExp(`^${path.split("/").map(segment).join("/")}/?$`);
}
