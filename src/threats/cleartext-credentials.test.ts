import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import type { Device } from "../devices/model.ts";
import { createCleartextCredentialsDetector } from "./cleartext-credentials.ts";
import { newDeviceThreat } from "./new-device.ts";
import { fixture, meta } from "./testing.ts";

describe("cleartext credentials", () => {
  test("a sent password raises one record per client/server with the user name and no secret", () => {
    const { store, settings } = fixture();
    const d = createCleartextCredentialsDetector(store, settings);
    const login = (ts: number): Observation => ({
      kind: "cleartextAuth",
      meta: meta({ ts, srcIp: "10.0.0.5", dstIp: "10.0.0.21", srcPort: 40000, dstPort: 21 }),
      msg: { protocol: "FTP", user: "alice", secretSent: true },
    });
    // USER and PASS arrive as separate observations of one flow: the name is joined by flow id.
    d.observe!({ kind: "cleartextAuth", meta: meta({ srcIp: "10.0.0.9", dstIp: "10.0.0.21", dstPort: 21, flowId: "77" }),
      msg: { protocol: "FTP", user: "bob", secretSent: false } });
    d.observe!({ kind: "cleartextAuth", meta: meta({ srcIp: "10.0.0.9", dstIp: "10.0.0.21", dstPort: 21, flowId: "77" }),
      msg: { protocol: "FTP", secretSent: true } });
    d.observe!(login(1000));
    d.observe!(login(1001));
    d.observe!({ kind: "cleartextAuth", meta: meta({ srcIp: "10.0.0.5", dstIp: "10.0.0.21", dstPort: 21 }),
      msg: { protocol: "FTP", user: "alice", secretSent: false } });
    d.observe!({ kind: "http", meta: meta({ srcIp: "10.0.0.6", dstIp: "10.0.0.80", dstPort: 80 }),
      msg: { isRequest: true, method: "GET", uri: "/", version: "HTTP/1.1", authorizationScheme: "Basic", basicUser: "admin" } });
    const rows = store.list().map((t) => `${t.sourceIp}>${t.targetIp}:${t.targetPort} ${t.evidence.protocol} ${t.evidence.user} x${t.count}`).sort();
    expect(rows).toEqual(["10.0.0.5>10.0.0.21:21 FTP alice x2", "10.0.0.6>10.0.0.80:80 HTTP Basic admin x1",
      "10.0.0.9>10.0.0.21:21 FTP bob x1"]);
    expect(JSON.stringify(store.list())).not.toMatch(/pass(word)?"\s*:/i);
  });
});

describe("new device", () => {
  test("newDeviceThreat raises one low record per device", () => {
    const { store } = fixture();
    const device: Device = {
      id: "a4c3f0123456", mac: "a4:c3:f0:12:34:56", macs: ["a4:c3:f0:12:34:56"], ips: ["10.0.0.44"],
      vendor: { value: "Acme", confidence: 0.9 }, hostname: "cam-1", name: { value: "cam-1", confidence: 0.8 },
      type: { value: "camera", confidence: 0.7 }, os: { value: null, confidence: 0 }, isRandomizedMac: false,
      isGateway: false, firstSeen: 1000, lastSeen: 1000, packetsSent: 1, bytesSent: 60, packetsReceived: 0,
      bytesReceived: 0, flowCount: 1, evidence: [],
    };
    const t = newDeviceThreat(store, device)!;
    expect(t.type).toBe("new_device");
    expect(t.deviceId).toBe("a4c3f0123456");
    expect(t.sourceMac).toBe("a4:c3:f0:12:34:56");
    newDeviceThreat(store, device, 2000);
    expect(store.size).toBe(1);
  });
});
