/** Slack (and Mattermost/Rocket.Chat, which accept the same): an incoming webhook with mrkdwn text. */
import type { Alert } from "./alert.ts";
import type { WebhookRequest } from "./webhook.ts";

const ICON = { low: ":information_source:", medium: ":warning:", high: ":rotating_light:", critical: ":rotating_light:" } as const;
const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function slackRequest(alert: Alert, url: string): WebhookRequest {
  const repeat = alert.count > 1 ? ` (x${alert.count})` : "";
  return {
    url,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: `${ICON[alert.severity]} *${escape(alert.title)}*${repeat}\n${escape(alert.description)}\n<${alert.link}|Open NetInsight>` }),
  };
}
