/** Gotify: POST /message?token=<app token> (paste the URL with its token). https://gotify.net/docs/pushmsg */
import type { Alert } from "./alert.ts";
import type { WebhookRequest } from "./webhook.ts";

const PRIORITY = { low: 2, medium: 5, high: 8, critical: 10 } as const;

export function gotifyRequest(alert: Alert, url: string): WebhookRequest {
  const u = new URL(url);
  if (!/\/message\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, "")}/message`;
  return {
    url: u.toString(),
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      title: alert.title + (alert.count > 1 ? ` (x${alert.count})` : ""),
      message: alert.description,
      priority: PRIORITY[alert.severity],
      extras: { "client::notification": { click: { url: alert.link } } },
    }),
  };
}
