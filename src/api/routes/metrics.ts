/** GET /metrics: Prometheus text exposition, behind the same bearer token as /api/*. */
import { createRoute, z } from "@hono/zod-openapi";
import { AUTH_ERRORS, newRouter } from "../errors.ts";

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["service"],
  summary: "Prometheus metrics (text exposition format 0.0.4)",
  security: [{ bearerAuth: [] }],
  responses: {
    200: {
      description: "Counters and gauges: packets, bytes, drops, flows, devices, threats, per-device bytes, storage, memory, notifications",
      content: { "text/plain": { schema: z.string().openapi({ example: "# HELP netinsight_packets_total Packets analyzed since start\n# TYPE netinsight_packets_total counter\nnetinsight_packets_total 1234\n" }) } },
    },
    ...AUTH_ERRORS,
  },
});

export function metricsRoutes(scrape: () => Promise<string>) {
  const router = newRouter();
  router.openapi(metricsRoute, async (c) => c.text(await scrape(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }));
  return router;
}
