import { describe, expect, test } from "bun:test";
import { createSlowScanDetector, isProbe } from "./slow-scan.ts";
import { fixture, flow } from "./testing.ts";

const probe = (port: number, t: number, p: Parameters<typeof flow>[0] = {}) =>
  flow({ id: `p${port}-${t}`, srcIp: "10.0.0.66", dstIp: "10.0.0.10", dstPort: port, startTime: t, lastSeen: t + 0.01,
    packetsSent: 2, packetsReceived: 1, tcpState: "reset", tcpFlags: "SAR", shape: [], ...p });

describe("slow port scan", () => {
  test("nmap -T1: one probe every 15 s to distinct ports adds up over the long window", () => {
    const { store, settings } = fixture({ slowScanPorts: 6 });
    const d = createSlowScanDetector(store, settings);
    const ports = [21, 22, 23, 24, 25, 80, 443];
    ports.slice(0, 5).forEach((port, i) => d.flowEnded!(probe(port, 1000 + i * 15), "closed"));
    expect(store.size).toBe(0);
    d.flowEnded!(probe(80, 1075), "closed");
    const [t] = store.list();
    expect(t).toMatchObject({ type: "port_scan", sourceIp: "10.0.0.66", targetIp: "10.0.0.10" });
    expect(t.evidence.slowScanSamplePorts).toEqual([21, 22, 23, 24, 25, 80]);
  });

  test("connections that carry payload, or retries to one port, are no scan", () => {
    expect(isProbe(probe(22, 0, { shape: [21, -41] }))).toBe(false);
    expect(isProbe(probe(22, 0, { tcpFlags: "SAF", packetsSent: 3 }))).toBe(false);
    const { store, settings } = fixture({ slowScanPorts: 6 });
    const d = createSlowScanDetector(store, settings);
    for (let i = 0; i < 50; i++) d.flowEnded!(probe(8443, 1000 + i * 30), "closed"); // an app retrying its server
    for (let i = 0; i < 10; i++) d.flowEnded!(probe(1000 + i, 1000 + i, { shape: [100, -200] }), "closed");
    expect(store.size).toBe(0);
  });
});
