/**
 * What a device's page reads and writes: PATCH /api/devices/{device_id} (a user's name, type,
 * notes, known) and GET /api/devices/{device_id}/flows | applications | destinations | timeline.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { hoursParam } from "../params.ts";
import type { ServiceContext } from "../../service/context.ts";
import { iso, toApiDevice, toApiFlow } from "../convert.ts";
import { apiError, AUTH_ERRORS, errorResponse, jsonResponse, newRouter } from "../errors.ts";
import {
  DeviceApplicationsSchema, DeviceDestinationsSchema, DevicePatchSchema, DeviceSchema, DeviceTimelineSchema, FlowListSchema,
} from "../schemas.ts";
import { MAX_HOURS } from "./analytics.ts";
import { FlowQuerySchema } from "./flows.ts";

const security = [{ bearerAuth: [] }];
const Params = z.object({
  device_id: z.string().min(1).max(64).openapi({ param: { name: "device_id", in: "path" }, example: "a4c3f0123456" }),
});
const WindowQuery = z.object({
  hours: hoursParam(MAX_HOURS).default(24).openapi({ example: 24, description: "the window: the last `hours` of the capture's clock" }),
});
const NOT_FOUND = { 404: errorResponse("No such device") };

const patchRoute = createRoute({
  method: "patch",
  path: "/api/devices/{device_id}",
  tags: ["devices"],
  summary: "Name, type, annotate or mark a device known; fingerprinting never overwrites it (its guess stays in `suggested`)",
  security,
  request: {
    params: Params,
    body: { required: true, content: { "application/json": { schema: DevicePatchSchema } } },
  },
  responses: { 200: jsonResponse(DeviceSchema, "The device with the edit"), ...NOT_FOUND, ...AUTH_ERRORS },
});

const flowsRoute = createRoute({
  method: "get",
  path: "/api/devices/{device_id}/flows",
  tags: ["devices"],
  summary: "The device's flows (either end), newest first; the same filters as /api/flows",
  security,
  request: { params: Params, query: FlowQuerySchema.omit({ device_id: true }) },
  responses: { 200: jsonResponse(FlowListSchema, "A page of the device's flows"), ...NOT_FOUND, ...AUTH_ERRORS },
});

const applicationsRoute = createRoute({
  method: "get",
  path: "/api/devices/{device_id}/applications",
  tags: ["devices"],
  summary: "Applications the device used over the last `hours`, biggest first",
  security,
  request: { params: Params, query: WindowQuery },
  responses: { 200: jsonResponse(DeviceApplicationsSchema, "Applications"), ...NOT_FOUND, ...AUTH_ERRORS },
});

const destinationsRoute = createRoute({
  method: "get",
  path: "/api/devices/{device_id}/destinations",
  tags: ["devices"],
  summary: "Who the device talked to over the last `hours` (host names where known), biggest first",
  security,
  request: { params: Params, query: WindowQuery },
  responses: { 200: jsonResponse(DeviceDestinationsSchema, "Destinations"), ...NOT_FOUND, ...AUTH_ERRORS },
});

const timelineRoute = createRoute({
  method: "get",
  path: "/api/devices/{device_id}/timeline",
  tags: ["devices"],
  summary: "The device's traffic over the last `hours`, in buckets (every bucket present, zeros included)",
  security,
  request: { params: Params, query: WindowQuery },
  responses: { 200: jsonResponse(DeviceTimelineSchema, "Traffic over time"), ...NOT_FOUND, ...AUTH_ERRORS },
});

export function devicePageRoutes(ctx: ServiceContext) {
  const router = newRouter();
  const missing = (c: Parameters<typeof apiError>[0], id: string) => apiError(c, 404, "not_found", `no device with id ${id}`);
  const now = () => Date.now() / 1000;

  router.openapi(patchRoute, async (c) => {
    const { device_id } = c.req.valid("param");
    const d = await ctx.devices.update(device_id, c.req.valid("json"));
    if (!d) return missing(c, device_id);
    return c.json(toApiDevice(d), 200);
  });
  router.openapi(flowsRoute, async (c) => {
    const { device_id } = c.req.valid("param");
    if (!(await ctx.devices.get(device_id))) return missing(c, device_id);
    const q = c.req.valid("query");
    const flows = (await ctx.flows.list({
      limit: q.limit, offset: q.offset, deviceId: device_id, status: q.status, protocol: q.protocol, ip: q.ip, since: q.since, q: q.q, sort: q.sort,
    })).map(toApiFlow);
    return c.json({ flows, limit: q.limit, offset: q.offset, count: flows.length }, 200);
  });
  router.openapi(applicationsRoute, async (c) => {
    const { device_id } = c.req.valid("param");
    if (!(await ctx.devices.get(device_id))) return missing(c, device_id);
    const { hours } = c.req.valid("query");
    return c.json({ deviceId: device_id, hours, applications: await ctx.devices.applications(device_id, { hours, now: now() }) }, 200);
  });
  router.openapi(destinationsRoute, async (c) => {
    const { device_id } = c.req.valid("param");
    if (!(await ctx.devices.get(device_id))) return missing(c, device_id);
    const { hours } = c.req.valid("query");
    return c.json({ deviceId: device_id, hours, destinations: await ctx.devices.destinations(device_id, { hours, now: now() }) }, 200);
  });
  router.openapi(timelineRoute, async (c) => {
    const { device_id } = c.req.valid("param");
    if (!(await ctx.devices.get(device_id))) return missing(c, device_id);
    const { hours } = c.req.valid("query");
    const t = await ctx.devices.timeline(device_id, { hours, now: now() });
    return c.json({ deviceId: device_id, hours, stepSeconds: t.step, points: t.points.map((p) => ({ ...p, time: iso(p.time) })) }, 200);
  });
  return router;
}
