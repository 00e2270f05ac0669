/**
 * ntfy (ntfy.sh or self-hosted): JSON publishing to the server root with the topic in the body, so
 * titles with any characters survive (headers would need RFC 2047). https://docs.ntfy.sh/publish/
 */
import type { Alert } from "./alert.ts";
import type { WebhookRequest } from "./webhook.ts";

const PRIORITY = { low: 2, medium: 3, high: 4, critical: 5 } as const;
const TAG = { low: "information_source", medium: "warning", high: "rotating_light", critical: "rotating_light" } as const;

export function ntfyRequest(alert: Alert, topicUrl: string): WebhookRequest {
  const u = new URL(topicUrl);
  const parts = u.pathname.split("/").filter(Boolean);
  const topic = parts.pop() ?? "netinsight";
  u.pathname = `/${parts.join("/")}`;
  return {
    url: u.toString(),
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      topic,
      title: alert.title + (alert.count > 1 ? ` (x${alert.count})` : ""),
      message: alert.description,
      priority: PRIORITY[alert.severity],
      tags: [TAG[alert.severity], alert.kind],
      click: alert.link,
    }),
  };
}
