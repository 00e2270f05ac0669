/** TCP (RFC 9293): ports, flags, window, and the payload bounds; SYN traits for p0f-style fingerprints. */
import { DecodeError, TCP_ACK, TCP_SYN, type Packet } from "./packet.ts";
import type { TcpSynTraits } from "./types.ts";

/** TCP options are at most 40 bytes; this caps the option walk. */
export const MAX_TCP_OPTIONS = 40;

export function decodeTcp(p: Packet, off: number, end: number): void {
  if (end - off < 20) {
    p.error = DecodeError.Truncated;
    return;
  }
  const v = p.view;
  p.l4Off = off;
  p.srcPort = v.getUint16(off);
  p.dstPort = v.getUint16(off + 2);
  const hl = (p.bytes[off + 12] >> 4) * 4;
  p.tcpFlags = p.bytes[off + 13];
  p.tcpWindow = v.getUint16(off + 14);
  p.tcpHeaderLength = hl;
  if (hl < 20) {
    p.error = DecodeError.BadHeader;
    return;
  }
  if (off + hl > end) {
    p.error = DecodeError.Truncated;
    return;
  }
  p.payloadOff = off + hl;
  p.payloadLength = end - off - hl;
}

/** p0f-style traits of a SYN or SYN+ACK (allocates: called once per connection attempt). */
export function tcpSynTraits(p: Packet): TcpSynTraits | undefined {
  if (p.l4Off < 0 || (p.tcpFlags & TCP_SYN) === 0) return undefined;
  const b = p.bytes;
  const start = p.l4Off + 20;
  const end = Math.min(p.l4Off + p.tcpHeaderLength, p.end);
  const layout: string[] = [];
  let mss: number | undefined, windowScale: number | undefined;
  for (let at = start, n = 0; at < end && n < MAX_TCP_OPTIONS; n++) {
    const kind = b[at];
    if (kind === 0) {
      layout.push(`eol+${end - at - 1}`);
      break;
    }
    if (kind === 1) {
      layout.push("nop");
      at++;
      continue;
    }
    if (at + 1 >= end) break;
    const len = b[at + 1];
    if (len < 2 || at + len > end) break;
    if (kind === 2 && len === 4) {
      mss = p.view.getUint16(at + 2);
      layout.push("mss");
    } else if (kind === 3 && len === 3) {
      windowScale = b[at + 2];
      layout.push("ws");
    } else if (kind === 4) layout.push("sok");
    else if (kind === 5) layout.push("sack");
    else if (kind === 8) layout.push("ts");
    else layout.push(`?${kind}`);
    at += len;
  }
  const ttl = p.ttl;
  const initialTtl = ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
  return {
    isSynAck: (p.tcpFlags & TCP_ACK) !== 0,
    ttl,
    initialTtl,
    window: p.tcpWindow,
    mss,
    windowScale,
    optionLayout: layout.join(","),
    ipVersion: p.ipVersion === 6 ? 6 : 4,
    df: p.dontFragment,
    totalLength: p.ipTotalLength,
  };
}
