/**
 * The decoded view of one packet: a single mutable object the L2-L4 decoders fill in place for
 * every packet, so the hot path allocates nothing. Offsets point into `bytes` (the batch buffer).
 */
export const DecodeError = { None: 0, Truncated: 1, BadHeader: 2, UnsupportedLinkType: 3 } as const;
export type DecodeError = (typeof DecodeError)[keyof typeof DecodeError];

const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY_BYTES.buffer);

export class Packet {
  // Every field is declared here and given its value in one place, reset(): a field that reset()
  // forgot would leak from one packet into the next (packet.test.ts checks that none can).
  declare bytes: Uint8Array;
  declare view: DataView;
  /** Frame bounds in `bytes`. */
  declare start: number;
  declare end: number;
  /** Epoch seconds (float) and the frame length on the wire. */
  declare ts: number;
  declare wireLen: number;

  // Link layer
  /** Offset of the destination MAC (source MAC follows at +6), -1 without an Ethernet header. */
  declare macOff: number;
  /** Offset of the source MAC when the link layer gives only that (Linux SLL), else -1. */
  declare srcMacOff: number;
  declare etherType: number;
  /** Outer and inner 802.1Q VLAN ids, 0 when untagged. */
  declare vlan: number;
  declare innerVlan: number;
  /** Offset of an ARP header, -1 when the packet is not ARP. */
  declare arpOff: number;

  // Network layer
  declare ipVersion: 0 | 4 | 6;
  declare l3Off: number;
  declare ttl: number;
  declare ipProtocol: number;
  /** IPv4 addresses as unsigned 32-bit numbers. */
  declare src4: number;
  declare dst4: number;
  /** Offsets of the 16-byte IPv6 addresses in `bytes`. */
  declare src6Off: number;
  declare dst6Off: number;
  /** IPv4 identification or IPv6 fragment identification. */
  declare fragId: number;
  /** Fragment offset in bytes; > 0 means a later fragment without an L4 header. */
  declare fragOffset: number;
  declare moreFragments: boolean;
  declare dontFragment: boolean;
  declare ipTotalLength: number;

  // Transport layer
  declare l4Off: number;
  declare srcPort: number;
  declare dstPort: number;
  declare tcpFlags: number;
  declare tcpWindow: number;
  declare tcpHeaderLength: number;
  declare icmpType: number;
  declare icmpCode: number;
  /** Application payload: offset and bytes actually captured (never past `end`). */
  declare payloadOff: number;
  declare payloadLength: number;

  declare error: DecodeError;

  constructor() {
    this.reset(EMPTY_BYTES, EMPTY_VIEW, 0, 0, 0, 0);
  }

  /** The one list of defaults: what every field holds before the decoders fill in a new packet. */
  reset(bytes: Uint8Array, view: DataView, start: number, end: number, ts: number, wireLen: number): void {
    this.bytes = bytes;
    this.view = view;
    this.start = start;
    this.end = end;
    this.ts = ts;
    this.wireLen = wireLen;
    this.macOff = -1;
    this.srcMacOff = -1;
    this.etherType = 0;
    this.vlan = 0;
    this.innerVlan = 0;
    this.arpOff = -1;
    this.ipVersion = 0;
    this.l3Off = -1;
    this.ttl = 0;
    this.ipProtocol = 0;
    this.src4 = 0;
    this.dst4 = 0;
    this.src6Off = -1;
    this.dst6Off = -1;
    this.fragId = 0;
    this.fragOffset = 0;
    this.moreFragments = false;
    this.dontFragment = false;
    this.ipTotalLength = 0;
    this.l4Off = -1;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.tcpWindow = 0;
    this.tcpHeaderLength = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.payloadOff = -1;
    this.payloadLength = 0;
    this.error = DecodeError.None;
  }
}

/** Well-known TCP flag bits. */
export const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_URG = 0x20, TCP_ECE = 0x40, TCP_CWR = 0x80;

export const IPPROTO_ICMP = 1, IPPROTO_IGMP = 2, IPPROTO_IPIP = 4, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_IPV6 = 41,
  IPPROTO_GRE = 47, IPPROTO_ESP = 50, IPPROTO_AH = 51, IPPROTO_ICMPV6 = 58, IPPROTO_SCTP = 132;
