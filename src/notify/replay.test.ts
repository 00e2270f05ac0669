/**
 * The whole path: `serve`'s service fed samples/home-lab.pcap (five devices, one port scan) with a
 * webhook receiver and a JSON-lines file; every notification arrives exactly once, also after a
 * restart that reads the same capture again.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import path from "node:path";
import { HOME_LAB_PCAP, startReceiver, startTestService, until } from "./testing.ts";

const receiver = await startReceiver();
const syslog = createSocket("udp4");
const syslogLines: string[] = [];
syslog.on("message", (b) => syslogLines.push(b.toString()));
await new Promise<void>((r) => syslog.bind(0, "127.0.0.1", r));
afterAll(async () => {
  await receiver.stop();
  syslog.close();
});


describe("replaying a capture with threats and new devices", () => {
  test("five new devices and one port scan, each notified exactly once on every channel", async () => {
    const svc = await startTestService({ ALERT_WEBHOOKS: receiver.url("/hook"), PUBLIC_URL: "http://netinsight.test:8000", ALERT_GROUP_WAIT_SECONDS: "2" });
    const file = path.join(svc.dir, "alerts.jsonl");
    const dbPath = path.join(svc.dir, "t.db");
    await svc.running.stop();
    // Same database, now with a file channel too (restart of the first service: nothing was captured yet).
    const first = await startTestService({
      ALERT_WEBHOOKS: receiver.url("/hook"), ALERT_FILE: file, SYSLOG_URL: `udp://127.0.0.1:${syslog.address().port}`,
      PUBLIC_URL: "http://netinsight.test:8000", DATABASE_PATH: dbPath, ALERT_GROUP_WAIT_SECONDS: "2",
    });
    await first.feed(HOME_LAB_PCAP);
    await until("six webhook notifications", () => receiver.received.length >= 6);
    await Bun.sleep(3000); // anything extra (a later escalation, after its 2 s group wait) would arrive now

    const bodies = receiver.received.map((r) => JSON.parse(r.body));
    const { devices } = (await (await first.call("/api/devices")).json()) as { devices: { id: string }[] };
    const { threats } = (await (await first.call("/api/threats")).json()) as { threats: { id: string; type: string; severity: string }[] };
    expect(bodies.filter((b) => b.kind === "device_new").map((b) => b.device.id).sort()).toEqual(devices.map((d) => d.id).sort());
    expect(bodies.filter((b) => b.kind === "threat").map((b) => [b.threat.id, b.threat.type])).toEqual(threats.map((t) => [t.id, t.type]));
    expect(bodies.length).toBe(devices.length + threats.length);
    const scan = bodies.find((b) => b.kind === "threat");
    expect(scan).toMatchObject({ severity: threats[0].severity, link: `http://netinsight.test:8000/#threat-${scan.threat.id}` });
    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.key).sort()).toEqual(bodies.map((b) => b.key).sort());
    const syslogKeys = syslogLines.map((l) => /key="([^"]+)"/.exec(l)?.[1]);
    expect(syslogKeys.sort()).toEqual(bodies.map((b) => b.key).sort());

    const health = (await (await fetch(`${first.base}/api/health`)).json()) as any;
    expect(health.notifications.map((c: any) => [c.name.split(":")[0], c.delivered, c.pending])).toEqual([["webhook", 6, 0], ["syslog", 6, 0], ["file", 6, 0]]);

    const t = await first.call("/api/notifications/test", { method: "POST" });
    expect(t.status).toBe(200);
    expect(((await t.json()) as any).results.map((x: any) => x.ok)).toEqual([true, true, true]);
    expect(JSON.parse(receiver.received.at(-1)!.body)).toMatchObject({ kind: "test", title: "NetInsight test notification" });
    const list = (await (await first.call("/api/notifications?limit=100")).json()) as any;
    expect(list.recent.length).toBe(18);
    expect(list.recent.every((r: any) => r.status === "delivered" && r.attempts === 1)).toBe(true);
    await first.running.stop();

    // A restart reading the same capture again.
    receiver.received.length = 0;
    const again = await startTestService({ ALERT_WEBHOOKS: receiver.url("/hook"), DATABASE_PATH: dbPath, ALERT_GROUP_WAIT_SECONDS: "2" });
    await again.feed(HOME_LAB_PCAP);
    await Bun.sleep(3500);
    // No device is new again; the scan is told again only if reading it twice made it more severe.
    const rank = ["low", "medium", "high", "critical"];
    for (const b of receiver.received.map((r) => JSON.parse(r.body))) {
      const before = bodies.find((x) => x.key === b.key);
      expect(b.kind).toBe("threat");
      expect(rank.indexOf(b.severity)).toBeGreaterThan(rank.indexOf(before.severity));
    }
    expect(receiver.received.length).toBeLessThanOrEqual(1);
    await again.stop();
    await svc.stop();
  }, 60_000);

  test("a receiver that never answers does not hold up capture or the API", async () => {
    const hanging = await startReceiver();
    hanging.setMode("hang");
    const svc = await startTestService({ ALERT_WEBHOOKS: hanging.url("/hook"), ALERT_GROUP_WAIT_SECONDS: "0" });
    try {
      await svc.feed(HOME_LAB_PCAP); // throws if the capture is not read within 30 s
      await until("a delivery stuck on the receiver", () => hanging.hangingCount() > 0);
      const { devices } = (await (await svc.call("/api/devices")).json()) as { devices: unknown[] };
      expect(devices.length).toBeGreaterThan(0);
      await Bun.sleep(1100);
      const health = (await (await fetch(`${svc.base}/api/health`)).json()) as any;
      expect(health.notifications[0]).toMatchObject({ delivered: 0 });
      expect(health.notifications[0].pending).toBeGreaterThan(0);
    } finally {
      await svc.stop();
      await hanging.stop();
    }
  }, 60_000);

  test("POST /api/notifications/test without channels is a 409 naming the settings", async () => {
    const svc = await startTestService();
    const res = await svc.call("/api/notifications/test", { method: "POST" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).error.message).toContain("ALERT_WEBHOOKS");
    await svc.stop();
  });
});
