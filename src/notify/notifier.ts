/**
 * Delivers the outbox: each channel on its own, oldest first, one notification in flight, within
 * its rate limit, retrying with exponential backoff. Runs in the API's thread, never in the capture
 * worker, and every send is asynchronous: a slow receiver only delays its own channel.
 */
import type { Database } from "bun:sqlite";
import type { Logger } from "../service/logger.ts";
import { silentLogger } from "../service/logger.ts";
import { OutboxRows, type OutboxRow } from "../storage/outbox.ts";
import { severityRank, type Alert, type AlertKind } from "./alert.ts";
import { DEFAULT_BACKOFF, FLOOD_PENDING, Outbox, retryDelay, rowAlert, type Backoff, type EnqueueResult } from "./outbox.ts";
import type { ChannelStatus } from "./status.ts";

/** A place notifications go. `deliver` resolves once the receiver has accepted it and throws otherwise. */
export interface Channel {
  readonly name: string;
  deliver(alert: Alert, signal: AbortSignal): Promise<void>;
  /** Starts background work (a broker connection); called once. */
  start?(): void;
  /** Tells the notifier when the receiver is reachable again (a broker reconnected): retries go out at once. */
  onReady?(fn: () => void): void;
  close?(): void | Promise<void>;
}

/** One attempt may take this long before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** How often due retries are looked for. */
export const DELIVERY_TICK_MS = 1_000;
/** Delivered notifications are kept this long (GET /api/notifications shows them). */
export const OUTBOX_KEEP_MS = 7 * 24 * 3600_000;
/** A new notification waits this long before its first attempt, so repeats and escalations fold into it. */
export const DEFAULT_GROUP_WAIT_MS = 10_000;
/** A channel failing this long is a problem in /api/health. */
export const FAILING_PROBLEM_MS = 60_000;

export interface NotifierOptions {
  db: Database;
  channels: Channel[];
  /** Epoch ms; tests move it to replay hours of backoff in milliseconds. */
  now?: () => number;
  backoff?: Backoff;
  ratePerMinute?: number;
  timeoutMs?: number;
  tickMs?: number;
  dedupMs?: number;
  /** Default DEFAULT_GROUP_WAIT_MS (ALERT_GROUP_WAIT_SECONDS). */
  groupWaitMs?: number;
  log?: Logger;
}

interface ChannelState {
  channel: Channel;
  /** The delivery run in progress (one per channel). */
  draining: Promise<void> | null;
  tokens: number;
  tokensAt: number;
  /** While failing, nothing is tried before this (epoch ms): a down receiver is not hammered row by row. */
  retryAt: number;
  failedAttempts: number;
  lastDeliveredAt: number | null;
  lastError: string | null;
  failingSince: number | null;
  /**
   * Kinds flooding this channel (their digest exists): further alerts of the kind are only counted
   * here and added to the digest once a tick, so a flood costs one database write a second, not one
   * per alert.
   */
  flooding: Map<AlertKind, { latest: Alert; count: number } | null>;
}

export interface TestResult {
  channel: string;
  ok: boolean;
  error: string | null;
}

export class Notifier {
  readonly rows: OutboxRows;
  readonly outbox: Outbox;
  readonly #states: ChannelState[];
  readonly #now: () => number;
  readonly #backoff: Backoff;
  readonly #rate: number;
  readonly #log: Logger;
  #timer: ReturnType<typeof setInterval> | null = null;
  #pruneTimer: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  readonly #inflight = new Set<AbortController>();

  constructor(readonly opts: NotifierOptions) {
    this.rows = new OutboxRows(opts.db);
    this.outbox = new Outbox(this.rows, { dedupMs: opts.dedupMs });
    this.#now = opts.now ?? Date.now;
    this.#backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.#rate = opts.ratePerMinute ?? 10;
    this.#log = opts.log ?? silentLogger;
    const t = this.#now();
    this.#states = opts.channels.map((channel) => ({
      channel, draining: null, tokens: this.#rate, tokensAt: t, retryAt: 0, failedAttempts: 0, lastDeliveredAt: null, lastError: null, failingSince: null,
      flooding: new Map(),
    }));
    for (const s of this.#states) {
      s.channel.onReady?.(() => {
        if (this.#closed) return;
        s.retryAt = 0;
        this.rows.dueNow(s.channel.name, this.#now());
        this.kick();
      });
    }
  }

  get channels(): readonly Channel[] {
    return this.#states.map((s) => s.channel);
  }

  start(): void {
    for (const s of this.#states) s.channel.start?.();
    this.rows.prune(this.#now() - OUTBOX_KEEP_MS);
    this.#timer = setInterval(() => {
      this.#flushFloods();
      this.kick();
    }, this.opts.tickMs ?? DELIVERY_TICK_MS);
    (this.#timer as { unref?: () => void }).unref?.();
    this.#pruneTimer = setInterval(() => {
      try {
        this.rows.prune(this.#now() - OUTBOX_KEEP_MS);
      } catch (err) {
        this.#log.warn(`notify: pruning the outbox failed: ${(err as Error).message}`);
      }
    }, 3600_000);
    (this.#pruneTimer as { unref?: () => void }).unref?.();
    this.kick();
  }

  /** Queues an alert for every channel (written before any attempt) and starts delivering. */
  notify(alert: Alert): EnqueueResult[] {
    if (this.#closed) return [];
    const now = this.#now();
    const wait = this.#wait(alert);
    const results = this.#states.map((s): EnqueueResult => {
      const flood = s.flooding.get(alert.kind);
      if (flood !== undefined) {
        const severity = flood && severityRank(flood.latest.severity) > severityRank(alert.severity) ? flood.latest.severity : alert.severity;
        s.flooding.set(alert.kind, { latest: { ...alert, severity }, count: (flood?.count ?? 0) + alert.count });
        return "folded";
      }
      const r = this.outbox.enqueue(s.channel.name, alert, now, wait);
      if (r === "folded") s.flooding.set(alert.kind, null);
      return r;
    });
    this.kick();
    return results;
  }

  #wait(alert: Alert): number {
    return alert.kind === "test" ? 0 : (this.opts.groupWaitMs ?? DEFAULT_GROUP_WAIT_MS);
  }

  /** Writes what floods counted since the last tick into their digests; a flood that drained is over. */
  #flushFloods(): void {
    const now = this.#now();
    for (const s of this.#states) {
      for (const [kind, acc] of s.flooding) {
        if (acc) this.outbox.fold(s.channel.name, { ...acc.latest, count: acc.count }, now, this.#wait(acc.latest));
        if (this.rows.pendingCount(s.channel.name, kind) < FLOOD_PENDING) s.flooding.delete(kind);
        else s.flooding.set(kind, null);
      }
    }
  }

  /** Delivers what is due, without waiting for it. */
  kick(): void {
    if (this.#closed) return;
    for (const s of this.#states) if (!s.draining) void this.#drain(s);
  }

  /** Delivers what is due on every channel and waits until each has nothing due (or is failing). */
  async deliverDue(): Promise<void> {
    this.#flushFloods();
    // A run already in progress may have looked before something became due: run once more after it.
    await Promise.all(this.#states.map(async (s) => {
      await this.#drain(s);
      await this.#drain(s);
    }));
  }

  #drain(s: ChannelState): Promise<void> {
    if (this.#closed) return Promise.resolve();
    s.draining ??= this.#run(s).finally(() => {
      s.draining = null;
    });
    return s.draining;
  }

  async #run(s: ChannelState): Promise<void> {
    try {
      for (;;) {
        const now = this.#now();
        if (now < s.retryAt) return;
        const row = this.rows.nextDue(s.channel.name, now);
        if (!row || !this.#takeToken(s)) return;
        if (!(await this.#attempt(s, row))) return;
        if (this.#closed) return;
      }
    } catch (err) {
      this.#log.warn(`notify: ${s.channel.name}: ${(err as Error).message}`);
    }
  }

  /** True when delivered; false after a failure (the row then waits for its backoff). */
  async #attempt(s: ChannelState, row: OutboxRow): Promise<boolean> {
    const error = await this.#send(s.channel, rowAlert(row));
    const now = this.#now();
    if (error === null) {
      this.rows.delivered(row.id, now);
      if (s.failingSince !== null) this.#log.info(`notify: ${s.channel.name}: delivering again`);
      Object.assign(s, { lastDeliveredAt: now, lastError: null, failingSince: null, retryAt: 0 });
      return true;
    }
    s.failedAttempts++;
    if (s.failingSince === null) this.#log.warn(`notify: ${s.channel.name}: delivery failed (${error}); retrying with backoff`);
    s.failingSince ??= now;
    s.lastError = error;
    if (now - row.created_at >= this.#backoff.giveUpMs) {
      this.rows.abandon(row.id, error, now);
      this.#log.error(`notify: ${s.channel.name}: gave up on "${rowAlert(row).title}" after ${row.attempts + 1} attempts (${error})`);
    } else {
      s.retryAt = now + retryDelay(row.attempts + 1, this.#backoff);
      this.rows.failed(row.id, s.retryAt, error, now);
    }
    return false;
  }

  /** null when the receiver accepted the alert, else why not. */
  async #send(channel: Channel, alert: Alert): Promise<string | null> {
    const ctl = new AbortController();
    this.#inflight.add(ctl);
    const timeoutMs = this.opts.timeoutMs ?? DELIVERY_TIMEOUT_MS;
    const timer = setTimeout(() => ctl.abort(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    try {
      await Promise.race([
        channel.deliver(alert, ctl.signal),
        new Promise((_, reject) => ctl.signal.addEventListener("abort", () => reject(ctl.signal.reason), { once: true })),
      ]);
      return null;
    } catch (err) {
      return (err as Error)?.message ?? String(err);
    } finally {
      clearTimeout(timer);
      this.#inflight.delete(ctl);
    }
  }

  #takeToken(s: ChannelState): boolean {
    const now = this.#now();
    s.tokens = Math.min(this.#rate, s.tokens + ((now - s.tokensAt) * this.#rate) / 60_000);
    s.tokensAt = now;
    if (s.tokens < 1) return false;
    s.tokens -= 1;
    return true;
  }

  /** Sends a test notification straight to every channel (no outbox, no rate limit) and reports each result. */
  async test(alert: Alert): Promise<TestResult[]> {
    return Promise.all(this.#states.map(async (s) => {
      const error = await this.#send(s.channel, alert);
      if (error === null) s.lastDeliveredAt = this.#now();
      else s.lastError = error;
      return { channel: s.channel.name, ok: error === null, error };
    }));
  }

  status(): ChannelStatus[] {
    return this.#states.map((s) => {
      const c = this.rows.counts(s.channel.name);
      return {
        name: s.channel.name, pending: c.pending, delivered: c.delivered, abandoned: c.abandoned, failedAttempts: s.failedAttempts,
        lastDeliveredAt: s.lastDeliveredAt, lastError: s.lastError, failingSince: s.failingSince,
      };
    });
  }

  /** Lines for /api/health's problems: channels failing for a while, notifications given up on. */
  problems(): string[] {
    const now = this.#now();
    const out: string[] = [];
    for (const c of this.status()) {
      if (c.failingSince !== null && now - c.failingSince >= FAILING_PROBLEM_MS) {
        out.push(`notify: ${c.name} failing for ${Math.round((now - c.failingSince) / 1000)} s (${c.pending} waiting): ${c.lastError}`);
      }
      if (c.abandoned > 0) out.push(`notify: ${c.name} gave up on ${c.abandoned} notifications`);
    }
    return out;
  }

  recent(limit = 50): OutboxRow[] {
    return this.rows.recent(limit);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    this.#flushFloods();
    this.#closed = true;
    // Whatever is in flight stays in the outbox and is sent again after a restart.
    for (const c of this.#inflight) c.abort(new Error("shutting down"));
    await Promise.all(this.#states.map((s) => s.draining));
    for (const s of this.#states) {
      try {
        await s.channel.close?.();
      } catch {
        // closing is best effort
      }
    }
  }
}
