/**
 * IPv6 neighbour discovery (RFC 4861, ICMPv6 133-137): who claims which address and link-layer
 * address, and what routers advertise (prefixes, lifetime, M/O flags) for devices and RA-attack checks.
 */
import type { NdpMessage } from "./types.ts";
import { ipv6String, macString } from "./read.ts";

/** Options walked per message. */
export const MAX_NDP_OPTIONS = 64;
/** Prefixes kept from one Router Advertisement. */
export const MAX_NDP_PREFIXES = 16;

/** Where options start, from the ICMPv6 header, per message type. */
const OPTIONS_START: Record<number, number> = { 133: 8, 134: 16, 135: 24, 136: 24, 137: 40 };
const OPT_SOURCE_LL = 1;
const OPT_TARGET_LL = 2;
const OPT_PREFIX_INFO = 3;
const PREFIX_INFO_LENGTH = 32;
const ETHERNET_ADDRESS = 6;

export function decodeNdp(bytes: Uint8Array, offset: number, length: number): NdpMessage | undefined {
  const end = Math.min(offset + length, bytes.length);
  if (offset < 0 || end - offset < 4) return undefined;
  const type = bytes[offset];
  const optionsStart = OPTIONS_START[type];
  if (optionsStart === undefined || end - offset < optionsStart) return undefined;
  const msg: NdpMessage = { type: type as NdpMessage["type"] };
  if (type === 134) {
    const flagByte = bytes[offset + 5]; // after the current hop limit
    msg.routerLifetime = (bytes[offset + 6] << 8) | bytes[offset + 7];
    msg.flags = { managed: (flagByte & 0x80) !== 0, other: (flagByte & 0x40) !== 0 };
  } else if (type === 136) {
    const flagByte = bytes[offset + 4];
    msg.flags = { router: (flagByte & 0x80) !== 0, solicited: (flagByte & 0x40) !== 0, override: (flagByte & 0x20) !== 0 };
  }
  if (type >= 135) msg.targetAddress = ipv6String(bytes, offset + 8);
  readOptions(bytes, offset + optionsStart, end, msg);
  return msg;
}

function readOptions(bytes: Uint8Array, pos: number, end: number, msg: NdpMessage): void {
  for (let n = 0; n < MAX_NDP_OPTIONS && pos + 2 <= end; n++) {
    const kind = bytes[pos];
    const len = bytes[pos + 1] * 8; // in units of 8 octets
    if (len === 0 || pos + len > end) return; // RFC 4861 4.6: a zero length is invalid
    if ((kind === OPT_SOURCE_LL || kind === OPT_TARGET_LL) && len >= 2 + ETHERNET_ADDRESS) {
      const mac = macString(bytes, pos + 2);
      if (kind === OPT_SOURCE_LL) msg.sourceLinkAddress = mac;
      else msg.targetLinkAddress = mac;
    } else if (kind === OPT_PREFIX_INFO && len >= PREFIX_INFO_LENGTH) {
      const prefixes = (msg.prefixes ??= []);
      if (prefixes.length < MAX_NDP_PREFIXES) prefixes.push(`${ipv6String(bytes, pos + 16)}/${bytes[pos + 2]}`);
    }
    pos += len;
  }
}
