/** Link types without a link header: raw IP (version nibble), IPv4-only, IPv6-only, BSD NULL/LOOP, PPP. */
import { DecodeError, type Packet } from "./packet.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";
import { decodePppProtocol } from "./pppoe.ts";

export function decodeRawIp(p: Packet, off: number): void {
  if (off >= p.end) {
    p.error = DecodeError.Truncated;
    return;
  }
  const version = p.bytes[off] >> 4;
  if (version === 4) decodeIpv4(p, off);
  else if (version === 6) decodeIpv6(p, off);
  else p.error = DecodeError.BadHeader;
}

/** BSD AF_ values for IPv6 differ by system: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30. */
function decodeFamily(p: Packet, family: number, off: number): void {
  if (family === 2) decodeIpv4(p, off);
  else if (family === 10 || family === 24 || family === 28 || family === 30) decodeIpv6(p, off);
}

/** DLT_NULL: the family is in the byte order of the capturing host, so accept either. */
export function decodeNull(p: Packet, off: number): void {
  if (p.end - off < 4) {
    p.error = DecodeError.Truncated;
    return;
  }
  const le = p.view.getUint32(off, true);
  decodeFamily(p, le < 0x10000 ? le : p.view.getUint32(off), off + 4);
}

/** DLT_LOOP (OpenBSD): the family in network byte order. */
export function decodeLoop(p: Packet, off: number): void {
  if (p.end - off < 4) {
    p.error = DecodeError.Truncated;
    return;
  }
  decodeFamily(p, p.view.getUint32(off), off + 4);
}

/** DLT_PPP: optional 0xff03 address/control, then a 1- or 2-byte protocol field. */
export function decodePpp(p: Packet, off: number): void {
  if (p.end - off < 2) {
    p.error = DecodeError.Truncated;
    return;
  }
  if (p.bytes[off] === 0xff && p.bytes[off + 1] === 0x03) off += 2;
  if (off >= p.end) {
    p.error = DecodeError.Truncated;
    return;
  }
  if (p.bytes[off] & 0x01) decodePppProtocol(p, p.bytes[off], off + 1);
  else if (off + 2 <= p.end) decodePppProtocol(p, p.view.getUint16(off), off + 2);
  else p.error = DecodeError.Truncated;
}
