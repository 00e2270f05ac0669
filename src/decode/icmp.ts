/** ICMP and ICMPv6: type and code; the body (echo id, NDP options) is read by later stages. */
import { DecodeError, type Packet } from "./packet.ts";

export function decodeIcmp(p: Packet, off: number, end: number): void {
  if (end - off < 4) {
    p.error = DecodeError.Truncated;
    return;
  }
  p.l4Off = off;
  p.icmpType = p.bytes[off];
  p.icmpCode = p.bytes[off + 1];
  p.payloadOff = off + 4;
  p.payloadLength = end - off - 4;
}
