/** GET /api/health: liveness and what is wrong, without a token (for monitors and the install check). */
import { createRoute } from "@hono/zod-openapi";
import type { ServiceContext } from "../../service/context.ts";
import { toApiHealth } from "../convert.ts";
import { jsonResponse, newRouter } from "../errors.ts";
import { HealthSchema } from "../schemas.ts";

const healthRoute = createRoute({
  method: "get",
  path: "/api/health",
  tags: ["service"],
  summary: "Service health (no token needed)",
  responses: { 200: jsonResponse(HealthSchema, "Health, with a list of problems when degraded") },
});

export function healthRoutes(ctx: ServiceContext) {
  const router = newRouter();
  router.openapi(healthRoute, (c) => c.json(toApiHealth(ctx.health()), 200));
  return router;
}
