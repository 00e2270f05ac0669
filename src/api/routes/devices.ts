/** GET /api/devices and /api/devices/{device_id}: devices on the local segment with their evidence. */
import { createRoute, z } from "@hono/zod-openapi";
import type { ServiceContext } from "../../service/context.ts";
import { toApiDevice } from "../convert.ts";
import { apiError, AUTH_ERRORS, errorResponse, jsonResponse, newRouter } from "../errors.ts";
import { DeviceListSchema, DeviceSchema } from "../schemas.ts";

const security = [{ bearerAuth: [] }];

const listRoute = createRoute({
  method: "get",
  path: "/api/devices",
  tags: ["devices"],
  summary: "Devices seen on the network, most recently seen first",
  security,
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
    const devices = (await ctx.devices.list()).map(toApiDevice);
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
