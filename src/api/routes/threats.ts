/** GET /api/threats and POST /api/threats/{threat_id}/dismiss. */
import { createRoute, z } from "@hono/zod-openapi";
import { intParam } from "../params.ts";
import type { ServiceContext } from "../../service/context.ts";
import { toApiThreat } from "../convert.ts";
import { apiError, AUTH_ERRORS, errorResponse, jsonResponse, newRouter } from "../errors.ts";
import { SeveritySchema, ThreatListSchema, ThreatSchema } from "../schemas.ts";
import { MAX_LIMIT } from "./flows.ts";
import { clientAddress } from "../rate-limit.ts";

const BoolParam = z.enum(["true", "false", "1", "0"], { error: "must be true or false" }).transform((v) => v === "true" || v === "1");

const THREAT_SORTS = ["last_seen", "first_seen", "severity", "count"] as const;
const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export const ThreatQuerySchema = z.object({
  active_only: BoolParam.optional().openapi({ type: "string", enum: ["true", "false"], example: "true" }),
  severity: SeveritySchema.optional(),
  limit: intParam(1, MAX_LIMIT).default(100).openapi({ example: 100 }),
  status: z.enum(["active", "dismissed"]).optional().openapi({ example: "dismissed" }),
  device_id: z.string().min(1).max(64).optional().openapi({ example: "a4c3f0123456", description: "threats from or about this device" }),
  q: z.string().trim().min(1).max(100).optional().openapi({ example: "scan", description: "part of the title, description, type, an address or who dismissed it" }),
  sort: z.enum(THREAT_SORTS).optional().openapi({ example: "severity", description: "last_seen (default), first_seen, severity (worst first) or count" }),
});

const DismissBody = z.object({
  by: z.string().trim().min(1).max(64).optional().openapi({ example: "live view", description: "who dismisses; default: the client's address" }),
}).strict().openapi("ThreatDismiss");

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
  request: { params: IdParam, body: { required: false, content: { "application/json": { schema: DismissBody } } } },
  responses: { 200: jsonResponse(ThreatSchema, "The dismissed threat"), 404: errorResponse("No such threat"), ...AUTH_ERRORS },
});

export function threatRoutes(ctx: ServiceContext) {
  const router = newRouter();
  router.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const filtered = q.status !== undefined || q.device_id !== undefined || q.q !== undefined || q.sort !== undefined;
    // Filters apply to every record the store keeps, then the limit.
    let threats = (await ctx.threats.list({ activeOnly: q.active_only ?? false, severity: q.severity, limit: filtered ? undefined : q.limit })).map(toApiThreat);
    if (q.status) threats = threats.filter((t) => t.status === q.status);
    if (q.device_id) {
      const d = await ctx.devices.get(q.device_id);
      const ips = new Set(d?.ips ?? []);
      threats = threats.filter((t) => t.deviceId === q.device_id || (t.sourceIp && ips.has(t.sourceIp)) || (t.targetIp && ips.has(t.targetIp)));
    }
    if (q.q) {
      const needle = q.q.toLowerCase();
      threats = threats.filter((t) => [t.title, t.description, t.type, t.sourceIp, t.targetIp, t.sourceMac, t.dismissedBy].join(" ").toLowerCase().includes(needle));
    }
    if (q.sort === "first_seen") threats.sort((a, b) => b.firstSeen.localeCompare(a.firstSeen));
    if (q.sort === "severity") threats.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.lastSeen.localeCompare(a.lastSeen));
    if (q.sort === "count") threats.sort((a, b) => b.count - a.count || b.lastSeen.localeCompare(a.lastSeen));
    threats = threats.slice(0, q.limit);
    return c.json({ threats, count: threats.length }, 200);
  });
  router.openapi(dismissRoute, async (c) => {
    const { threat_id } = c.req.valid("param");
    const body = c.req.header("content-type")?.includes("application/json") ? c.req.valid("json") : {};
    const t = await ctx.threats.dismiss(threat_id, body?.by ?? clientAddress(c) ?? "api");
    if (!t) return apiError(c, 404, "not_found", `no threat with id ${threat_id}`);
    return c.json(toApiThreat(t), 200);
  });
  return router;
}
