/** Builders of synthetic Observations and FlowRecords for the device tests (no decoders needed). */
import type { DhcpMessage, DnsMessage, DnsRecord } from "../decode/types.ts";
import type { Observation, PacketMeta } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";

export function meta(p: Partial<PacketMeta> = {}): PacketMeta {
  return {
    ts: 1000, srcMac: null, dstMac: null, srcIp: null, dstIp: null, srcPort: 0, dstPort: 0, ipProtocol: 17,
    ipVersion: 4, ttl: 64, vlan: 0, length: 100, flowId: null, fromInitiator: true, ...p,
  };
}

export function dhcp(p: Partial<DhcpMessage> & { clientMac: string }, m: Partial<PacketMeta> = {}): Observation {
  const msg: DhcpMessage = {
    op: 1, messageType: 1, xid: 1, clientIp: "0.0.0.0", yourIp: "0.0.0.0", serverIp: "0.0.0.0", relayIp: "0.0.0.0",
    optionOrder: [], ...p,
  };
  return { kind: "dhcp", meta: meta({ srcMac: msg.op === 1 ? msg.clientMac : null, srcIp: "0.0.0.0", dstIp: "255.255.255.255", srcPort: 68, dstPort: 67, ...m }), msg };
}

export function arp(senderMac: string, senderIp: string, ts = 1000): Observation {
  return {
    kind: "arp", meta: meta({ ts, srcMac: senderMac, dstMac: "ff:ff:ff:ff:ff:ff", ipVersion: 0, ipProtocol: 0 }),
    msg: { op: 1, senderMac, senderIp, targetMac: "00:00:00:00:00:00", targetIp: senderIp.replace(/\d+$/, "1"), gratuitous: false },
  };
}

export function record(name: string, type: number, data: string, extra: Partial<DnsRecord> = {}): DnsRecord {
  return { name, type, class: 1, ttl: 120, data, rdLength: 0, ...extra };
}

export function dns(p: Partial<DnsMessage>): DnsMessage {
  return { id: 0, isResponse: false, opcode: 0, rcode: 0, truncated: false, questions: [], answers: [], authorities: [], additionals: [], size: 100, ...p };
}

export function flow(p: Partial<FlowRecord>): FlowRecord {
  return {
    id: "1", protocol: "TCP", ipProtocol: 6, ipVersion: 4, srcIp: "", srcPort: 40000, dstIp: "", dstPort: 443,
    srcMac: null, dstMac: null, vlan: 0, packetsSent: 10, bytesSent: 1000, packetsReceived: 8, bytesReceived: 5000,
    startTime: 1000, lastSeen: 1010, status: "closed", tcpState: "closed", tcpFlags: "SAF", service: null, serviceBy: null,
    hostname: null, application: null, category: null, srcDeviceId: null, dstDeviceId: null, ...p,
  };
}
