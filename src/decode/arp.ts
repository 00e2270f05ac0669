/** ARP for IPv4 over Ethernet (RFC 826): the L2 walk marks the header; `arpMessage` reads it out. */
import { DecodeError, type Packet } from "./packet.ts";
import type { ArpMessage } from "./types.ts";
import { ipv4FromNumber, macAt } from "./addr.ts";

export const ARP_LENGTH = 28;

export function decodeArp(p: Packet, off: number): void {
  if (p.end - off < ARP_LENGTH) {
    p.error = DecodeError.Truncated;
    return;
  }
  // Only Ethernet/IPv4 ARP: hardware type 1, protocol 0x0800, sizes 6 and 4.
  if (p.view.getUint16(off) !== 1 || p.view.getUint16(off + 2) !== 0x0800 || p.bytes[off + 4] !== 6 || p.bytes[off + 5] !== 4) {
    p.error = DecodeError.BadHeader;
    return;
  }
  p.arpOff = off;
}

/** The ARP message of a packet that `decodeArp` accepted. */
export function arpMessage(p: Packet): ArpMessage | undefined {
  const off = p.arpOff;
  if (off < 0) return undefined;
  const senderIp = ipv4FromNumber(p.view.getUint32(off + 14));
  const targetIp = ipv4FromNumber(p.view.getUint32(off + 24));
  const op = p.view.getUint16(off + 6);
  return {
    op,
    senderMac: macAt(p.bytes, off + 8),
    senderIp,
    targetMac: macAt(p.bytes, off + 18),
    targetIp,
    gratuitous: senderIp === targetIp || (op === 2 && p.macOff >= 0 && isBroadcast(p.bytes, p.macOff)),
  };
}

function isBroadcast(b: Uint8Array, off: number): boolean {
  return (b[off] & b[off + 1] & b[off + 2] & b[off + 3] & b[off + 4] & b[off + 5]) === 0xff;
}
