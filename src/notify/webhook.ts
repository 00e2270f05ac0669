/**
 * The webhook channel: an HTTP POST per notification, in the receiver's format (plain JSON, ntfy,
 * Gotify, Discord, Slack), optionally signed with HMAC-SHA256 over the exact body sent.
 */
import { createHmac } from "node:crypto";
import { alertBody, type Alert } from "./alert.ts";
import { discordRequest } from "./discord.ts";
import { gotifyRequest } from "./gotify.ts";
import type { Channel } from "./notifier.ts";
import { ntfyRequest } from "./ntfy.ts";
import { slackRequest } from "./slack.ts";
import type { WebhookFormat, WebhookTarget } from "./targets.ts";

export const SIGNATURE_HEADER = "x-netinsight-signature";

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

function jsonRequest(alert: Alert, url: string): WebhookRequest {
  return { url, body: JSON.stringify(alertBody(alert)), headers: { "content-type": "application/json" } };
}

const FORMATS: Record<WebhookFormat, (alert: Alert, url: string) => WebhookRequest> = {
  json: jsonRequest, ntfy: ntfyRequest, gotify: gotifyRequest, discord: discordRequest, slack: slackRequest,
};

/** `sha256=<hex HMAC-SHA256 of body>`: receivers recompute it with the shared secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** A name for status pages that shows the receiver but never a token in its path or query. */
export function webhookName(t: WebhookTarget): string {
  return `webhook:${t.format}:${new URL(t.url).host}`;
}

export function webhookChannel(target: WebhookTarget, opts: { secret?: string; name?: string } = {}): Channel {
  return {
    name: opts.name ?? webhookName(target),
    async deliver(alert, signal) {
      const req = FORMATS[target.format](alert, target.url);
      const headers: Record<string, string> = { "user-agent": "NetInsight", ...req.headers };
      if (opts.secret) headers[SIGNATURE_HEADER] = signature(opts.secret, req.body);
      const res = await fetch(req.url, { method: "POST", body: req.body, headers, signal, redirect: "follow" });
      const text = await res.text().catch(() => "");
      if (!res.ok) throw new Error(`HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`);
    },
  };
}
