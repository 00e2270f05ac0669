/**
 * IPFIX information elements NetInsight exports (RFC 7012, IANA registry), RFC 5103 reverse
 * elements, and NetInsight's own elements under a private enterprise number.
 */

/** A field of a template: element id, length on the wire (VARIABLE: RFC 7011 variable length), enterprise. */
export interface FieldSpec {
  id: number;
  length: number;
  /** 0 for IANA elements. */
  enterprise: number;
}

/** RFC 7011 section 7: a length of 65535 in a template means "variable length". */
export const VARIABLE = 0xffff;

/** RFC 5103: reverse counterparts of IANA elements use this enterprise number. */
export const REVERSE_PEN = 29305;

/**
 * NetInsight's enterprise number. NetInsight has no number of its own from IANA, so it uses 32473,
 * the one RFC 5612 sets aside for documentation and examples; a collector decoding NetInsight's
 * elements configures them under this number.
 */
export const NETINSIGHT_PEN = 32473;

/** IANA element ids (https://www.iana.org/assignments/ipfix). */
export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  icmpTypeCodeIPv4: 32,
  vlanId: 58,
  ipVersion: 60,
  sourceMacAddress: 56,
  destinationMacAddress: 80,
  icmpTypeCodeIPv6: 139,
  flowEndReason: 136,
  flowId: 148,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  biflowDirection: 239,
} as const;

/** NetInsight's own elements (enterprise NETINSIGHT_PEN): labels a standard collector has no element for. */
export const NI = {
  /** Application, e.g. "YouTube" (string). */
  application: 1,
  /** Service, e.g. "TLS", "DNS" (string). */
  service: 2,
  /** Host name the flow went to (TLS SNI, HTTP Host, or the DNS answer it used) (string). */
  hostname: 3,
  /** Category, e.g. "Streaming" (string). */
  category: 4,
  /** Device at the source / destination end (NetInsight device id, string). */
  srcDeviceId: 5,
  dstDeviceId: 6,
  /** NetInsight's flow id (unsigned64): both halves of a flow exported as two uniflows carry it. */
  flowId: 7,
} as const;

/** flowEndReason values (RFC 7012 / IANA). */
export const END_REASON = {
  idle: 1,
  active: 2,
  closed: 3,
  shutdown: 4,
  evicted: 5,
} as const;

export const iana = (id: number, length: number): FieldSpec => ({ id, length, enterprise: 0 });
export const ours = (id: number, length: number): FieldSpec => ({ id, length, enterprise: NETINSIGHT_PEN });
export const reverse = (id: number, length: number): FieldSpec => ({ id, length, enterprise: REVERSE_PEN });
