/** GET /api/analytics?hours=N and GET /api/protocols: rollups over a time window. */
import { createRoute, z } from "@hono/zod-openapi";
import { hoursParam } from "../params.ts";
import type { ServiceContext } from "../../service/context.ts";
import { AUTH_ERRORS, jsonResponse, newRouter } from "../errors.ts";
import { AnalyticsSchema, ProtocolsSchema } from "../schemas.ts";

export const MAX_HOURS = 24 * 366;

const Hours = hoursParam(MAX_HOURS);
const security = [{ bearerAuth: [] }];

const analyticsRoute = createRoute({
  method: "get",
  path: "/api/analytics",
  tags: ["analytics"],
  summary: "Throughput over time, top talkers, applications and destinations over the last `hours`",
  security,
  request: { query: z.object({ hours: Hours.default(24).openapi({ example: 24 }) }) },
  responses: { 200: jsonResponse(AnalyticsSchema, "Analytics for the window"), ...AUTH_ERRORS },
});

const protocolsRoute = createRoute({
  method: "get",
  path: "/api/protocols",
  tags: ["analytics"],
  summary: "Traffic by service and application (over the last `hours`, or all stored history)",
  security,
  request: { query: z.object({ hours: Hours.optional().openapi({ example: 24 }) }) },
  responses: { 200: jsonResponse(ProtocolsSchema, "Protocol distribution"), ...AUTH_ERRORS },
});

export function analyticsRoutes(ctx: ServiceContext) {
  const router = newRouter();
  router.openapi(analyticsRoute, async (c) => {
    const { hours } = c.req.valid("query");
    return c.json(await ctx.analytics({ hours, now: Date.now() / 1000 }), 200);
  });
  router.openapi(protocolsRoute, async (c) => {
    const { hours } = c.req.valid("query");
    return c.json(await ctx.protocols({ hours, now: Date.now() / 1000 }), 200);
  });
  return router;
}
