/**
 * The entry point of decoding: link type -> first decoder (Zeek's packet_analysis registrations).
 * `decodeFrame` fills a reusable Packet and never throws.
 */
import { DecodeError, type Packet } from "./packet.ts";
import { decodeEthernet } from "./ethernet.ts";
import { decodeSll, decodeSll2 } from "./sll.ts";
import { decodeLoop, decodeNull, decodePpp, decodeRawIp } from "./raw.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";
import { decodeNflog } from "./nflog.ts";
import { decodeRadiotap, decodeIeee80211 } from "./radiotap.ts";

export type LinkDecoder = (p: Packet, off: number) => void;

export const LINKTYPE_ETHERNET = 1;

/** libpcap LINKTYPE_ values (and the DLT_ aliases that files still carry). */
export const LINK_TYPES = new Map<number, { name: string; decode: LinkDecoder }>([
  [0, { name: "NULL", decode: decodeNull }],
  [1, { name: "EN10MB", decode: decodeEthernet }],
  [9, { name: "PPP", decode: decodePpp }],
  [12, { name: "RAW", decode: decodeRawIp }],
  [14, { name: "RAW (OpenBSD)", decode: decodeRawIp }],
  [101, { name: "RAW", decode: decodeRawIp }],
  [105, { name: "IEEE802_11", decode: decodeIeee80211 }],
  [108, { name: "LOOP", decode: decodeLoop }],
  [113, { name: "LINUX_SLL", decode: decodeSll }],
  [127, { name: "IEEE802_11_RADIOTAP", decode: decodeRadiotap }],
  [228, { name: "IPV4", decode: decodeIpv4 }],
  [229, { name: "IPV6", decode: decodeIpv6 }],
  [239, { name: "NFLOG", decode: decodeNflog }],
  [276, { name: "LINUX_SLL2", decode: decodeSll2 }],
]);

export function linkTypeName(linkType: number): string {
  return LINK_TYPES.get(linkType)?.name ?? `LINKTYPE ${linkType}`;
}

export function isSupportedLinkType(linkType: number): boolean {
  return LINK_TYPES.has(linkType);
}

export class UnsupportedLinkTypeError extends Error {
  constructor(readonly linkType: number) {
    super(
      `link type ${linkType} is not supported; NetInsight decodes ` +
        [...LINK_TYPES].map(([n, t]) => `${t.name} (${n})`).join(", "),
    );
    this.name = "UnsupportedLinkTypeError";
  }
}

/** Returns a decoder for the link type, or throws UnsupportedLinkTypeError (once per capture, not per packet). */
export function linkDecoder(linkType: number): LinkDecoder {
  const t = LINK_TYPES.get(linkType);
  if (!t) throw new UnsupportedLinkTypeError(linkType);
  return t.decode;
}

export function decodeFrame(p: Packet, decode: LinkDecoder): void {
  if (p.end <= p.start) {
    p.error = DecodeError.Truncated;
    return;
  }
  decode(p, p.start);
}
