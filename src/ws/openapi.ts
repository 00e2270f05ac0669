/**
 * The `/ws` feed in the OpenAPI document: the upgrade request, its errors, and every message schema
 * (the same zod schemas the hub and the tests use) as components.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  CaptureMessageSchema, ClientMessageSchema, DeviceMessageSchema, ErrorMessageSchema, FlowMessageSchema,
  HelloMessageSchema, LIVE_TOPICS, PongMessageSchema, StatsMessageSchema, SubscribedMessageSchema, ThreatMessageSchema,
} from "./messages.ts";

export const LIVE_FEED_DESCRIPTION = `
Live updates over a WebSocket. Authenticate with \`?token=<API token>\` (browsers cannot set headers on a
WebSocket), \`Authorization: Bearer <token>\`, or the subprotocol pair \`["bearer", "<token>"]\`. A wrong or
missing token is refused with 401 before the upgrade.

Every message is one JSON object with a \`type\`:
- \`hello\` on connect: server version and the topics this connection receives.
- \`stats\` every second: packets/s, bytes/s, active flows, devices, drops, packet and byte totals.
- \`flow\` (\`new\` / \`updated\` / \`closed\`): batches coalesced per 500 ms window, at most one entry per
  flow id (the newest data; a flow that started and ended in the window comes as \`closed\`).
- \`device\` (\`new\` / \`updated\`), \`threat\` (\`new\` / \`updated\` / \`dismissed\`): one per entity per window.
- \`capture\` (\`started\` / \`stopped\` / \`error\`) with the capture status.
- \`subscribed\`, \`pong\`, \`error\`: answers to client messages.

Topics: ${LIVE_TOPICS.map((t) => `\`${t}\``).join(", ")}. A new connection gets all of them, or the ones in
\`?topics=stats,threat\`. The first \`{"subscribe": [...]}\` replaces "all" with the named topics; later
ones add; \`{"unsubscribe": [...]}\` removes. \`{"type": "ping"}\` is answered with \`pong\`.

Slow clients: past the per-client buffer limit (4 MB by default) messages for that client are dropped;
a client whose backlog stays above it for 10 s is closed with code 1008.
`.trim();

export function registerLiveFeedDocs(app: OpenAPIHono): void {
  const r = app.openAPIRegistry;
  const messages = [
    r.register("LiveHelloMessage", HelloMessageSchema),
    r.register("LiveStatsMessage", StatsMessageSchema),
    r.register("LiveFlowMessage", FlowMessageSchema),
    r.register("LiveDeviceMessage", DeviceMessageSchema),
    r.register("LiveThreatMessage", ThreatMessageSchema),
    r.register("LiveCaptureMessage", CaptureMessageSchema),
    r.register("LiveSubscribedMessage", SubscribedMessageSchema),
    r.register("LivePongMessage", PongMessageSchema),
    r.register("LiveErrorMessage", ErrorMessageSchema),
  ] as const;
  const clientMessage = r.register("LiveClientMessage", ClientMessageSchema);
  const error = { content: { "application/json": { schema: z.object({ error: z.object({ code: z.string(), message: z.string() }) }) } } };

  r.registerPath({
    method: "get",
    path: "/ws",
    tags: ["live"],
    summary: "Live feed (WebSocket): stats, flows, devices, threats, capture events",
    description: LIVE_FEED_DESCRIPTION,
    request: {
      query: z.object({
        token: z.string().optional().describe("the API token (or use the Authorization header / bearer subprotocol)"),
        topics: z.string().optional().describe(`comma-separated subset of: ${LIVE_TOPICS.join(", ")}`),
      }),
    },
    responses: {
      101: {
        description: "Switching to WebSocket. Server messages are these; client messages are LiveClientMessage.",
        content: { "application/json": { schema: z.union([...messages, clientMessage]) } },
      },
      401: { description: "Missing or invalid token", ...error },
      426: { description: "Not a WebSocket upgrade request", ...error },
    },
  });
}
