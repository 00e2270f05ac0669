import { describe, expect, test } from "bun:test";
import type { FlowRecord } from "../flows/record.ts";
import { ProtocolSummary, summarizeProtocols } from "./summary.ts";

function flow(service: string | null, application: string | null, bytes: number): FlowRecord {
  return {
    id: "1", protocol: "UDP", ipProtocol: 17, ipVersion: 4, srcIp: "10.0.0.2", srcPort: 5000, dstIp: "1.1.1.1", dstPort: 53,
    srcMac: null, dstMac: null, vlan: 0, packetsSent: 1, bytesSent: bytes, packetsReceived: 1, bytesReceived: 0,
    startTime: 0, lastSeen: 0, status: "closed", tcpState: null, tcpFlags: "", service, serviceBy: service ? "payload" : null,
    hostname: null, application, category: application ? "video" : null, srcDeviceId: null, dstDeviceId: null,
  };
}

describe("summarizeProtocols", () => {
  test("ranks services and applications by bytes with percentages; unlabelled flows fall back", () => {
    const s = summarizeProtocols([flow("QUIC", "YouTube", 600), flow("QUIC", "YouTube", 200), flow(null, null, 200)]);
    expect(s.services).toEqual([
      { service: "QUIC", bytes: 800, packets: 4, flows: 2, percent: 80 },
      { service: "UDP", bytes: 200, packets: 2, flows: 1, percent: 20 },
    ]);
    expect(s.applications).toEqual([
      { application: "YouTube", category: "video", bytes: 800, flows: 2, percent: 80 },
    ]);
    expect(summarizeProtocols([])).toEqual({ services: [], applications: [] });
  });

  test("flows counted in any order give the answer of id order (a name's category: its lowest-id flow's)", () => {
    const labelled = (id: number, category: string | null, bytes: number) => ({ ...flow("TLS", "Zoom", bytes), id: String(id), category });
    const flows = [labelled(1, null, 100), labelled(2, "conferencing", 300), labelled(3, "video", 300), { ...flow("DNS", null, 300), id: "4" }];
    const inIdOrder = summarizeProtocols(flows);
    expect(inIdOrder.applications[0].category).toBe("conferencing");
    const endOrder = new ProtocolSummary();
    for (const i of [3, 0, 2, 1]) endOrder.add(flows[i]);
    expect(endOrder.result()).toEqual(inIdOrder);
  });
});
