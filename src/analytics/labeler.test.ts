import { describe, expect, test } from "bun:test";
import type { DnsMessage, TlsClientHello } from "../decode/types.ts";
import type { PacketMeta } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import { type FlowLabelPatch, FlowLabeler } from "./labeler.ts";

function meta(flowId: string, srcIp: string, dstIp: string, ts = 100): PacketMeta {
  return {
    ts, srcMac: null, dstMac: null, srcIp, dstIp, srcPort: 50000, dstPort: 443, ipProtocol: 6,
    ipVersion: 4, ttl: 64, vlan: 0, length: 100, flowId, fromInitiator: true,
  };
}
function flow(id: string, srcIp: string, dstIp: string, startTime: number): FlowRecord {
  return {
    id, protocol: "TCP", ipProtocol: 6, ipVersion: 4, srcIp, srcPort: 50000, dstIp, dstPort: 443,
    srcMac: null, dstMac: null, vlan: 0, packetsSent: 1, bytesSent: 60, packetsReceived: 0, bytesReceived: 0,
    startTime, lastSeen: startTime, status: "active", tcpState: "attempt", tcpFlags: "S", service: null,
    serviceBy: null, hostname: null, application: null, category: null, srcDeviceId: null, dstDeviceId: null,
  };
}
function hello(sni?: string): TlsClientHello {
  return { version: 0x0303, supportedVersions: [], sni, alpn: [], cipherSuites: [], extensions: [], signatureAlgorithms: [], ja4: "" };
}
function setup() {
  const labels = new Map<string, FlowLabelPatch>();
  const labeler = new FlowLabeler({ labelFlow: (id, p) => labels.set(id, { ...labels.get(id), ...p }) });
  return { labels, labeler };
}
const dnsAnswer: DnsMessage = {
  id: 7, isResponse: true, opcode: 0, rcode: 0, truncated: false,
  questions: [{ name: "www.netflix.com", type: 1, class: 1 }],
  answers: [{ name: "www.netflix.com", type: 1, class: 1, ttl: 60, data: "52.1.2.3", rdLength: 4 }],
  authorities: [], additionals: [], size: 60,
};

describe("FlowLabeler", () => {
  test("labels a TLS flow from its SNI with application and category", () => {
    const { labels, labeler } = setup();
    labeler.observe({ kind: "tlsClientHello", meta: meta("1", "10.0.0.2", "142.250.1.1"), msg: hello("rr1---sn-x.googlevideo.com") });
    expect(labels.get("1")).toEqual({ hostname: "rr1---sn-x.googlevideo.com", application: "YouTube", category: "video" });
  });

  test("labels QUIC and HTTP flows; a host without a table entry gets null application", () => {
    const { labels, labeler } = setup();
    labeler.observe({ kind: "quicClientHello", meta: meta("2", "10.0.0.2", "1.1.1.1"), msg: hello("www.instagram.com") });
    labeler.observe({ kind: "http", meta: meta("3", "10.0.0.2", "1.1.1.2"), msg: { isRequest: true, version: "1.1", host: "Example.ORG:8080" } });
    labeler.observe({ kind: "http", meta: meta("4", "10.0.0.2", "1.1.1.3"), msg: { isRequest: false, version: "1.1", status: 200 } });
    expect(labels.get("2")?.application).toBe("Instagram");
    expect(labels.get("3")).toEqual({ hostname: "example.org", application: null, category: null });
    expect(labels.has("4")).toBe(false);
  });

  test("names a flow from the DNS answer its client got shortly before, and not after expiry", () => {
    const { labels, labeler } = setup();
    labeler.observe({ kind: "dns", meta: { ...meta("9", "192.168.1.1", "10.0.0.2", 100), srcPort: 53 }, msg: dnsAnswer });
    expect(labels.get("9")?.hostname).toBe("www.netflix.com"); // the DNS flow itself
    labeler.flowStarted(flow("10", "10.0.0.2", "52.1.2.3", 101));
    expect(labels.get("10")).toEqual({ hostname: "www.netflix.com", application: "Netflix", category: "video" });
    labeler.flowStarted(flow("11", "10.0.0.2", "52.1.2.3", 100 + 4000));
    expect(labels.has("11")).toBe(false);
  });

  test("a handshake name replaces a DNS-derived one, never the other way round", () => {
    const { labels, labeler } = setup();
    labeler.observe({ kind: "dns", meta: { ...meta("9", "192.168.1.1", "10.0.0.2"), srcPort: 53 }, msg: dnsAnswer });
    labeler.flowStarted(flow("12", "10.0.0.2", "52.1.2.3", 101));
    labeler.observe({ kind: "tlsClientHello", meta: meta("12", "10.0.0.2", "52.1.2.3"), msg: hello("api.spotify.com") });
    expect(labels.get("12")?.application).toBe("Spotify");
    labeler.observe({ kind: "dns", meta: meta("12", "10.0.0.2", "52.1.2.3"), msg: dnsAnswer });
    expect(labels.get("12")?.hostname).toBe("api.spotify.com");
  });

  test("observations without a flow or a name change nothing", () => {
    const { labels, labeler } = setup();
    labeler.observe({ kind: "tlsClientHello", meta: { ...meta("x", "a", "b"), flowId: null }, msg: hello("www.youtube.com") });
    labeler.observe({ kind: "tlsClientHello", meta: meta("5", "a", "b"), msg: hello(undefined) });
    expect(labels.size).toBe(0);
  });
});
