/**
 * The packets behind the numbers, from the on-disk packet ring (`--pcap-ring-mb`):
 * GET /api/threats/{threat_id}/pcap, /api/flows/{flow_id}/pcap, /api/devices/{device_id}/pcap?minutes=.
 * Each answers a pcapng file (Wireshark, tshark) whose section comment names what it holds.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { PcapQuery, ServiceContext } from "../../service/context.ts";
import { apiError, AUTH_ERRORS, errorResponse, newRouter } from "../errors.ts";

export const PCAPNG_TYPE = "application/x-pcapng";
const security = [{ bearerAuth: [] }];
const file = (description: string) => ({
  description,
  content: { [PCAPNG_TYPE]: { schema: z.string().openapi({ type: "string", format: "binary" }) } },
});
const RING_OFF = errorResponse("The packet ring is off (start serve with --pcap-ring-mb N / PCAP_RING_MB)");

const threatRoute = createRoute({
  method: "get",
  path: "/api/threats/{threat_id}/pcap",
  tags: ["threats"],
  summary: "The threat's packets (pcapng): the first packets of each flow involved, kept when the threat was raised",
  security,
  request: { params: z.object({ threat_id: z.string().min(1).max(200).openapi({ param: { name: "threat_id", in: "path" }, example: "port_scan-192.168.1.66-192.168.1.10" }) }) },
  responses: { 200: file("pcapng; its section comment names the threat"), 404: errorResponse("No such threat, or none of its packets were kept"), 503: RING_OFF, ...AUTH_ERRORS },
});

const flowRoute = createRoute({
  method: "get",
  path: "/api/flows/{flow_id}/pcap",
  tags: ["flows"],
  summary: "The flow's packets still in the packet ring (pcapng)",
  security,
  request: { params: z.object({ flow_id: z.string().regex(/^\d{1,15}$/, { error: "must be a flow id (digits)" }).openapi({ param: { name: "flow_id", in: "path" }, example: "1042" }) }) },
  responses: { 200: file("pcapng; its section comment names the flow"), 404: errorResponse("No such flow, or its packets have left the ring"), 503: RING_OFF, ...AUTH_ERRORS },
});

const deviceRoute = createRoute({
  method: "get",
  path: "/api/devices/{device_id}/pcap",
  tags: ["devices"],
  summary: "The packets of the device's flows over the last minutes (pcapng), as far as the ring reaches back",
  security,
  request: {
    params: z.object({ device_id: z.string().min(1).max(64).openapi({ param: { name: "device_id", in: "path" }, example: "a4c3f0123456" }) }),
    query: z.object({ minutes: z.coerce.number().int().min(1).max(1440).default(10).openapi({ example: 10, description: "how far back, 1 to 1440 (default 10)" }) }),
  },
  responses: { 200: file("pcapng; its section comment names the device and the window"), 404: errorResponse("No such device, or no packets of it in the ring"), 503: RING_OFF, ...AUTH_ERRORS },
});

const WHAT = { threat: "threat", flow: "flow", device: "device" } as const;

async function answer(c: Context, ctx: ServiceContext, q: PcapQuery) {
  if (!ctx.packets) return apiError(c, 503, "pcap_ring_off", "the packet ring is off: start serve with --pcap-ring-mb N (PCAP_RING_MB) to keep recent packets");
  const r = await ctx.packets.download(q);
  if (r.status === "unknown") return apiError(c, 404, "not_found", `no ${WHAT[q.kind]} ${q.id}`);
  if (r.status === "empty") return apiError(c, 404, "no_packets", `no packets of ${WHAT[q.kind]} ${q.id} are in the packet ring (they came before it, or it wrapped)`);
  return c.body(r.bytes as Uint8Array<ArrayBuffer>, 200, {
    "content-type": PCAPNG_TYPE,
    "content-disposition": `attachment; filename="${r.filename}"`,
  });
}

export function pcapRoutes(ctx: ServiceContext) {
  const router = newRouter();
  router.openapi(threatRoute, (c) => answer(c, ctx, { kind: "threat", id: c.req.valid("param").threat_id }) as never);
  router.openapi(flowRoute, (c) => answer(c, ctx, { kind: "flow", id: c.req.valid("param").flow_id }) as never);
  router.openapi(deviceRoute, (c) => {
    const { device_id } = c.req.valid("param");
    return answer(c, ctx, { kind: "device", id: device_id, minutes: c.req.valid("query").minutes }) as never;
  });
  return router;
}
