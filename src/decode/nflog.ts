/** Linux NFLOG (DLT 239): a 4-byte header then TLVs in host order; TLV type 9 carries the IP packet. */
import { DecodeError, type Packet } from "./packet.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";

export const MAX_NFLOG_TLVS = 64;
const NFULA_PAYLOAD = 9;

export function decodeNflog(p: Packet, off: number): void {
  if (p.end - off < 4) {
    p.error = DecodeError.Truncated;
    return;
  }
  const family = p.bytes[off];
  let at = off + 4;
  for (let n = 0; n < MAX_NFLOG_TLVS && at + 4 <= p.end; n++) {
    const len = p.view.getUint16(at, true);
    const type = p.view.getUint16(at + 2, true) & 0x7fff;
    if (len < 4) break;
    if (type === NFULA_PAYLOAD) {
      const end = Math.min(at + len, p.end);
      const saved = p.end;
      p.end = end;
      if (family === 2) decodeIpv4(p, at + 4);
      else if (family === 10) decodeIpv6(p, at + 4);
      p.end = saved;
      return;
    }
    at += (len + 3) & ~3;
  }
  p.error = DecodeError.Truncated;
}
