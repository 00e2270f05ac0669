/** GET /api/threats and POST /api/threats/{threat_id}/dismiss. */
import { createRoute, z } from "@hono/zod-openapi";
import type { ServiceContext } from "../../service/context.ts";
import { toApiThreat } from "../convert.ts";
import { apiError, AUTH_ERRORS, errorResponse, jsonResponse, newRouter } from "../errors.ts";
import { SeveritySchema, ThreatListSchema, ThreatSchema } from "../schemas.ts";
import { MAX_LIMIT } from "./flows.ts";

const BoolParam = z.enum(["true", "false", "1", "0"], { error: "must be true or false" }).transform((v) => v === "true" || v === "1");

export const ThreatQuerySchema = z.object({
  active_only: BoolParam.optional().openapi({ type: "string", enum: ["true", "false"], example: "true" }),
  severity: SeveritySchema.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(100).openapi({ example: 100 }),
});

const security = [{ bearerAuth: [] }];
const IdParam = z.object({
  threat_id: z.string().min(1).max(200).openapi({ param: { name: "threat_id", in: "path" }, example: "port_scan-192.168.1.66-192.168.1.10" }),
});

const listRoute = createRoute({
  method: "get",
  path: "/api/threats",
  tags: ["threats"],
  summary: "Threats, most recent first",
  security,
  request: { query: ThreatQuerySchema },
  responses: { 200: jsonResponse(ThreatListSchema, "Threats"), ...AUTH_ERRORS },
});

const dismissRoute = createRoute({
  method: "post",
  path: "/api/threats/{threat_id}/dismiss",
  tags: ["threats"],
  summary: "Dismiss a threat (it stays in history with status dismissed)",
  security,
  request: { params: IdParam },
  responses: { 200: jsonResponse(ThreatSchema, "The dismissed threat"), 404: errorResponse("No such threat"), ...AUTH_ERRORS },
});

export function threatRoutes(ctx: ServiceContext) {
  const router = newRouter();
  router.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const threats = (await ctx.threats.list({ activeOnly: q.active_only ?? false, severity: q.severity, limit: q.limit })).map(toApiThreat);
    return c.json({ threats, count: threats.length }, 200);
  });
  router.openapi(dismissRoute, async (c) => {
    const { threat_id } = c.req.valid("param");
    const t = await ctx.threats.dismiss(threat_id);
    if (!t) return apiError(c, 404, "not_found", `no threat with id ${threat_id}`);
    return c.json(toApiThreat(t), 200);
  });
  return router;
}
