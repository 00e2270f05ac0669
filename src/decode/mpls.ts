/** MPLS label stack (RFC 3032): pop labels to the bottom of the stack, then IPv4/IPv6 by version nibble. */
import { DecodeError, type Packet } from "./packet.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";

export const MAX_MPLS_LABELS = 8;

export function decodeMpls(p: Packet, off: number): void {
  for (let i = 0; i < MAX_MPLS_LABELS; i++) {
    if (p.end - off < 4) {
      p.error = DecodeError.Truncated;
      return;
    }
    const bottom = (p.bytes[off + 2] & 0x01) !== 0;
    off += 4;
    if (!bottom) continue;
    if (off >= p.end) return;
    const version = p.bytes[off] >> 4;
    if (version === 4) decodeIpv4(p, off);
    else if (version === 6) decodeIpv6(p, off);
    return;
  }
  p.error = DecodeError.BadHeader;
}
