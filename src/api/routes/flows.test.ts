import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import type { FlowRecord } from "../../flows/record.ts";
import { toApiFlow } from "../convert.ts";
import { pageBodies } from "./flows.ts";

function flow(id: number, over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    id: String(id), protocol: "TCP", ipProtocol: 6, ipVersion: 4, srcIp: "192.168.1.10", srcPort: 40000 + id, dstIp: "93.184.216.34",
    dstPort: 443, srcMac: "aa:bb:cc:00:00:01", dstMac: null, vlan: 0, packetsSent: 3, bytesSent: 300, packetsReceived: 2,
    bytesReceived: 900, startTime: 1_700_000_000 + id, lastSeen: 1_700_000_001.5 + id, status: "closed", tcpState: "closed",
    tcpFlags: "SAF", service: "TLS", serviceBy: "payload", hostname: "example.com", application: null, category: null,
    srcDeviceId: "aabbcc000001", dstDeviceId: null, ...over,
  };
}

describe("flows page bodies", () => {
  test("the body is exactly what c.json wrote for the same page, with the same content type", async () => {
    const records = [flow(2), flow(1, { status: "active", hostname: null })];
    const app = new Hono();
    app.get("/json", (c) => c.json({ flows: records.map(toApiFlow), limit: 100, offset: 0, count: 2 }, 200));
    app.get("/body", (c) => c.body(pageBodies()(records, 100, 0), 200, { "content-type": "application/json" }));
    const [a, b] = [await app.request("/json"), await app.request("/body")];
    expect(await b.text()).toBe(await a.text());
    expect(b.headers.get("content-type")).toBe(a.headers.get("content-type"));
  });

  test("a page of other records, another record version or other limits makes a new body", () => {
    const body = pageBodies();
    const one = flow(1);
    const first = body([one], 100, 0);
    expect(body([one], 100, 0)).toBe(first);
    const newer = flow(1, { bytesSent: 999 });
    expect(JSON.parse(body([newer], 100, 0)).flows[0].bytesSent).toBe(999);
    expect(JSON.parse(body([newer], 10, 0)).limit).toBe(10);
    expect(JSON.parse(body([newer], 10, 5)).offset).toBe(5);
    expect(JSON.parse(body([newer, flow(2)], 10, 5)).count).toBe(2);
    expect(JSON.parse(body([], 10, 5))).toEqual({ flows: [], limit: 10, offset: 5, count: 0 });
  });
});
