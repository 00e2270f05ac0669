/** PPPoE session frames (RFC 2516) and the PPP protocol field they carry. */
import { DecodeError, type Packet } from "./packet.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";

export const PPP_IPV4 = 0x0021, PPP_IPV6 = 0x0057;

export function decodePppoeSession(p: Packet, off: number): void {
  if (p.end - off < 8) {
    p.error = DecodeError.Truncated;
    return;
  }
  decodePppProtocol(p, p.view.getUint16(off + 6), off + 8);
}

export function decodePppProtocol(p: Packet, protocol: number, off: number): void {
  if (protocol === PPP_IPV4) decodeIpv4(p, off);
  else if (protocol === PPP_IPV6) decodeIpv6(p, off);
}
