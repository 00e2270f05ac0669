/** GET /api/flows (live and stored flows, newest first) and /api/flows/{flow_id}. */
import { createRoute, z } from "@hono/zod-openapi";
import type { TypedResponse } from "hono";
import { intParam } from "../params.ts";
import type { FlowRecord } from "../../flows/record.ts";
import type { ServiceContext } from "../../service/context.ts";
import { toApiFlow } from "../convert.ts";
import { apiError, AUTH_ERRORS, errorResponse, jsonResponse, newRouter } from "../errors.ts";
import { FlowListSchema, FlowSchema } from "../schemas.ts";

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;
/** Deep paging reads offset + limit rows; past this, narrow the query with `since` instead. */
export const MAX_OFFSET = 100_000;

const PROTOCOLS = ["TCP", "UDP", "ICMP", "ICMPv6", "ARP", "IGMP", "GRE", "ESP", "SCTP", "OTHER"] as const;
const byUpper = new Map<string, (typeof PROTOCOLS)[number]>(PROTOCOLS.map((p) => [p.toUpperCase(), p]));

/** An ISO-8601 time or epoch seconds, to epoch seconds. */
const SinceSchema = z.string().transform((s, ctx) => {
  const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : Date.parse(s) / 1000;
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: "custom", message: "must be an ISO-8601 time (2026-11-25T18:00:00Z) or epoch seconds" });
    return z.NEVER;
  }
  return n;
});

export const FlowQuerySchema = z.object({
  limit: intParam(1, MAX_LIMIT).default(DEFAULT_LIMIT).openapi({ example: 100 }),
  offset: intParam(0, MAX_OFFSET).default(0).openapi({ example: 0 }),
  device_id: z.string().min(1).max(64).optional().openapi({ example: "a4c3f0123456" }),
  status: z.enum(["active", "closed"]).optional(),
  protocol: z.string().transform((p, ctx) => {
    const v = byUpper.get(p.toUpperCase());
    if (!v) ctx.addIssue({ code: "custom", message: `must be one of ${PROTOCOLS.join(", ")}` });
    return v ?? z.NEVER;
  }).optional().openapi({ type: "string", enum: [...PROTOCOLS], example: "TCP" }),
  ip: z.union([z.ipv4(), z.ipv6()], { error: "must be an IPv4 or IPv6 address" }).optional().openapi({ example: "192.168.1.23" }),
  since: SinceSchema.optional().openapi({ type: "string", example: "2026-11-25T18:00:00Z", description: "flows seen at or after (ISO-8601 or epoch seconds)" }),
  q: z.string().trim().min(1).max(100).optional().openapi({ example: "youtube", description: "part of an address, MAC, host name, application or service (case-insensitive)" }),
  sort: z.enum(["last_seen", "bytes"]).optional().openapi({ example: "bytes", description: "newest first (default) or biggest first" }),
});

const security = [{ bearerAuth: [] }];

const listRoute = createRoute({
  method: "get",
  path: "/api/flows",
  tags: ["flows"],
  summary: "Flows, newest first: active flows from the live table merged with stored history",
  security,
  request: { query: FlowQuerySchema },
  responses: { 200: jsonResponse(FlowListSchema, "A page of flows"), ...AUTH_ERRORS },
});

const getRoute = createRoute({
  method: "get",
  path: "/api/flows/{flow_id}",
  tags: ["flows"],
  summary: "One flow",
  security,
  request: {
    params: z.object({
      flow_id: z.string().regex(/^\d{1,15}$/, { error: "must be a flow id (digits)" }).openapi({ param: { name: "flow_id", in: "path" }, example: "1042" }),
    }),
  },
  responses: { 200: jsonResponse(FlowSchema, "The flow"), 404: errorResponse("No such flow"), ...AUTH_ERRORS },
});

/** A page's JSON and the records it was made from. */
interface PageBody { records: readonly FlowRecord[]; limit: number; offset: number; json: string }

/**
 * The body of a flows page, made again only when the page holds other records than last time. Many
 * clients polling the newest page get the same record objects (the HTTP thread's live snapshot and
 * its reader's page cache) until a write or the next snapshot, and a flow record is never changed
 * once made (a newer version is a new record), so the same records in the same order make the same
 * JSON: toApiFlow and JSON.stringify of 100 flows were most of such a request.
 */
export function pageBodies(): (records: readonly FlowRecord[], limit: number, offset: number) => string {
  let last: PageBody | null = null;
  return (records, limit, offset) => {
    if (last && last.limit === limit && last.offset === offset && sameRecords(last.records, records)) return last.json;
    const flows = records.map(toApiFlow);
    const json = JSON.stringify({ flows, limit, offset, count: flows.length });
    last = { records, limit, offset, json };
    return json;
  };
}

function sameRecords(a: readonly FlowRecord[], b: readonly FlowRecord[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function flowRoutes(ctx: ServiceContext) {
  const router = newRouter();
  const body = pageBodies();
  router.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const records = await ctx.flows.list({
      limit: q.limit, offset: q.offset, deviceId: q.device_id, status: q.status, protocol: q.protocol, ip: q.ip, since: q.since,
      q: q.q, sort: q.sort,
    });
    // The FlowListSchema shape, written as c.json would write it (the same bytes and content type).
    const res = c.body(body(records, q.limit, q.offset), 200, { "content-type": "application/json" });
    return res as unknown as TypedResponse<z.infer<typeof FlowListSchema>, 200, "json">;
  });
  router.openapi(getRoute, async (c) => {
    const { flow_id } = c.req.valid("param");
    const f = await ctx.flows.get(flow_id);
    if (!f) return apiError(c, 404, "not_found", `no flow with id ${flow_id}`);
    return c.json(toApiFlow(f), 200);
  });
  return router;
}
