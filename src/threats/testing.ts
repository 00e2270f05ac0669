/** Builders of synthetic FlowRecords and Observations for the detectors' unit tests. */
import type { Observation, PacketMeta } from "../engine/events.ts";
import type { DnsMessage } from "../decode/types.ts";
import type { FlowRecord } from "../flows/record.ts";
import { ThreatStore } from "./store.ts";
import { resolveThreatSettings, type ThreatSettings } from "./settings.ts";

let flowCounter = 0;

export function flow(p: Partial<FlowRecord> = {}): FlowRecord {
  const protocol = p.protocol ?? "TCP";
  return {
    id: String(++flowCounter),
    protocol,
    ipProtocol: protocol === "TCP" ? 6 : protocol === "UDP" ? 17 : protocol === "ICMP" ? 1 : 0,
    ipVersion: 4,
    srcIp: "10.0.0.2",
    srcPort: 40000,
    dstIp: "10.0.0.3",
    dstPort: 80,
    srcMac: "02:00:00:00:00:02",
    dstMac: "02:00:00:00:00:03",
    vlan: 0,
    packetsSent: 1,
    bytesSent: 60,
    packetsReceived: 0,
    bytesReceived: 0,
    startTime: 1000,
    lastSeen: p.startTime ?? 1000,
    status: "active",
    tcpState: protocol === "TCP" ? "attempt" : null,
    tcpFlags: protocol === "TCP" ? "S" : "",
    service: null,
    serviceBy: null,
    hostname: null,
    application: null,
    category: null,
    srcDeviceId: null,
    dstDeviceId: null,
    ...p,
  };
}

export function meta(p: Partial<PacketMeta> = {}): PacketMeta {
  return {
    ts: 1000,
    srcMac: "02:00:00:00:00:02",
    dstMac: "02:00:00:00:00:03",
    srcIp: "10.0.0.2",
    dstIp: "10.0.0.3",
    srcPort: 0,
    dstPort: 0,
    ipProtocol: 0,
    ipVersion: 4,
    ttl: 64,
    vlan: 0,
    length: 60,
    flowId: null,
    fromInitiator: true,
    ...p,
  };
}

export function dnsMsg(p: Partial<DnsMessage> & { name?: string; qtype?: number } = {}): DnsMessage {
  const { name, qtype, ...rest } = p;
  return {
    id: 1,
    isResponse: false,
    opcode: 0,
    rcode: 0,
    truncated: false,
    questions: name ? [{ name, type: qtype ?? 1, class: 1 }] : [],
    answers: [],
    authorities: [],
    additionals: [],
    size: 40 + (name?.length ?? 0),
    ...rest,
  };
}

export function synObs(m: Partial<PacketMeta>, isSynAck = false): Observation {
  return {
    kind: "tcpSyn",
    meta: meta({ ipProtocol: 6, ...m }),
    msg: { isSynAck, ttl: 64, initialTtl: 64, window: 1024, optionLayout: "mss", ipVersion: 4, df: false, totalLength: 44 },
  };
}

export function icmpObs(m: Partial<PacketMeta>, type: number, code = 0, v6 = false): Observation {
  return { kind: "icmp", meta: meta({ ipProtocol: v6 ? 58 : 1, ...m }), msg: { type, code, v6 } };
}

/** A fresh store and settings for one test. */
export function fixture(overrides: Partial<ThreatSettings> = {}): { store: ThreatStore; settings: ThreatSettings } {
  return { store: new ThreatStore(), settings: resolveThreatSettings(overrides) };
}

/** Deterministic pseudo-random strings (mulberry32), so tests are repeatable. */
export function randomText(seed: number): (len: number, alphabet?: string) => string {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (len, alphabet = "abcdefghijklmnopqrstuvwxyz0123456789") =>
    Array.from({ length: len }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
}
