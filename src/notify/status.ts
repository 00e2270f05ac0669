/** What each notification channel reports to /api/health and /metrics: declared with the service contract. */
export type { ChannelStatus } from "../service/context.ts";
