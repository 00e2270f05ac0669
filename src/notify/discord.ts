/** Discord: an incoming webhook with one embed per notification (title, description, link, colour by severity). */
import type { Alert } from "./alert.ts";
import type { WebhookRequest } from "./webhook.ts";

const COLOR = { low: 0x3498db, medium: 0xf1c40f, high: 0xe67e22, critical: 0xe74c3c } as const;

export function discordRequest(alert: Alert, url: string): WebhookRequest {
  return {
    url,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      username: "NetInsight",
      embeds: [{
        title: (alert.title + (alert.count > 1 ? ` (x${alert.count})` : "")).slice(0, 256),
        description: alert.description.slice(0, 4000),
        url: alert.link,
        color: COLOR[alert.severity],
        timestamp: new Date(alert.time * 1000).toISOString(),
        footer: { text: `${alert.severity} · ${alert.kind}` },
      }],
    }),
  };
}
