/** Linux "cooked" captures: SLL (DLT 113, 16-byte header) and SLL2 (DLT 276, 20-byte header). */
import { DecodeError, type Packet } from "./packet.ts";
import { decodeEtherPayload } from "./ethertype.ts";

const ARPHRD_ETHER = 1;

export function decodeSll(p: Packet, off: number): void {
  if (p.end - off < 16) {
    p.error = DecodeError.Truncated;
    return;
  }
  const v = p.view;
  if (v.getUint16(off + 2) === ARPHRD_ETHER && v.getUint16(off + 4) === 6) p.srcMacOff = off + 6;
  decodeEtherPayload(p, v.getUint16(off + 14), off + 16);
}

export function decodeSll2(p: Packet, off: number): void {
  if (p.end - off < 20) {
    p.error = DecodeError.Truncated;
    return;
  }
  const v = p.view;
  if (v.getUint16(off + 8) === ARPHRD_ETHER && p.bytes[off + 11] === 6) p.srcMacOff = off + 12;
  decodeEtherPayload(p, v.getUint16(off), off + 20);
}
