/**
 * A flow as the rest of NetInsight sees it (Zeek's conn.log in spirit). The flow table keeps
 * flows in typed arrays; this object is made only when a flow is reported (start, end, snapshot).
 */
export type FlowProtocol = "TCP" | "UDP" | "ICMP" | "ICMPv6" | "ARP" | "IGMP" | "GRE" | "ESP" | "SCTP" | "OTHER";
export type TcpState = "attempt" | "established" | "closed" | "reset";

export interface FlowRecord {
  /** Stable and unique: a decimal counter that continues across restarts (storage seeds it). */
  id: string;
  protocol: FlowProtocol;
  /** IP protocol number (6 TCP, 17 UDP, ...); 0 for non-IP. */
  ipProtocol: number;
  ipVersion: 4 | 6 | 0;
  /** Initiator: the sender of the first packet (of the SYN when it is seen). */
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  srcMac: string | null;
  dstMac: string | null;
  /** Outer 802.1Q VLAN id, 0 when untagged. */
  vlan: number;
  packetsSent: number; // src -> dst
  bytesSent: number; // whole frame lengths, as tshark's conversation tables count
  packetsReceived: number; // dst -> src
  bytesReceived: number;
  /** Epoch seconds (float). */
  startTime: number;
  lastSeen: number;
  status: "active" | "closed";
  /** Only for TCP. */
  tcpState: TcpState | null;
  /** TCP flags seen in either direction, as letters in the order S A F R P U E C. */
  tcpFlags: string;
  /** Filled by analytics (issue 8); null until known. */
  service: string | null;
  serviceBy: "payload" | "port" | null;
  hostname: string | null;
  application: string | null;
  category: string | null;
  /** Devices at each end (filled by the device tracker), null when the end is not a local device. */
  srcDeviceId: string | null;
  dstDeviceId: string | null;
  /**
   * Packet shape: signed payload lengths of the first payload-carrying packets (at most
   * SHAPE_PACKETS, + initiator -> responder, - back), e.g. to count SSH authentication rounds.
   * Set (non-enumerable, see snapshot.ts) on flows the engine reports to analyzers; not copied,
   * serialised or stored (read it during the hook: `analyzeFile` drops it from the records it keeps).
   */
  shape?: number[];
}
