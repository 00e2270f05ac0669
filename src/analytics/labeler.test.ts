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
    expect(labels.get("10")).toEqual({ service: "TLS", serviceBy: "port", hostname: "www.netflix.com", application: "Netflix", category: "video" });
    labeler.flowStarted(flow("11", "10.0.0.2", "52.1.2.3", 100 + 4000));
    expect(labels.get("11")?.hostname).toBeUndefined();
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

  test("without a name, a known network or LAN port names the application; a later SNI replaces it", () => {
    const { labels, labeler } = setup();
    labeler.flowStarted(flow("20", "10.0.0.2", "149.154.167.91", 100));
    expect(labels.get("20")).toMatchObject({ application: "Telegram", category: "messaging" });
    labeler.flowStarted({ ...flow("21", "10.0.0.2", "10.0.0.255", 100), protocol: "UDP", ipProtocol: 17, srcPort: 17500, dstPort: 17500 });
    expect(labels.get("21")?.application).toBe("Dropbox");
    labeler.observe({ kind: "tlsClientHello", meta: meta("20", "10.0.0.2", "149.154.167.91"), msg: hello("web.telegram.org") });
    expect(labels.get("20")).toMatchObject({ hostname: "web.telegram.org", application: "Telegram", category: "messaging" });
    labeler.observe({ kind: "tlsClientHello", meta: meta("22", "10.0.0.2", "52.114.250.153"), msg: hello("52.114.250.153") });
    expect(labels.get("22")).toEqual({ hostname: "52.114.250.153", application: "Microsoft Teams", category: "conferencing" });
  });

  test("a flow without payload gets a port guess for its service; a known service is kept", () => {
    const { labels, labeler } = setup();
    labeler.flowStarted({ ...flow("30", "10.0.0.2", "10.0.0.9", 100), dstPort: 22 });
    expect(labels.get("30")).toEqual({ service: "SSH", serviceBy: "port" });
    labeler.flowStarted({ ...flow("31", "10.0.0.2", "10.0.0.9", 100), dstPort: 22, service: "HTTP", serviceBy: "payload" });
    expect(labels.has("31")).toBe(false);
    labeler.flowStarted({ ...flow("32", "10.0.0.2", "10.0.0.9", 100), srcPort: 40000, dstPort: 40001 });
    expect(labels.has("32")).toBe(false);
  });

  test("observations without a flow or a name change nothing", () => {
    const { labels, labeler } = setup();
    labeler.observe({ kind: "tlsClientHello", meta: { ...meta("x", "a", "b"), flowId: null }, msg: hello("www.youtube.com") });
    labeler.observe({ kind: "tlsClientHello", meta: meta("5", "a", "b"), msg: hello(undefined) });
    expect(labels.size).toBe(0);
  });
});
