/** IPv6 (RFC 8200) with extension headers walked to the transport header; fragments as for IPv4. */
import { DecodeError, IPPROTO_AH, type Packet } from "./packet.ts";
import { decodeIpPayload } from "./ipproto.ts";

/** More extension headers than this is an evasion attempt, not a real packet. */
export const MAX_EXTENSION_HEADERS = 8;

const HOP_BY_HOP = 0, ROUTING = 43, FRAGMENT = 44, DEST_OPTS = 60, MOBILITY = 135, HIP = 139, SHIM6 = 140, NO_NEXT = 59;

export function decodeIpv6(p: Packet, off: number): void {
  const b = p.bytes;
  if (p.end - off < 40) {
    p.error = DecodeError.Truncated;
    return;
  }
  if (b[off] >> 4 !== 6) {
    p.error = DecodeError.BadHeader;
    return;
  }
  const v = p.view;
  p.ipVersion = 6;
  p.l3Off = off;
  const payloadLength = v.getUint16(off + 4);
  p.ipTotalLength = payloadLength + 40;
  p.ttl = b[off + 7];
  p.src6Off = off + 8;
  p.dst6Off = off + 24;
  let end = off + 40 + payloadLength;
  // A zero payload length is a jumbogram or a lie; use what was captured.
  if (payloadLength === 0 || end > p.end) end = p.end;
  let next = b[off + 6];
  let at = off + 40;
  for (let n = 0; ; n++) {
    if (next !== HOP_BY_HOP && next !== ROUTING && next !== FRAGMENT && next !== DEST_OPTS &&
        next !== IPPROTO_AH && next !== MOBILITY && next !== HIP && next !== SHIM6) break;
    if (n === MAX_EXTENSION_HEADERS) {
      p.error = DecodeError.BadHeader;
      p.ipProtocol = next;
      return;
    }
    if (end - at < 8) {
      p.error = DecodeError.Truncated;
      p.ipProtocol = next;
      return;
    }
    const following = b[at];
    if (next === FRAGMENT) {
      const fo = v.getUint16(at + 2);
      p.fragOffset = fo & 0xfff8;
      p.moreFragments = (fo & 1) !== 0;
      p.fragId = v.getUint32(at + 4);
      at += 8;
    } else if (next === IPPROTO_AH) {
      at += (b[at + 1] + 2) * 4;
    } else {
      at += (b[at + 1] + 1) * 8;
    }
    next = following;
  }
  p.ipProtocol = next;
  if (next === NO_NEXT || p.fragOffset > 0 || at > end) return;
  decodeIpPayload(p, next, at, end);
}
