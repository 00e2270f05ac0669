/** Capture control: GET /api/capture/status, POST /api/capture/start, POST /api/capture/stop. */
import { createRoute } from "@hono/zod-openapi";
import { CaptureConflictError, CaptureStartError, type ServiceContext } from "../../service/context.ts";
import { toApiCaptureStatus } from "../convert.ts";
import { apiError, AUTH_ERRORS, errorResponse, jsonResponse, newRouter } from "../errors.ts";
import { CaptureStartSchema, CaptureStatusSchema } from "../schemas.ts";

const security = [{ bearerAuth: [] }];

const statusRoute = createRoute({
  method: "get",
  path: "/api/capture/status",
  tags: ["capture"],
  summary: "Capture status: interface or file, running, since, packets, drops, rates",
  security,
  responses: { 200: jsonResponse(CaptureStatusSchema, "Capture status"), ...AUTH_ERRORS },
});

const startRoute = createRoute({
  method: "post",
  path: "/api/capture/start",
  tags: ["capture"],
  summary: "Start live capture (optionally on another interface or with a BPF filter)",
  security,
  request: { body: { content: { "application/json": { schema: CaptureStartSchema } }, required: false } },
  responses: {
    200: jsonResponse(CaptureStatusSchema, "Capture started"),
    409: errorResponse("Capture is already running"),
    503: errorResponse("Capture cannot start here (permission, libpcap); the message says what to do"),
    ...AUTH_ERRORS,
  },
});

const stopRoute = createRoute({
  method: "post",
  path: "/api/capture/stop",
  tags: ["capture"],
  summary: "Stop capture (the API keeps serving history)",
  security,
  responses: { 200: jsonResponse(CaptureStatusSchema, "Capture stopped"), 409: errorResponse("Capture is not running"), ...AUTH_ERRORS },
});

export function captureRoutes(ctx: ServiceContext) {
  const router = newRouter();
  router.openapi(statusRoute, async (c) => c.json(toApiCaptureStatus(await ctx.capture.status()), 200));
  router.openapi(startRoute, async (c) => {
    const body = (c.req.valid("json") ?? {}) as { interface?: string; filter?: string };
    try {
      return c.json(toApiCaptureStatus(await ctx.capture.start(body)), 200);
    } catch (err) {
      if (err instanceof CaptureConflictError) return apiError(c, 409, "conflict", err.message);
      if (err instanceof CaptureStartError) {
        // 400 (unknown interface, bad filter) or 503 (no permission, no libpcap); typed as the 503 entry.
        return apiError(c, err.status as 503, err.code, err.message);
      }
      throw err;
    }
  });
  router.openapi(stopRoute, async (c) => {
    try {
      return c.json(toApiCaptureStatus(await ctx.capture.stop()), 200);
    } catch (err) {
      if (err instanceof CaptureConflictError) return apiError(c, 409, "conflict", err.message);
      throw err;
    }
  });
  return router;
}
