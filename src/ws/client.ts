/**
 * What a `/ws` client may ask: subscribe / unsubscribe to topics and ping. Everything else gets an
 * `error` message; the connection stays open so a client bug does not look like a network failure.
 */
import type { ServerWebSocket } from "bun";
import type { LiveClientData } from "./hub.ts";
import { ClientMessageSchema, LIVE_TOPICS, LiveTopicSchema, type LiveTopic, type ServerMessage } from "./messages.ts";

function send(ws: ServerWebSocket<LiveClientData>, msg: ServerMessage): void {
  ws.send(JSON.stringify(msg));
}

function sendError(ws: ServerWebSocket<LiveClientData>, message: string): void {
  send(ws, { type: "error", error: { code: "bad_request", message } });
}

/** `?topics=stats,threat` at connect time; undefined when absent (meaning: all topics). */
export function parseTopicsParam(param: string | null): LiveTopic[] | undefined {
  if (param === null) return undefined;
  return param
    .split(",")
    .map((t) => LiveTopicSchema.safeParse(t.trim()))
    .flatMap((r) => (r.success ? [r.data] : []));
}

export function handleClientMessage(ws: ServerWebSocket<LiveClientData>, text: string): void {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return sendError(ws, "message is not JSON");
  }
  const parsed = ClientMessageSchema.safeParse(json);
  if (!parsed.success) {
    return sendError(ws, `expected {"subscribe":[topics]}, {"unsubscribe":[topics]} or {"type":"ping"}; topics: ${LIVE_TOPICS.join(", ")}`);
  }
  const msg = parsed.data;
  if ("type" in msg) return send(ws, { type: "pong", time: new Date().toISOString() });

  const { data } = ws;
  if ("subscribe" in msg) {
    // The default is "everything"; a client naming topics means "only these", from then on additive.
    if (!data.explicit) for (const t of data.topics) ws.unsubscribe(t);
    if (!data.explicit) data.topics.clear();
    for (const t of msg.subscribe) {
      data.topics.add(t);
      ws.subscribe(t);
    }
  } else {
    for (const t of msg.unsubscribe) {
      data.topics.delete(t);
      ws.unsubscribe(t);
    }
  }
  data.explicit = true;
  send(ws, { type: "subscribed", topics: LIVE_TOPICS.filter((t) => data.topics.has(t)) });
}
