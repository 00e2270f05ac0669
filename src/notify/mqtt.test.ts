/**
 * MQTT against a real Mosquitto started by the test: the client (auth, QoS 1), the service's alerts,
 * retained state and Home Assistant discovery after replaying samples/home-lab.pcap, and a broker
 * that is not there at start-up.
 */
import { describe, expect, test } from "bun:test";
import { freePort } from "../../test/support/net.ts";
import { encodeLength, MqttClient } from "./mqtt-client.ts";
import { haveTool, HOME_LAB_PCAP, mqttRetained, mqttSubscribe, startMosquitto, startTestService, until } from "./testing.ts";

const haveBroker = haveTool("mosquitto", "the MQTT tests") && haveTool("mosquitto_sub", "the MQTT tests");

describe("MQTT 3.1.1 encoding", () => {
  test("remaining length: 7 bits a byte, the high bit says more", () => {
    expect([0, 127, 128, 16_383, 16_384, 2_097_152].map((n) => [...encodeLength(n)])).toEqual([
      [0], [127], [0x80, 1], [0xff, 0x7f], [0x80, 0x80, 1], [0x80, 0x80, 0x80, 1],
    ]);
  });
});

describe.if(haveBroker)("against Mosquitto", () => {
  test("user and password: a wrong password is refused with the reason, the right one publishes at QoS 1", async () => {
    const broker = await startMosquitto({ user: { name: "ha", password: "s3cret" } });
    const errors: string[] = [];
    const bad = new MqttClient({ host: "127.0.0.1", port: broker.port, clientId: "t-bad", username: "ha", password: "nope", onError: (m) => errors.push(m) });
    bad.start();
    await until("the refusal", () => errors.length > 0);
    expect(errors[0]).toMatch(/refused the connection: (bad user name or password|not authorized)/);
    await bad.close();

    const sub = mqttSubscribe(broker.port, ["t/x"], ["-u", "ha", "-P", "s3cret"]);
    await Bun.sleep(300);
    const good = new MqttClient({ host: "127.0.0.1", port: broker.port, clientId: "t-good", username: "ha", password: "s3cret" });
    good.start();
    await until("the connection", () => good.connected);
    await good.publish("t/x", "héllo", { qos: 1 });
    await until("the message", () => sub.lines.length > 0);
    expect(sub.lines).toEqual([{ topic: "t/x", payload: "héllo" }]);
    await good.close();
    await sub.stop();
    await broker.stop();
  });

  test("mqtts: the broker's certificate is checked against MQTT_CA_FILE", async () => {
    if (!haveTool("openssl", "the mqtts test")) return;
    const broker = await startMosquitto({ tls: true });
    try {
      const errors: string[] = [];
      const untrusted = new MqttClient({ host: "localhost", port: broker.port, tls: true, clientId: "t-untrusted", onError: (m) => errors.push(m) });
      untrusted.start();
      await until("the certificate error", () => errors.length > 0);
      expect(errors[0]).toMatch(/certificate|self.signed|issuer/i);
      await untrusted.close();

      const svc = await startTestService({ MQTT_URL: broker.url, MQTT_CA_FILE: broker.caFile!, ALERT_GROUP_WAIT_SECONDS: "0" });
      try {
        await until("the service's TLS connection", () => svc.logs.some((l) => l.includes(`mqtt: connected to localhost:${broker.port}`)));
        const test = (await (await svc.call("/api/notifications/test", { method: "POST" })).json()) as any;
        expect(test.results).toEqual([{ channel: `mqtt:localhost:${broker.port}`, ok: true, error: null }]);
      } finally {
        await svc.stop();
      }
    } finally {
      await broker.stop();
    }
  }, 30_000);

  test("replaying a capture: alerts once each, retained device state under the cap, Home Assistant discovery", async () => {
    const broker = await startMosquitto();
    const alerts = mqttSubscribe(broker.port, ["netinsight/alert"]);
    const svc = await startTestService({ MQTT_URL: broker.url, MQTT_MAX_DEVICES: "3", ALERT_GROUP_WAIT_SECONDS: "1" });
    try {
      await until("the service's connection", () => svc.logs.some((l) => l.includes("mqtt: connected")));
      await svc.feed(HOME_LAB_PCAP);
      const { devices } = (await (await svc.call("/api/devices")).json()) as { devices: { id: string; bytesSent: number; bytesReceived: number }[] };
      const { threats } = (await (await svc.call("/api/threats?active_only=true")).json()) as { threats: unknown[] };
      await until("one alert per device and threat", () => alerts.lines.length >= devices.length + threats.length, 20_000);
      await Bun.sleep(2000);
      const bodies = alerts.lines.map((l) => JSON.parse(l.payload));
      expect(bodies.length).toBe(devices.length + threats.length);
      expect(new Set(bodies.map((b) => b.key)).size).toBe(bodies.length);
      expect(bodies.filter((b) => b.kind === "device_new").length).toBe(devices.length);

      // Retained state catches up within a state period (5 s): poll until the byte counters agree with the API.
      let retained = new Map<string, string>();
      const stateOf = (id: string) => retained.get(`netinsight/device/${id}/state`);
      await until("retained device states matching the API", async () => {
        retained = await mqttRetained(broker.port, ["netinsight/#", "homeassistant/#"]);
        const states = [...retained.keys()].filter((t) => /^netinsight\/device\/.+\/state$/.test(t));
        return states.length === 3 && states.every((t) => {
          const s = JSON.parse(retained.get(t)!);
          const d = devices.find((x) => x.id === s.id);
          return d !== undefined && s.bytes === d.bytesSent + d.bytesReceived;
        });
      }, 20_000);
      expect(retained.get("netinsight/status")).toBe("online");
      expect(JSON.parse(retained.get("netinsight/threats/state")!).active).toBe(threats.length);
      expect(JSON.parse(retained.get("netinsight/alert/last")!).kind).toBeDefined();
      const stats = JSON.parse(retained.get("netinsight/stats")!);
      expect(stats.devices).toBe(devices.length);

      const configs = [...retained.keys()].filter((t) => t.startsWith("homeassistant/")).sort();
      const admitted = [...retained.keys()].filter((t) => /^netinsight\/device\//.test(t)).map((t) => t.split("/")[2]).sort();
      expect(configs).toEqual([
        "homeassistant/binary_sensor/netinsight/active_threats/config",
        ...admitted.map((id) => `homeassistant/binary_sensor/netinsight_${id}/presence/config`),
        ...["active_flows", "devices", "drops", "last_alert", "packets_per_second", "threats", "throughput"].map((s) => `homeassistant/sensor/netinsight/${s}/config`),
        ...admitted.map((id) => `homeassistant/sensor/netinsight_${id}/traffic/config`),
      ].sort());
      const presence = JSON.parse(retained.get(`homeassistant/binary_sensor/netinsight_${admitted[0]}/presence/config`)!);
      expect(presence).toMatchObject({
        device_class: "presence", state_topic: `netinsight/device/${admitted[0]}/state`, availability_topic: "netinsight/status",
        unique_id: `netinsight_${admitted[0]}_presence`, device: { identifiers: [`netinsight_${admitted[0]}`], via_device: "netinsight" },
      });
      expect(JSON.parse(stateOf(admitted[0])!).presence).toMatch(/^(ON|OFF)$/);

      await Bun.sleep(1100); // the health figures are refreshed once a second
      const health = (await (await fetch(`${svc.base}/api/health`)).json()) as any;
      expect(health.notifications[0]).toMatchObject({ name: `mqtt:127.0.0.1:${broker.port}`, delivered: bodies.length, pending: 0 });
    } finally {
      await svc.stop();
      await alerts.stop();
      await broker.stop();
    }
  }, 60_000);

  test("a broker that is not there at start-up: a warning, retries, and nothing lost once it comes", async () => {
    const port = await freePort();
    const svc = await startTestService({ MQTT_URL: `mqtt://127.0.0.1:${port}`, ALERT_GROUP_WAIT_SECONDS: "0" });
    let broker: Awaited<ReturnType<typeof startMosquitto>> | null = null;
    let alerts: ReturnType<typeof mqttSubscribe> | null = null;
    try {
      await until("the warning", () => svc.logs.some((l) => l.startsWith("warn: mqtt:") && l.includes("retrying")));
      const test = (await (await svc.call("/api/notifications/test", { method: "POST" })).json()) as any;
      expect(test.results[0]).toMatchObject({ ok: false });
      expect(test.results[0].error).toContain("not connected");
      await svc.feed(HOME_LAB_PCAP);
      await until("queued alerts", async () => ((await (await fetch(`${svc.base}/api/health`)).json()) as any).notifications[0].pending > 0);

      broker = await startMosquitto({ port });
      alerts = mqttSubscribe(broker.port, ["netinsight/alert"]);
      const { devices } = (await (await svc.call("/api/devices")).json()) as { devices: unknown[] };
      await until("the queued alerts after the broker came", () => alerts!.lines.length >= devices.length + 1, 45_000);
      let health: any;
      await until("an empty outbox in /api/health", async () => {
        health = await (await fetch(`${svc.base}/api/health`)).json();
        return health.notifications[0].pending === 0;
      });
      expect(health.notifications[0]).toMatchObject({ pending: 0, abandoned: 0, delivered: devices.length + 1, lastError: null });
      expect(health.notifications[0].failedAttempts).toBeGreaterThan(0);
    } finally {
      await svc.stop();
      await alerts?.stop();
      await broker?.stop();
    }
  }, 90_000);
});
