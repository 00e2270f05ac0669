/** Turns a flow table entry into a FlowRecord (the only place flow objects are made). */
import { ipv4Name, ipv6Name, macName } from "../decode/addr.ts";
import { KEY_WORDS } from "./key.ts";
import type { FlowProtocol, FlowRecord, TcpState } from "./record.ts";
import type { FlowTable } from "./table.ts";
import { ST_ATTEMPT, ST_CLOSED, ST_ESTABLISHED, ST_RESET } from "./state.ts";

const PROTOCOL_NAMES: Record<number, FlowProtocol> = {
  1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 47: "GRE", 50: "ESP", 58: "ICMPv6", 132: "SCTP",
};

const TCP_STATES: Record<number, TcpState> = {
  [ST_ATTEMPT]: "attempt", [ST_ESTABLISHED]: "established", [ST_CLOSED]: "closed", [ST_RESET]: "reset",
};

/** TCP flag letters in a fixed order: SYN ACK FIN RST PSH URG ECE CWR. */
const FLAG_LETTERS: [number, string][] = [[0x02, "S"], [0x10, "A"], [0x01, "F"], [0x04, "R"], [0x08, "P"], [0x20, "U"], [0x40, "E"], [0x80, "C"]];

function flagLetters(flags: number): string {
  let s = "";
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  return s;
}

const FLAG_STRINGS = Array.from({ length: 256 }, (_, f) => flagLetters(f));

export function tcpFlagLetters(flags: number): string {
  return FLAG_STRINGS[flags & 0xff];
}

function endpoint(keys: Uint32Array, base: number, version: number): string {
  if (version === 4) return ipv4Name(keys[base]);
  return ipv6Name(keys[base], keys[base + 1], keys[base + 2], keys[base + 3]);
}

/**
 * Sets a record's packet shape as a non-enumerable property: detectors in the capture thread read
 * it, while copies, JSON, the worker boundary and storage (edges that do not keep it) never see it.
 */
export function withShape(r: FlowRecord, shape: number[]): void {
  Object.defineProperty(r, "shape", { value: shape, writable: true, enumerable: false, configurable: true });
}

export function toFlowRecord(t: FlowTable, i: number): FlowRecord {
  const base = i * KEY_WORDS;
  const k = t.keys;
  const meta = k[base + 9];
  const ipVersion = (meta >>> 20) as 4 | 6;
  const ipProtocol = (meta >>> 12) & 0xff;
  const ports = k[base + 8];
  const aIsInit = t.initiatorIsA[i] === 1;
  const a = endpoint(k, base, ipVersion), b = endpoint(k, base + 4, ipVersion);
  const portA = ports >>> 16, portB = ports & 0xffff;
  const st = t.state[i];
  const i2 = i * 2;
  const isTcp = ipProtocol === 6;
  const record: FlowRecord = {
    id: String(t.ids[i]),
    protocol: PROTOCOL_NAMES[ipProtocol] ?? "OTHER",
    ipProtocol,
    ipVersion,
    srcIp: aIsInit ? a : b,
    srcPort: aIsInit ? portA : portB,
    dstIp: aIsInit ? b : a,
    dstPort: aIsInit ? portB : portA,
    srcMac: t.macs[i2] >= 0 ? macName(t.macs[i2]) : null,
    dstMac: t.macs[i2 + 1] >= 0 ? macName(t.macs[i2 + 1]) : null,
    vlan: meta & 0xfff,
    packetsSent: t.packets[i2],
    bytesSent: t.bytes[i2],
    packetsReceived: t.packets[i2 + 1],
    bytesReceived: t.bytes[i2 + 1],
    startTime: t.firstSeen[i],
    lastSeen: t.lastSeen[i],
    status: st === ST_CLOSED || st === ST_RESET ? "closed" : "active",
    tcpState: isTcp ? TCP_STATES[st] ?? "attempt" : null,
    tcpFlags: isTcp ? tcpFlagLetters(t.tcpFlags[i2] | t.tcpFlags[i2 + 1]) : "",
    service: null,
    serviceBy: null,
    hostname: null,
    application: null,
    category: null,
    srcDeviceId: null,
    dstDeviceId: null,
  };
  t.labels.apply(i, record);
  withShape(record, t.shapeOf(i));
  return record;
}

/**
 * Brings the counters, state and labels of a record made earlier for flow `i` up to date (no new
 * strings, no allocation; the packet shape stays as it was when the record was made).
 */
export function refreshFlowRecord(t: FlowTable, i: number, r: FlowRecord): void {
  const i2 = i * 2;
  const st = t.state[i];
  r.packetsSent = t.packets[i2];
  r.bytesSent = t.bytes[i2];
  r.packetsReceived = t.packets[i2 + 1];
  r.bytesReceived = t.bytes[i2 + 1];
  r.lastSeen = t.lastSeen[i];
  r.status = st === ST_CLOSED || st === ST_RESET ? "closed" : "active";
  if (r.ipProtocol === 6) {
    r.tcpState = TCP_STATES[st] ?? "attempt";
    r.tcpFlags = tcpFlagLetters(t.tcpFlags[i2] | t.tcpFlags[i2 + 1]);
  }
  t.labels.apply(i, r);
}
