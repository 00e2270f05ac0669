/**
 * The decoded view of one packet: a single mutable object the L2-L4 decoders fill in place for
 * every packet, so the hot path allocates nothing. Offsets point into `bytes` (the batch buffer).
 */
export const DecodeError = { None: 0, Truncated: 1, BadHeader: 2, UnsupportedLinkType: 3 } as const;
export type DecodeError = (typeof DecodeError)[keyof typeof DecodeError];

export class Packet {
  bytes: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  /** Frame bounds in `bytes`. */
  start = 0;
  end = 0;
  /** Epoch seconds (float) and the frame length on the wire. */
  ts = 0;
  wireLen = 0;

  // Link layer
  /** Offset of the destination MAC (source MAC follows at +6), -1 without an Ethernet header. */
  macOff = -1;
  /** Offset of the source MAC when the link layer gives only that (Linux SLL), else -1. */
  srcMacOff = -1;
  etherType = 0;
  /** Outer and inner 802.1Q VLAN ids, 0 when untagged. */
  vlan = 0;
  innerVlan = 0;
  /** Offset of an ARP header, -1 when the packet is not ARP. */
  arpOff = -1;

  // Network layer
  ipVersion: 0 | 4 | 6 = 0;
  l3Off = -1;
  ttl = 0;
  ipProtocol = 0;
  /** IPv4 addresses as unsigned 32-bit numbers. */
  src4 = 0;
  dst4 = 0;
  /** Offsets of the 16-byte IPv6 addresses in `bytes`. */
  src6Off = -1;
  dst6Off = -1;
  /** IPv4 identification or IPv6 fragment identification. */
  fragId = 0;
  /** Fragment offset in bytes; > 0 means a later fragment without an L4 header. */
  fragOffset = 0;
  moreFragments = false;
  dontFragment = false;
  ipTotalLength = 0;

  // Transport layer
  l4Off = -1;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  tcpWindow = 0;
  tcpHeaderLength = 0;
  icmpType = -1;
  icmpCode = -1;
  /** Application payload: offset and bytes actually captured (never past `end`). */
  payloadOff = -1;
  payloadLength = 0;

  error: DecodeError = DecodeError.None;

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
