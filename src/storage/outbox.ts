/** The notification outbox table (migration 3): SQL only; the delivery policy is src/notify/outbox.ts. */
import type { Database } from "bun:sqlite";

export type OutboxStatus = "pending" | "delivered" | "abandoned";

export interface OutboxRow {
  id: number;
  channel: string;
  key: string;
  kind: string;
  severity: string;
  /** The Alert as JSON. */
  alert: string;
  status: OutboxStatus;
  attempts: number;
  created_at: number;
  updated_at: number;
  next_attempt_at: number;
  delivered_at: number | null;
  last_error: string | null;
  suppressed: number;
}

export class OutboxRows {
  constructor(readonly db: Database) {}

  /** `dueAt`: the first attempt (epoch ms), `now` unless the notification waits for its group to settle. */
  insert(r: { channel: string; key: string; kind: string; severity: string; alert: string; now: number; dueAt?: number }): number {
    const res = this.db.query(`INSERT INTO notification_outbox (channel, key, kind, severity, alert, status, created_at, updated_at, next_attempt_at)
      VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`).run(r.channel, r.key, r.kind, r.severity, r.alert, r.now, r.now, r.dueAt ?? r.now);
    return Number(res.lastInsertRowid);
  }

  latestForKey(channel: string, key: string): OutboxRow | null {
    return this.db.query("SELECT * FROM notification_outbox WHERE channel = ? AND key = ? ORDER BY id DESC LIMIT 1").get(channel, key) as OutboxRow | null;
  }

  /** A pending notification raised again: its content is replaced (the count in it grows). */
  replace(id: number, alert: string, severity: string, now: number): void {
    this.db.query("UPDATE notification_outbox SET alert = ?, severity = ?, updated_at = ? WHERE id = ?").run(alert, severity, now, id);
  }

  suppress(id: number, now: number): void {
    this.db.query("UPDATE notification_outbox SET suppressed = suppressed + 1, updated_at = ? WHERE id = ?").run(now, id);
  }

  pendingCount(channel: string, kind?: string): number {
    const row = kind === undefined
      ? this.db.query("SELECT count(*) AS n FROM notification_outbox WHERE status = 'pending' AND channel = ?").get(channel)
      : this.db.query("SELECT count(*) AS n FROM notification_outbox WHERE status = 'pending' AND channel = ? AND kind = ?").get(channel, kind);
    return (row as { n: number }).n;
  }

  /** The oldest due notification of a channel (delivered in the order they were queued). */
  nextDue(channel: string, now: number): OutboxRow | null {
    return this.db.query(`SELECT * FROM notification_outbox WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ?
      ORDER BY id LIMIT 1`).get(channel, now) as OutboxRow | null;
  }

  /** The receiver is back (a broker reconnected): every waiting notification of the channel is due now. */
  dueNow(channel: string, now: number): void {
    this.db.query("UPDATE notification_outbox SET next_attempt_at = ? WHERE status = 'pending' AND channel = ? AND next_attempt_at > ?").run(now, channel, now);
  }

  delivered(id: number, now: number): void {
    this.db.query("UPDATE notification_outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, updated_at = ?, last_error = NULL WHERE id = ?").run(now, now, id);
  }

  failed(id: number, nextAttemptAt: number, error: string, now: number): void {
    this.db.query("UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?").run(nextAttemptAt, error, now, id);
  }

  abandon(id: number, error: string, now: number): void {
    this.db.query("UPDATE notification_outbox SET status = 'abandoned', attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?").run(error, now, id);
  }

  counts(channel: string): Record<OutboxStatus, number> {
    const out: Record<OutboxStatus, number> = { pending: 0, delivered: 0, abandoned: 0 };
    for (const r of this.db.query("SELECT status, count(*) AS n FROM notification_outbox WHERE channel = ? GROUP BY status").all(channel) as { status: OutboxStatus; n: number }[]) {
      out[r.status] = r.n;
    }
    return out;
  }

  recent(limit: number): OutboxRow[] {
    return this.db.query("SELECT * FROM notification_outbox ORDER BY id DESC LIMIT ?").all(limit) as OutboxRow[];
  }

  /** Forgets delivered and abandoned notifications last touched before `before` (epoch ms). */
  prune(before: number): number {
    return this.db.query("DELETE FROM notification_outbox WHERE status != 'pending' AND updated_at < ?").run(before).changes;
  }
}
