/** GET /api/devices (search, sort) and /api/devices/{device_id}: devices on the local segment with their evidence. */
import { createRoute, z } from "@hono/zod-openapi";
import type { ServiceContext } from "../../service/context.ts";
import { toApiDevice } from "../convert.ts";
import { apiError, AUTH_ERRORS, errorResponse, jsonResponse, newRouter } from "../errors.ts";
import { DeviceListSchema, DeviceSchema, type ApiDevice } from "../schemas.ts";

const DEVICE_SORTS = ["last_seen", "first_seen", "name", "ip", "bytes", "flows"] as const;
type DeviceSort = (typeof DEVICE_SORTS)[number];

export const DeviceQuerySchema = z.object({
  q: z.string().trim().min(1).max(100).optional().openapi({ example: "iphone", description: "part of the name (yours or the guess), host name, address, MAC, vendor, type, OS or notes" }),
  sort: z.enum(DEVICE_SORTS).optional().openapi({ example: "name", description: "last_seen (default, newest first), first_seen (newest first), name, ip, bytes or flows (biggest first)" }),
  known: z.enum(["true", "false"], { error: "must be true or false" }).transform((v) => v === "true").optional().openapi({ type: "string", enum: ["true", "false"], example: "false" }),
});

/** The text a device is searched by, lower-case. */
function deviceText(d: ApiDevice): string {
  return [d.name.value, d.suggested.name.value, d.hostname, ...d.ips, ...d.macs, d.mac, d.vendor.value, d.type.value, d.os.value, d.notes]
    .filter(Boolean).join(" ").toLowerCase();
}

/** IPv4 addresses in numeric order, before IPv6 and devices without an address. */
function ipKey(d: ApiDevice): string {
  const v4 = d.ips.find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
  if (v4) return `0${v4.split(".").map((n) => n.padStart(3, "0")).join(".")}`;
  return d.ips[0] ? `1${d.ips[0]}` : "2";
}

const BY: Record<DeviceSort, (a: ApiDevice, b: ApiDevice) => number> = {
  last_seen: (a, b) => b.lastSeen.localeCompare(a.lastSeen),
  first_seen: (a, b) => b.firstSeen.localeCompare(a.firstSeen),
  name: (a, b) => (a.name.value ?? a.hostname ?? "\uffff").localeCompare(b.name.value ?? b.hostname ?? "\uffff", undefined, { sensitivity: "base" }),
  ip: (a, b) => ipKey(a).localeCompare(ipKey(b)),
  bytes: (a, b) => b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived),
  flows: (a, b) => b.flowCount - a.flowCount,
};

const security = [{ bearerAuth: [] }];

const listRoute = createRoute({
  method: "get",
  path: "/api/devices",
  tags: ["devices"],
  summary: "Devices seen on the network, most recently seen first (or as `sort` says), optionally searched",
  security,
  request: { query: DeviceQuerySchema },
  responses: { 200: jsonResponse(DeviceListSchema, "Devices"), ...AUTH_ERRORS },
});

const getRoute = createRoute({
  method: "get",
  path: "/api/devices/{device_id}",
  tags: ["devices"],
  summary: "One device with all its evidence",
  security,
  request: {
    params: z.object({
      device_id: z.string().min(1).max(64).openapi({ param: { name: "device_id", in: "path" }, example: "a4c3f0123456" }),
    }),
  },
  responses: { 200: jsonResponse(DeviceSchema, "The device"), 404: errorResponse("No such device"), ...AUTH_ERRORS },
});

export function deviceRoutes(ctx: ServiceContext) {
  const router = newRouter();
  router.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    let devices = (await ctx.devices.list()).map(toApiDevice);
    if (q.q) devices = devices.filter((d) => deviceText(d).includes(q.q!.toLowerCase()));
    if (q.known !== undefined) devices = devices.filter((d) => d.known === q.known);
    if (q.sort) devices.sort((a, b) => BY[q.sort!](a, b) || a.id.localeCompare(b.id));
    return c.json({ devices, count: devices.length }, 200);
  });
  router.openapi(getRoute, async (c) => {
    const { device_id } = c.req.valid("param");
    const d = await ctx.devices.get(device_id);
    if (!d) return apiError(c, 404, "not_found", `no device with id ${device_id}`);
    return c.json(toApiDevice(d), 200);
  });
  return router;
}
