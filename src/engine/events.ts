/**
 * The events the engine raises while it walks packets: parsers report, policies decide (Zeek).
 * Device discovery, threat detectors and analytics implement `Analyzer` and see only these.
 */
import type {
  ArpMessage, CleartextAuth, DhcpMessage, Dhcpv6Message, DnsMessage, HttpMessage, NdpMessage,
  NetbiosMessage, SsdpMessage, TcpSynTraits, TlsClientHello, TlsServerHello,
} from "../decode/types.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { EndReason, FlowTable } from "../flows/table.ts";

/**
 * Where an observation came from. Strings are made only for observed (rare) packets, on first read.
 * Valid during the `observe` call only: the engine fills the same meta for the next packet (copy the
 * fields you keep, as every analyzer does).
 */
export interface PacketMeta {
  ts: number; // epoch seconds (float)
  srcMac: string | null;
  dstMac: string | null;
  srcIp: string | null;
  dstIp: string | null;
  srcPort: number;
  dstPort: number;
  ipProtocol: number;
  ipVersion: 4 | 6 | 0;
  ttl: number;
  vlan: number;
  /** Frame length on the wire. */
  length: number;
  /** The flow this packet belongs to, and whether it travels initiator -> responder. */
  flowId: string | null;
  /** The flow's index in the engine's flow table (-1 none), valid during the call only (numeric hooks). */
  flowIndex?: number;
  /**
   * The sender's MAC as a 48-bit number (-1 none) and its IPv4 address as a number (-1 none, or not
   * IPv4), when the engine made the meta: observers that key by numbers read these, no text made.
   */
  readonly srcMacNumber?: number;
  readonly srcIp4?: number;
  /** The receiver's IPv4 address as a number (-1 none, or not IPv4), as srcIp4. */
  readonly dstIp4?: number;
  /** Word i (0-3) of the source IPv6 address (IPv6 packets), when the engine made the meta: srcIp without its text. */
  srcIp6Word?(i: 0 | 1 | 2 | 3): number;
  /** The flow's id as a number (-1 none): flowId's number, when the engine made the meta. */
  readonly flowNumber?: number;
  fromInitiator: boolean;
}

export type Observation =
  | { kind: "arp"; meta: PacketMeta; msg: ArpMessage }
  | { kind: "dhcp"; meta: PacketMeta; msg: DhcpMessage }
  | { kind: "dhcpv6"; meta: PacketMeta; msg: Dhcpv6Message }
  | { kind: "dns"; meta: PacketMeta; msg: DnsMessage }
  | { kind: "mdns"; meta: PacketMeta; msg: DnsMessage }
  | { kind: "llmnr"; meta: PacketMeta; msg: DnsMessage }
  | { kind: "netbios"; meta: PacketMeta; msg: NetbiosMessage }
  | { kind: "ssdp"; meta: PacketMeta; msg: SsdpMessage }
  | { kind: "ndp"; meta: PacketMeta; msg: NdpMessage }
  | { kind: "http"; meta: PacketMeta; msg: HttpMessage }
  | { kind: "tlsClientHello"; meta: PacketMeta; msg: TlsClientHello }
  | { kind: "tlsServerHello"; meta: PacketMeta; msg: TlsServerHello }
  | { kind: "quicClientHello"; meta: PacketMeta; msg: TlsClientHello }
  | { kind: "tcpSyn"; meta: PacketMeta; msg: TcpSynTraits }
  | { kind: "sshBanner"; meta: PacketMeta; msg: { banner: string } }
  | { kind: "cleartextAuth"; meta: PacketMeta; msg: CleartextAuth }
  /** ICMP / ICMPv6 (non-NDP) message: type and code. */
  | { kind: "icmp"; meta: PacketMeta; msg: { type: number; code: number; v6: boolean } };

export type ObservationKind = Observation["kind"];

/** Seconds of capture time between two `flowUpdated` reports of a flow that keeps sending. */
export const FLOW_UPDATE_SECONDS = 5;
/** Payload packets per flow and direction handed to `payload` (nDPI-style DPI budget). */
export const PAYLOAD_BUDGET_PACKETS = 16;

/**
 * Which flows a flow hook or the payload hook is about: the engine calls the hook only for flows
 * that match every field given, and makes no FlowRecord for a flow no hook wants. Matched on the
 * flow's numbers (no strings): the IP protocol and the initiator's or responder's port.
 */
export interface FlowFilter {
  /** IP protocol numbers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...). */
  ipProtocols?: readonly number[];
  /** Ports at either end of the flow (initiator or responder). */
  ports?: readonly number[];
}

/** A payload filter can also name the direction (default both), and test the bytes. */
export interface PayloadFilter extends FlowFilter {
  direction?: "initiator" | "responder";
  /**
   * Whether the hook wants this payload, read in place: `bytes[offset .. offset + length)` (the
   * capture's buffer, not a view of the payload). The engine makes the payload's view only for a
   * hook whose test holds, and none when no hook's does: a test that rejects what the hook would
   * return early on (a TLS heartbeat detector and the packets without a heartbeat record) spares a
   * typed array per packet. Must not keep `bytes`.
   */
  test?(bytes: Uint8Array, offset: number, length: number, flows: FlowTable, index: number): boolean;
}

/**
 * A stage after the flow table. Every hook is optional; hooks run on the capture path, so they
 * must be cheap and must not throw (the engine catches and counts what does).
 *
 * Two ways to hear about flows:
 * - `flowStarted` / `flowUpdated` / `flowEnded` / `payload` are handed a FlowRecord (strings made for
 *   the event, shared by every analyzer of that event: read it, do not change it).
 * - The numeric hooks `flowStartedAt` / `flowUpdatedAt` / `flowEndedAt` / `payloadAt` are handed the
 *   flow table and the flow's index instead: read what you need through the table's accessors
 *   (`flows.initiatorPort(i)`, `flows.ipProtocolOf(i)`, `flows.initiatorMac(i)` as a number,
 *   `flows.initiatorIp(i)` as a cached string, `flows.packetsOf(i, 0)`, ... see flows/table.ts). The
 *   index is valid during the call only (keep `flows.ids[i]` to name the flow later). No FlowRecord is
 *   made for an event whose analyzers are all numeric. When an analyzer has both forms of a hook,
 *   the engine calls only the numeric one (the record form can stay for tests and other callers).
 * `updateFilter` / `payloadFilter` narrow which flows reach flowUpdated(At) / payload(At).
 */
export interface Analyzer {
  readonly name: string;
  /**
   * Called for every observation (only kinds listed in `wants`, when given). The observation object,
   * like its meta, is the engine's own, reused for the next one: read it during the call, keep its fields.
   */
  wants?: readonly ObservationKind[];
  observe?(o: Observation): void;
  /** A new flow was created (first packet). */
  flowStarted?(flow: FlowRecord): void;
  /** A flow ended: idle timeout, TCP close, eviction, or the end of the capture. */
  flowEnded?(flow: FlowRecord, reason: "idle" | "closed" | "evicted" | "shutdown"): void;
  /**
   * A flow in progress, every FLOW_UPDATE_SECONDS of capture time when it saw packets since its
   * last report (start or update), so detectors can judge flows while they are going on.
   */
  flowUpdated?(flow: FlowRecord): void;
  /**
   * The payload of one of the first PAYLOAD_BUDGET_PACKETS payload packets of a flow in each
   * direction. `data` is a view into the capture buffer, valid only during the call (copy what
   * you keep); `flow` is shared by the calls of one flow within an update period and its counters
   * are refreshed per call (its `shape` is as of the period's first payload packet).
   */
  payload?(flow: FlowRecord, data: Uint8Array, fromInitiator: boolean, ts: number): void;
  /** Once per second of capture time (packet time for files, wall time when idle live). */
  tick?(now: number): void;

  /** Numeric flowStarted: the flow is `flows`'s entry `index` (valid during the call only). */
  flowStartedAt?(flows: FlowTable, index: number): void;
  /** Numeric flowEnded: the entry is still readable during the call, freed right after. */
  flowEndedAt?(flows: FlowTable, index: number, reason: EndReason): void;
  /** Numeric flowUpdated. */
  flowUpdatedAt?(flows: FlowTable, index: number): void;
  /** Numeric payload: `data` as for `payload`; the packet shape is `flows.shapeOf(index)`. */
  payloadAt?(flows: FlowTable, index: number, data: Uint8Array, fromInitiator: boolean, ts: number): void;
  /** Only flows that match reach flowUpdated / flowUpdatedAt (default: every flow with packets). */
  updateFilter?: FlowFilter;
  /** Only payloads of flows (and the direction) that match reach payload / payloadAt (default: all). */
  payloadFilter?: PayloadFilter;
}
