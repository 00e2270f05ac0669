/**
 * Dispatch from an EtherType (or the equivalent field of SLL/PPP/NULL) to the network-layer
 * decoder: the one table to extend when a new L3 protocol is added.
 */
import { decodeArp } from "./arp.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";
import { decodeMpls } from "./mpls.ts";
import { decodePppoeSession } from "./pppoe.ts";
import type { Packet } from "./packet.ts";

export type L3Decoder = (p: Packet, off: number) => void;

export const ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_ARP = 0x0806, ETHERTYPE_VLAN = 0x8100, ETHERTYPE_IPV6 = 0x86dd,
  ETHERTYPE_QINQ = 0x88a8, ETHERTYPE_QINQ_OLD = 0x9100, ETHERTYPE_MPLS = 0x8847, ETHERTYPE_MPLS_MC = 0x8848,
  ETHERTYPE_PPPOE_SESSION = 0x8864;

export const ETHERTYPE_DECODERS = new Map<number, L3Decoder>([
  [ETHERTYPE_IPV4, decodeIpv4],
  [ETHERTYPE_IPV6, decodeIpv6],
  [ETHERTYPE_ARP, decodeArp],
  [ETHERTYPE_MPLS, decodeMpls],
  [ETHERTYPE_MPLS_MC, decodeMpls],
  [ETHERTYPE_PPPOE_SESSION, decodePppoeSession],
]);

/** Decodes what follows an EtherType; unknown types are left as non-IP frames (not errors). */
export function decodeEtherPayload(p: Packet, etherType: number, off: number): void {
  p.etherType = etherType;
  if (etherType === ETHERTYPE_IPV4) return decodeIpv4(p, off);
  if (etherType === ETHERTYPE_IPV6) return decodeIpv6(p, off);
  const decoder = ETHERTYPE_DECODERS.get(etherType);
  if (decoder) decoder(p, off);
}
