/** IPv4 (RFC 791): options skipped by IHL; fragments keep their id so later fragments join the first's flow. */
import { DecodeError, type Packet } from "./packet.ts";
import { decodeIpPayload } from "./ipproto.ts";

export function decodeIpv4(p: Packet, off: number): void {
  const b = p.bytes;
  if (p.end - off < 20) {
    p.error = DecodeError.Truncated;
    return;
  }
  const ihl = (b[off] & 0x0f) * 4;
  if (b[off] >> 4 !== 4 || ihl < 20) {
    p.error = DecodeError.BadHeader;
    return;
  }
  if (p.end - off < ihl) {
    p.error = DecodeError.Truncated;
    return;
  }
  const v = p.view;
  p.ipVersion = 4;
  p.l3Off = off;
  const total = v.getUint16(off + 2);
  p.ipTotalLength = total;
  const frag = v.getUint16(off + 6);
  p.fragId = v.getUint16(off + 4);
  p.dontFragment = (frag & 0x4000) !== 0;
  p.moreFragments = (frag & 0x2000) !== 0;
  p.fragOffset = (frag & 0x1fff) * 8;
  p.ttl = b[off + 8];
  p.ipProtocol = b[off + 9];
  p.src4 = v.getUint32(off + 12);
  p.dst4 = v.getUint32(off + 16);
  // Trust the smaller of the IP total length and what was captured (Ethernet padding, truncation).
  let end = off + total;
  if (total < ihl) {
    p.error = DecodeError.BadHeader;
    return;
  }
  if (end > p.end) end = p.end;
  if (p.fragOffset > 0) return; // a later fragment: no transport header
  decodeIpPayload(p, p.ipProtocol, off + ihl, end);
}
