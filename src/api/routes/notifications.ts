/** Notifications: POST /api/notifications/test (send one now, per channel result), GET /api/notifications (status, recent). */
import { createRoute, z } from "@hono/zod-openapi";
import type { Notifications } from "../../notify/index.ts";
import { apiError, AUTH_ERRORS, errorResponse, jsonResponse, newRouter } from "../errors.ts";
import { toApiChannel } from "../convert.ts";
import { ChannelStatusSchema } from "../schemas.ts";

const security = [{ bearerAuth: [] }];
const isoMs = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());




const TestResultSchema = z.object({
  results: z.array(z.object({ channel: z.string(), ok: z.boolean(), error: z.string().nullable() })),
}).openapi("NotificationTest", { example: { results: [{ channel: "webhook:ntfy:ntfy.sh", ok: true, error: null }] } });

const NotificationsSchema = z.object({
  channels: z.array(ChannelStatusSchema),
  recent: z.array(z.object({
    id: z.number().int(), channel: z.string(), kind: z.string(), severity: z.string(), title: z.string(), count: z.number().int(),
    status: z.enum(["pending", "delivered", "abandoned"]), attempts: z.number().int(), created: z.string(), delivered: z.string().nullable(),
    nextAttempt: z.string().nullable(), lastError: z.string().nullable(), suppressed: z.number().int(),
  })),
}).openapi("Notifications");

const testRoute = createRoute({
  method: "post",
  path: "/api/notifications/test",
  tags: ["notifications"],
  summary: "Send a test notification to every channel now and report each result",
  security,
  responses: {
    200: jsonResponse(TestResultSchema, "One result per channel (ok false: the error says why)"),
    409: errorResponse("No notification channel is configured"),
    ...AUTH_ERRORS,
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/api/notifications",
  tags: ["notifications"],
  summary: "Notification channels with their delivery status, and the newest outbox entries",
  security,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
  responses: { 200: jsonResponse(NotificationsSchema, "Channels and recent notifications"), ...AUTH_ERRORS },
});

export function notificationRoutes(n: Notifications | null) {
  const router = newRouter();
  router.openapi(testRoute, async (c) => {
    if (!n || n.notifier.channels.length === 0) {
      return apiError(c, 409, "no_channels", "no notification channel is configured: set ALERT_WEBHOOKS, MQTT_URL, SYSLOG_URL or ALERT_FILE");
    }
    return c.json({ results: await n.test() }, 200);
  });
  router.openapi(listRoute, (c) => {
    const { limit } = c.req.valid("query");
    const recent = (n?.notifier.recent(limit) ?? []).map((r) => {
      const a = JSON.parse(r.alert) as { title: string; count: number };
      return {
        id: r.id, channel: r.channel, kind: r.kind, severity: r.severity, title: a.title, count: a.count, status: r.status,
        attempts: r.attempts, created: isoMs(r.created_at)!, delivered: isoMs(r.delivered_at),
        nextAttempt: r.status === "pending" ? isoMs(r.next_attempt_at) : null, lastError: r.last_error, suppressed: r.suppressed,
      };
    });
    return c.json({ channels: (n?.status() ?? []).map(toApiChannel), recent }, 200);
  });
  return router;
}
