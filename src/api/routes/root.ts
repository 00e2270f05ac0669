/**
 * GET /: service info as JSON; browsers (Accept prefers text/html) get the live view page when the
 * web module provides one.
 */
import { createRoute } from "@hono/zod-openapi";
import type { ServiceContext } from "../../service/context.ts";
import { iso } from "../convert.ts";
import { jsonResponse, newRouter } from "../errors.ts";
import { ServiceInfoSchema } from "../schemas.ts";

export type HtmlRoot = () => Response | Promise<Response>;

const rootRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["service"],
  summary: "Service information (browsers asking for text/html get the live view)",
  responses: {
    200: {
      description: "Service information; text/html for browsers",
      content: { "application/json": { schema: ServiceInfoSchema }, "text/html": { schema: { type: "string" } } },
    },
  },
});

/** True when the Accept header ranks text/html above JSON (browsers), false for API clients and curl. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  let html = -1;
  let json = -1;
  for (const part of accept.split(",")) {
    const [type, ...params] = part.trim().toLowerCase().split(";");
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) || 0 : 1;
    if (type === "text/html" || type === "application/xhtml+xml") html = Math.max(html, q);
    if (type === "application/json") json = Math.max(json, q);
  }
  return html > 0 && html >= json;
}

export function rootRoutes(ctx: ServiceContext, htmlRoot?: HtmlRoot) {
  const router = newRouter();
  router.openapi(rootRoute, async (c) => {
    if (htmlRoot && prefersHtml(c.req.header("accept"))) return (await htmlRoot()) as never;
    return c.json({
      name: "NetInsight" as const,
      version: ctx.version,
      description: "Home / small-office network traffic analyzer: flows, devices, threats and live statistics",
      startedAt: iso(ctx.startedAt / 1000),
      endpoints: {
        health: "/api/health", devices: "/api/devices", flows: "/api/flows", threats: "/api/threats",
        analytics: "/api/analytics", protocols: "/api/protocols", capture: "/api/capture/status",
        websocket: "/ws", openapi: "/openapi.json", docs: "/docs", redoc: "/redoc",
      },
    }, 200);
  });
  return router;
}
