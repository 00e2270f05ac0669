/** GET /api/health: liveness and what is wrong, without a token (for monitors and the install check). */
import { createRoute } from "@hono/zod-openapi";
import type { ServiceContext } from "../../service/context.ts";
import { isoOrNull } from "../convert.ts";
import { jsonResponse, newRouter } from "../errors.ts";
import { HealthSchema, type ApiHealth } from "../schemas.ts";

const healthRoute = createRoute({
  method: "get",
  path: "/api/health",
  tags: ["service"],
  summary: "Service health (no token needed)",
  responses: { 200: jsonResponse(HealthSchema, "Health, with a list of problems when degraded") },
});

export function healthRoutes(ctx: ServiceContext) {
  const router = newRouter();
  router.openapi(healthRoute, (c) => c.json(toApiHealth(ctx), 200));
  return router;
}

function toApiHealth(ctx: ServiceContext): ApiHealth {
  const h = ctx.health();
  return {
    status: h.problems.length ? "degraded" : "ok",
    version: h.version,
    uptimeSeconds: h.uptimeSeconds,
    captureRunning: h.captureRunning,
    database: {
      ok: h.dbOk,
      sizeBytes: h.dbSizeBytes,
      pendingRows: h.pendingRows,
      lastFlush: isoOrNull(h.lastFlushAt === null ? null : h.lastFlushAt / 1000),
      lastFlushError: h.lastFlushError,
    },
    problems: h.problems,
  };
}
