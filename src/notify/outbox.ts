/**
 * The outbox policy: every alert is written once per channel before anyone tries to deliver it, so a
 * receiver that is down loses nothing; repeats of one key update the queued notification, and a flood
 * of many keys folds into one digest notification per kind instead of thousands.
 */
import type { OutboxRow, OutboxRows } from "../storage/outbox.ts";
import { severityRank, type Alert, type AlertKind } from "./alert.ts";

/** A key delivered within this window is not sent again unless its severity rose (it is counted instead). */
export const DEDUP_WINDOW_MS = 60 * 60_000;
/** Pending notifications of one kind per channel beyond which new ones fold into a digest. */
export const FLOOD_PENDING = 10;

export interface Backoff {
  /** Delay after the first failure; doubles per failure up to maxMs. */
  baseMs: number;
  maxMs: number;
  /** A notification still failing this long after it was queued is abandoned (reported, kept in the table). */
  giveUpMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 5_000, maxMs: 5 * 60_000, giveUpMs: 24 * 3600_000 };

/** The wait before the next attempt after `failures` failed ones (>= 1). */
export function retryDelay(failures: number, b: Backoff): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

export type EnqueueResult = "queued" | "updated" | "suppressed" | "folded";

const KIND_WORDS: Record<AlertKind, string> = {
  threat: "threats", device_new: "new devices", device_left: "devices that left", device_returned: "devices that returned",
  capture_stopped: "capture stops", capture_error: "capture errors", capture_drops: "drop alerts", health: "health problems",
  test: "test notifications",
};

export class Outbox {
  constructor(readonly rows: OutboxRows, readonly opts: { dedupMs?: number; floodPending?: number } = {}) {}

  /**
   * `waitMs`: the first attempt waits this long (Alertmanager's group_wait), so a threat that ramps up
   * within seconds (medium, then high) goes out once, at the severity it settled on.
   */
  enqueue(channel: string, alert: Alert, now: number, waitMs = 0): EnqueueResult {
    const rows = this.rows;
    return rows.db.transaction((): EnqueueResult => {
      const last = rows.latestForKey(channel, alert.key);
      if (last?.status === "pending") {
        rows.replace(last.id, JSON.stringify(merge(JSON.parse(last.alert) as Alert, alert)), maxSeverity(last.severity, alert.severity), now);
        return "updated";
      }
      if (last?.status === "delivered" && now - (last.delivered_at ?? 0) < (this.opts.dedupMs ?? DEDUP_WINDOW_MS) &&
        severityRank(alert.severity) <= severityRank(last.severity as Alert["severity"])) {
        rows.suppress(last.id, now);
        return "suppressed";
      }
      if (rows.pendingCount(channel, alert.kind) >= (this.opts.floodPending ?? FLOOD_PENDING)) {
        this.#fold(channel, alert, now, waitMs);
        return "folded";
      }
      rows.insert({ channel, key: alert.key, kind: alert.kind, severity: alert.severity, alert: JSON.stringify(alert), now, dueAt: now + waitMs });
      return "queued";
    })();
  }

  /** Adds `alert` (its count: how many it stands for) to the channel's digest of its kind. */
  fold(channel: string, alert: Alert, now: number, waitMs = 0): void {
    this.rows.db.transaction(() => this.#fold(channel, alert, now, waitMs))();
  }

  /** One digest per channel and kind collects what a flood raises while its first notifications wait. */
  #fold(channel: string, alert: Alert, now: number, waitMs: number): void {
    const key = `flood:${alert.kind}`;
    const digest = this.rows.latestForKey(channel, key);
    const held = digest?.status === "pending" ? (JSON.parse(digest.alert) as Alert).count + alert.count : alert.count;
    const folded: Alert = {
      ...alert, key, count: held, device: null, threat: null,
      title: `${held} more ${KIND_WORDS[alert.kind]}`,
      description: `${held} more notifications of this kind arrived while earlier ones were waiting; the latest: ${alert.title}. See the live view for all of them.`,
      link: alert.link.replace(/#.*$/, ""),
    };
    if (digest?.status === "pending") {
      this.rows.replace(digest.id, JSON.stringify({ ...folded, severity: maxSeverity(digest.severity, alert.severity) }), maxSeverity(digest.severity, alert.severity), now);
    } else {
      this.rows.insert({ channel, key, kind: alert.kind, severity: alert.severity, alert: JSON.stringify(folded), now, dueAt: now + waitMs });
    }
  }
}

function maxSeverity(a: string, b: Alert["severity"]): Alert["severity"] {
  return severityRank(a as Alert["severity"]) >= severityRank(b) ? (a as Alert["severity"]) : b;
}

/** The queued notification raised again: the newest content, the counts added, the higher severity. */
function merge(queued: Alert, next: Alert): Alert {
  return { ...next, count: queued.count + next.count, severity: maxSeverity(queued.severity, next.severity) };
}

export function rowAlert(row: OutboxRow): Alert {
  return JSON.parse(row.alert) as Alert;
}
