/** Turns a flow table entry into a FlowRecord (the only place flow objects are made). */
import { macName } from "../decode/addr.ts";
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

/** "TCP", "UDP", ... as a FlowRecord names its IP protocol. */
export function flowProtocolName(ipProtocol: number): FlowProtocol {
  return PROTOCOL_NAMES[ipProtocol] ?? "OTHER";
}

export function tcpFlagLetters(flags: number): string {
  return FLAG_STRINGS[flags & 0xff];
}


/**
 * Sets a record's packet shape as a non-enumerable property: detectors in the capture thread read
 * it, while copies, JSON, the worker boundary and storage (edges that do not keep it) never see it.
 */
export function withShape(r: FlowRecord, shape: number[]): void {
  Object.defineProperty(r, "shape", { value: shape, writable: true, enumerable: false, configurable: true });
}

export function toFlowRecord(t: FlowTable, i: number): FlowRecord {
  const ipProtocol = t.ipProtocolOf(i);
  const st = t.stateOf(i);
  const isTcp = ipProtocol === 6;
  const srcMac = t.initiatorMac(i), dstMac = t.responderMac(i);
  const record: FlowRecord = {
    id: String(t.ids[i]),
    protocol: flowProtocolName(ipProtocol),
    ipProtocol,
    ipVersion: t.ipVersionOf(i) as 4 | 6,
    srcIp: t.initiatorIp(i),
    srcPort: t.initiatorPort(i),
    dstIp: t.responderIp(i),
    dstPort: t.responderPort(i),
    srcMac: srcMac >= 0 ? macName(srcMac) : null,
    dstMac: dstMac >= 0 ? macName(dstMac) : null,
    vlan: t.vlanOf(i),
    packetsSent: t.packetsOf(i, 0),
    bytesSent: t.bytesOf(i, 0),
    packetsReceived: t.packetsOf(i, 1),
    bytesReceived: t.bytesOf(i, 1),
    startTime: t.firstSeenOf(i),
    lastSeen: t.lastSeenOf(i),
    status: st === ST_CLOSED || st === ST_RESET ? "closed" : "active",
    tcpState: isTcp ? TCP_STATES[st] ?? "attempt" : null,
    tcpFlags: isTcp ? tcpFlagLetters(t.tcpFlagsOf(i, 0) | t.tcpFlagsOf(i, 1)) : "",
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
  const st = t.stateOf(i);
  r.packetsSent = t.packetsOf(i, 0);
  r.bytesSent = t.bytesOf(i, 0);
  r.packetsReceived = t.packetsOf(i, 1);
  r.bytesReceived = t.bytesOf(i, 1);
  r.lastSeen = t.lastSeenOf(i);
  r.status = st === ST_CLOSED || st === ST_RESET ? "closed" : "active";
  if (r.ipProtocol === 6) {
    r.tcpState = TCP_STATES[st] ?? "attempt";
    r.tcpFlags = tcpFlagLetters(t.tcpFlagsOf(i, 0) | t.tcpFlagsOf(i, 1));
  }
  t.labels.apply(i, r);
}
