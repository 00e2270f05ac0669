/**
 * Notifications for the running service: builds the configured channels, the rules that turn live
 * events and health into alerts, and the notifier that delivers them from the SQLite outbox. Runs in
 * the API's thread (the capture worker only publishes events).
 *
 * Adding a channel: one file exporting a function that returns a `Channel` (name, deliver, optional
 * start/close/onReady), its settings in config.ts's schema (validated there), one line in
 * buildChannels below, a test against a real receiver, and a README paragraph.
 */
import { Database } from "bun:sqlite";
import { hostname } from "node:os";
import type { Config } from "../config.ts";
import type { LiveBus } from "../service/bus.ts";
import type { ServiceContext } from "../service/context.ts";
import { silentLogger, type Logger } from "../service/logger.ts";
import type { Alert } from "./alert.ts";
import { readFileSync } from "node:fs";
import { fileChannel } from "./file.ts";
import { mqttChannel } from "./mqtt.ts";
import { Notifier, type Channel, type NotifierOptions, type TestResult } from "./notifier.ts";
import { AlertRules } from "./rules.ts";
import type { ChannelStatus } from "./status.ts";
import { syslogChannel } from "./syslog.ts";
import { webhookChannel, webhookName } from "./webhook.ts";

/** How often health is looked at for storage and memory problems. */
export const HEALTH_POLL_MS = 5_000;
/** How often devices are checked for having left. */
export const PRESENCE_TICK_MS = 30_000;

export type NotifySettings = Pick<Config,
  | "ALERT_WEBHOOKS" | "ALERT_WEBHOOK_SECRET" | "ALERT_MIN_SEVERITY" | "ALERT_NEW_DEVICES" | "ALERT_PRESENCE" | "ALERT_AWAY_MINUTES"
  | "ALERT_RATE_PER_MINUTE" | "ALERT_GROUP_WAIT_SECONDS" | "ALERT_DROPS_PER_MINUTE" | "PUBLIC_URL" | "MQTT_URL" | "MQTT_USERNAME" | "MQTT_PASSWORD"
  | "MQTT_TOPIC_PREFIX" | "MQTT_CA_FILE" | "MQTT_DISCOVERY" | "MQTT_DISCOVERY_PREFIX" | "MQTT_MAX_DEVICES" | "SYSLOG_URL" | "ALERT_FILE"
  | "DATABASE_PATH" | "PORT">;

export interface Notifications {
  readonly notifier: Notifier;
  readonly rules: AlertRules;
  status(): ChannelStatus[];
  problems(): string[];
  test(): Promise<TestResult[]>;
  close(): Promise<void>;
}

export function liveViewUrl(s: Pick<Config, "PUBLIC_URL" | "PORT">, scheme: "http" | "https" = "http"): string {
  return s.PUBLIC_URL ?? `${scheme}://${hostname()}:${s.PORT}`;
}

/** The channels the settings ask for (names made unique). */
export function buildChannels(s: NotifySettings, deps: { bus: LiveBus; log: Logger; ctx?: ServiceContext }): Channel[] {
  const channels: Channel[] = [];
  const used = new Map<string, number>();
  const unique = (name: string) => {
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    return n === 1 ? name : `${name}#${n}`;
  };
  for (const t of s.ALERT_WEBHOOKS) channels.push(webhookChannel(t, { secret: s.ALERT_WEBHOOK_SECRET, name: unique(webhookName(t)) }));
  if (s.MQTT_URL) {
    channels.push(mqttChannel({
      target: { ...s.MQTT_URL, username: s.MQTT_USERNAME ?? s.MQTT_URL.username, password: s.MQTT_PASSWORD ?? s.MQTT_URL.password },
      ca: s.MQTT_CA_FILE ? readFileSync(s.MQTT_CA_FILE, "utf8") : undefined,
      prefix: s.MQTT_TOPIC_PREFIX, discovery: s.MQTT_DISCOVERY, discoveryPrefix: s.MQTT_DISCOVERY_PREFIX, maxDevices: s.MQTT_MAX_DEVICES,
      awayMinutes: s.ALERT_AWAY_MINUTES, bus: deps.bus, log: deps.log, ctx: deps.ctx,
    }));
  }
  if (s.SYSLOG_URL) channels.push(syslogChannel(s.SYSLOG_URL));
  if (s.ALERT_FILE) channels.push(fileChannel(s.ALERT_FILE));
  return channels;
}

export function testAlert(link: string): Alert {
  const now = Date.now();
  return {
    key: `test:${now}`, kind: "test", severity: "low", title: "NetInsight test notification",
    description: `If you can read this, notifications from ${hostname()} reach you.`,
    time: now / 1000, count: 1, device: null, threat: null, link,
  };
}

export function startNotifications(s: NotifySettings, deps: {
  bus: LiveBus; ctx: ServiceContext; log?: Logger; channels?: Channel[]; notifier?: Partial<NotifierOptions>;
  /** How the live view is served (HTTPS): the default link's scheme. */
  scheme?: "http" | "https";
}): Notifications {
  const log = deps.log ?? silentLogger;
  const channels = deps.channels ?? buildChannels(s, { bus: deps.bus, log, ctx: deps.ctx });
  // Its own connection: the worker writes flows on another; WAL lets both work, and outbox writes are tiny.
  const db = new Database(s.DATABASE_PATH, { strict: true });
  db.exec("PRAGMA busy_timeout = 2000");
  const notifier = new Notifier({
    db, channels, ratePerMinute: s.ALERT_RATE_PER_MINUTE, groupWaitMs: s.ALERT_GROUP_WAIT_SECONDS * 1000, log, ...deps.notifier,
  });
  const link = liveViewUrl(s, deps.scheme);
  const rules = new AlertRules({
    minSeverity: s.ALERT_MIN_SEVERITY, newDevices: s.ALERT_NEW_DEVICES, presence: s.ALERT_PRESENCE, awayMinutes: s.ALERT_AWAY_MINUTES,
    dropsPerMinute: s.ALERT_DROPS_PER_MINUTE, link,
  }, (alert) => {
    if (channels.length) notifier.notify(alert);
  });
  const unsubscribe = deps.bus.subscribe((e) => rules.onEvent(e));
  const timers = [
    setInterval(() => rules.onHealth(deps.ctx.health().problems), HEALTH_POLL_MS),
    setInterval(() => rules.tick(), PRESENCE_TICK_MS),
  ];
  for (const t of timers) (t as { unref?: () => void }).unref?.();
  notifier.start();
  if (channels.length) log.info(`notify: ${channels.map((c) => c.name).join(", ")}`);
  let closed: Promise<void> | null = null;
  // /api/health is polled hard: the outbox counts are read at most once a second.
  let cached = { at: 0, status: [] as ChannelStatus[] };
  return {
    notifier, rules,
    status: () => {
      if (Date.now() - cached.at >= 1000) cached = { at: Date.now(), status: notifier.status() };
      return cached.status;
    },
    problems: () => notifier.problems(),
    test: () => notifier.test(testAlert(`${link.replace(/\/+$/, "")}/`)),
    close() {
      closed ??= (async () => {
        unsubscribe();
        for (const t of timers) clearInterval(t);
        await notifier.close();
        db.close();
      })();
      return closed;
    },
  };
}
