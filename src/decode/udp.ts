/** UDP (RFC 768): ports and payload bounds; the UDP length is trusted only when it fits the packet. */
import { DecodeError, type Packet } from "./packet.ts";

export function decodeUdp(p: Packet, off: number, end: number): void {
  if (end - off < 8) {
    p.error = DecodeError.Truncated;
    return;
  }
  const v = p.view;
  p.l4Off = off;
  p.srcPort = v.getUint16(off);
  p.dstPort = v.getUint16(off + 2);
  const length = v.getUint16(off + 4);
  let payloadEnd = end;
  if (length >= 8 && off + length < end) payloadEnd = off + length;
  p.payloadOff = off + 8;
  p.payloadLength = payloadEnd - off - 8;
}
