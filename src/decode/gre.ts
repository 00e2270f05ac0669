/** GRE (RFC 2784/2890) version 0: the inner EtherType decides; PPTP's enhanced GRE (version 1) is not followed. */
import { DecodeError, type Packet } from "./packet.ts";
import { decodeEtherPayload, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "./ethertype.ts";
import { decodeEthernet } from "./ethernet.ts";

const TRANSPARENT_ETHERNET = 0x6558;

export function decodeGre(p: Packet, off: number): void {
  if (p.end - off < 4) {
    p.error = DecodeError.Truncated;
    return;
  }
  const flags = p.bytes[off];
  if ((p.bytes[off + 1] & 0x07) !== 0) return;
  const protocol = p.view.getUint16(off + 2);
  if (protocol !== ETHERTYPE_IPV4 && protocol !== ETHERTYPE_IPV6 && protocol !== TRANSPARENT_ETHERNET) return;
  let at = off + 4;
  if (flags & 0x80) at += 4; // checksum + reserved
  if (flags & 0x20) at += 4; // key
  if (flags & 0x10) at += 4; // sequence number
  if (at > p.end) {
    p.error = DecodeError.Truncated;
    return;
  }
  p.ipVersion = 0;
  if (protocol === TRANSPARENT_ETHERNET) decodeEthernet(p, at);
  else decodeEtherPayload(p, protocol, at);
}
