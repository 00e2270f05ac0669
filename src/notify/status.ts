/** What each notification channel reports to /api/health and /metrics. */
export interface ChannelStatus {
  /** "webhook:ntfy.sh", "mqtt", "syslog", "file". */
  name: string;
  /** Notifications waiting in the outbox (new, or being retried). */
  pending: number;
  delivered: number;
  /** Delivery attempts that failed (each is retried with backoff). */
  failedAttempts: number;
  /** Notifications given up on after DELIVERY_MAX_AGE of failures. */
  abandoned: number;
  /** Epoch ms of the last delivery. */
  lastDeliveredAt: number | null;
  lastError: string | null;
  /** Epoch ms since when every attempt failed (null: the last attempt worked). */
  failingSince: number | null;
}
