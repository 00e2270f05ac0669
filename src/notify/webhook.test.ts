import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "../storage/db.ts";
import { Notifier } from "./notifier.ts";
import { parseWebhook } from "./targets.ts";
import { alert, startReceiver } from "./testing.ts";
import { SIGNATURE_HEADER, signature, webhookChannel } from "./webhook.ts";

const dir = mkdtempSync(path.join(tmpdir(), "ni-alerts-webhook-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deliver = (spec: string, secret?: string) => webhookChannel(parseWebhook(spec), { secret }).deliver(alert({ count: 3 }), new AbortController().signal);

describe("webhook targets", () => {
  test("format by prefix, by ?format=, or by the host people paste", () => {
    expect(parseWebhook("ntfy+https://ntfy.example/alerts")).toEqual({ url: "https://ntfy.example/alerts", format: "ntfy" });
    expect(parseWebhook("https://gotify.example/message?token=abc&format=gotify")).toEqual({ url: "https://gotify.example/message?token=abc", format: "gotify" });
    expect(parseWebhook("https://discord.com/api/webhooks/1/x").format).toBe("discord");
    expect(parseWebhook("https://hooks.slack.com/services/T/B/x").format).toBe("slack");
    expect(parseWebhook("https://ntfy.sh/mytopic").format).toBe("ntfy");
    expect(parseWebhook("http://10.0.0.2:9000/hook").format).toBe("json");
    expect(() => parseWebhook("teams+https://x/y")).toThrow(/unknown format "teams"/);
    expect(() => parseWebhook("ftp://x/y")).toThrow(/http/);
    expect(() => parseWebhook("not a url")).toThrow(/not a URL/);
  });
});

describe("webhook channel against a local receiver", () => {
  test("plain JSON: the documented body, signed with HMAC-SHA256 over the exact bytes", async () => {
    const r = await startReceiver();
    await deliver(r.url(), "s3cret-key");
    const got = r.received[0];
    expect(got.method).toBe("POST");
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers[SIGNATURE_HEADER]).toBe(signature("s3cret-key", got.body));
    expect(JSON.parse(got.body)).toEqual({
      source: "netinsight", kind: "threat", key: "threat:1", severity: "high", title: "Port scan of 10.0.0.1",
      description: "120 ports in 60 s", time: "2027-01-15T08:00:00.000Z", count: 3, link: "http://pi:8000/#threat-1", device: null, threat: null,
    });
    await r.stop();
  });

  test("ntfy, Gotify, Discord and Slack bodies", async () => {
    const r = await startReceiver();
    await deliver(`ntfy+${r.url("/base/mytopic")}`);
    await deliver(r.url("/message?token=T&format=gotify"));
    await deliver(r.url("/hook?format=discord"));
    await deliver(r.url("/hook?format=slack"));
    const [ntfy, gotify, discord, slack] = r.received;
    expect(ntfy.path).toBe("/base");
    expect(JSON.parse(ntfy.body)).toEqual({
      topic: "mytopic", title: "Port scan of 10.0.0.1 (x3)", message: "120 ports in 60 s", priority: 4, tags: ["rotating_light", "threat"],
      click: "http://pi:8000/#threat-1",
    });
    expect(gotify.path).toBe("/message?token=T");
    expect(JSON.parse(gotify.body)).toMatchObject({ title: "Port scan of 10.0.0.1 (x3)", priority: 8 });
    expect(JSON.parse(discord.body).embeds[0]).toMatchObject({ title: "Port scan of 10.0.0.1 (x3)", url: "http://pi:8000/#threat-1", color: 0xe67e22 });
    expect(JSON.parse(slack.body).text).toBe(":rotating_light: *Port scan of 10.0.0.1* (x3)\n120 ports in 60 s\n<http://pi:8000/#threat-1|Open NetInsight>");
    await r.stop();
  });

  test("a receiver that answers 503 is an error with the status", async () => {
    const r = await startReceiver();
    r.setMode("fail");
    await expect(deliver(r.url())).rejects.toThrow("HTTP 503: down for maintenance");
    await r.stop();
  });
});

describe("delivery from the outbox", () => {
  test("a receiver down for 10 minutes loses nothing: backoff retries deliver everything once, in order, even across a restart", async () => {
    const r = await startReceiver();
    let now = 1_000_000;
    const file = path.join(dir, "outage.db");
    const make = () => new Notifier({
      db: openDatabase(file), channels: [webhookChannel(parseWebhook(r.url()))], now: () => now, ratePerMinute: 100, tickMs: 3_600_000, groupWaitMs: 0,
    });
    let n = make();
    await r.stop(); // connection refused from here on
    for (let i = 0; i < 5; i++) n.notify(alert({ key: `threat:${i}`, title: `threat ${i}` }));
    await n.deliverDue();
    expect(n.status()[0]).toMatchObject({ pending: 5, delivered: 0, failedAttempts: 1 });
    // Ten minutes of outage in 15 s steps of the notifier's clock; half way through NetInsight restarts.
    for (let t = 0; t < 600; t += 15) {
      now += 15_000;
      if (t === 300) {
        await n.close();
        n = make();
      }
      await n.deliverDue();
    }
    expect(n.status()[0]).toMatchObject({ pending: 5, delivered: 0 });
    const attempts = (n.rows.db.query("SELECT attempts FROM notification_outbox WHERE key = 'threat:0'").get() as { attempts: number }).attempts;
    // 5, 10, 20, 40, 80, 160 s apart, then every 300 s: about 8 attempts in 10 minutes, not 40.
    expect(attempts).toBeGreaterThanOrEqual(6);
    expect(attempts).toBeLessThanOrEqual(9);
    r.restart();
    for (let i = 0; i < 25 && n.status()[0].pending > 0; i++) {
      now += 15_000;
      await n.deliverDue();
    }
    expect(r.received.map((x) => JSON.parse(x.body).title)).toEqual(["threat 0", "threat 1", "threat 2", "threat 3", "threat 4"]);
    expect(n.status()[0]).toMatchObject({ pending: 0, delivered: 5, abandoned: 0, lastError: null, failingSince: null });
    await n.close();
    await r.stop();
  });

  test("a receiver that never answers delays only its own channel", async () => {
    const slow = await startReceiver();
    const fast = await startReceiver();
    slow.setMode("hang");
    const n = new Notifier({
      db: openDatabase(":memory:"), channels: [webhookChannel(parseWebhook(slow.url()), { name: "slow" }), webhookChannel(parseWebhook(fast.url()), { name: "fast" })],
      timeoutMs: 60_000, ratePerMinute: 100, groupWaitMs: 0,
    });
    for (let i = 0; i < 3; i++) n.notify(alert({ key: `k${i}` }));
    for (let i = 0; i < 100 && fast.received.length < 3; i++) await Bun.sleep(20);
    expect(fast.received.length).toBe(3);
    expect(n.status().find((c) => c.name === "slow")).toMatchObject({ pending: 3, delivered: 0 });
    await n.close();
    await slow.stop();
    await fast.stop();
  });

  test("the rate limit holds a burst back; a flood arrives as its first alerts and one digest", async () => {
    const r = await startReceiver();
    let now = 5_000_000;
    const n = new Notifier({ db: openDatabase(":memory:"), channels: [webhookChannel(parseWebhook(r.url()))], now: () => now, ratePerMinute: 4, groupWaitMs: 0 });
    for (let i = 0; i < 10_000; i++) n.notify(alert({ key: `device:${i}`, kind: "device_new", severity: "medium", title: `New device ${i}` }));
    await n.deliverDue();
    expect(r.received.length).toBe(4);
    now += 60_000;
    await n.deliverDue();
    expect(r.received.length).toBe(8);
    now += 60_000;
    await n.deliverDue();
    const bodies = r.received.map((x) => JSON.parse(x.body));
    expect(bodies.length).toBe(11);
    expect(bodies.at(-1)).toMatchObject({ key: "flood:device_new", title: "9990 more new devices", count: 9990 });
    await n.close();
    await r.stop();
  });
});
