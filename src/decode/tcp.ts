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

/**
 * p0f-style traits of a SYN or SYN+ACK, in one object reused from call to call (a SYN and its
 * SYN+ACK come with nearly every TCP flow): read it before the next call, copy what you keep.
 */
export function tcpSynTraits(p: Packet): TcpSynTraits | undefined {
  if (p.l4Off < 0 || (p.tcpFlags & TCP_SYN) === 0) return undefined;
  const b = p.bytes;
  const start = p.l4Off + 20;
  const end = Math.min(p.l4Off + p.tcpHeaderLength, p.end);
  const codes = layoutCodes;
  let count = 0;
  let mss: number | undefined, windowScale: number | undefined;
  for (let at = start, n = 0; at < end && n < MAX_TCP_OPTIONS; n++) {
    const kind = b[at];
    if (kind === 0) {
      codes[count++] = EOL_CODE + (end - at - 1);
      break;
    }
    if (kind === 1) {
      codes[count++] = 1;
      at++;
      continue;
    }
    if (at + 1 >= end) break;
    const len = b[at + 1];
    if (len < 2 || at + len > end) break;
    if (kind === 2 && len === 4) mss = p.view.getUint16(at + 2);
    else if (kind === 3 && len === 3) windowScale = b[at + 2];
    codes[count++] = (kind === 2 && len !== 4) ? ODD_MSS_CODE : (kind === 3 && len !== 3) ? ODD_WS_CODE : kind;
    at += len;
  }
  const ttl = p.ttl;
  const initialTtl = ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
  const t = traits;
  t.isSynAck = (p.tcpFlags & TCP_ACK) !== 0;
  t.ttl = ttl;
  t.initialTtl = initialTtl;
  t.window = p.tcpWindow;
  t.mss = mss;
  t.windowScale = windowScale;
  t.optionLayout = optionLayout(count);
  t.ipVersion = p.ipVersion === 6 ? 6 : 4;
  t.df = p.dontFragment;
  t.totalLength = p.ipTotalLength;
  return t;
}

/** The traits tcpSynTraits hands out, every field always present (undefined when absent), so its shape never changes. */
const traits: TcpSynTraits = {
  isSynAck: false, ttl: 0, initialTtl: 0, window: 0, mss: undefined, windowScale: undefined,
  optionLayout: "", ipVersion: 4, df: false, totalLength: 0,
};

// The option layout as codes (kind 0-255, or one of the codes below) in a scratch array: a host sends
// the same layout on every SYN, so its text is made once and found again by a hash of the codes.
const EOL_CODE = 256; // + the bytes after the end-of-options mark (at most 39)
const ODD_MSS_CODE = 296; // kind 2 or 3 with an unexpected length: "?2" / "?3"
const ODD_WS_CODE = 297;
const layoutCodes = new Uint16Array(MAX_TCP_OPTIONS);
const MAX_CACHED_LAYOUTS = 1024;
const layouts = new Map<number, { codes: Uint16Array; text: string }>();

function optionLayout(count: number): string {
  const codes = layoutCodes;
  let h = 0x811c9dc5 ^ count;
  for (let i = 0; i < count; i++) h = Math.imul(h ^ codes[i], 0x01000193);
  const hit = layouts.get(h);
  if (hit !== undefined && sameCodes(hit.codes, count)) return hit.text;
  if (layouts.size >= MAX_CACHED_LAYOUTS) layouts.clear();
  const text = Array.from(codes.subarray(0, count), codeText).join(",");
  layouts.set(h, { codes: codes.slice(0, count), text });
  return text;
}

function sameCodes(kept: Uint16Array, count: number): boolean {
  if (kept.length !== count) return false;
  for (let i = 0; i < count; i++) if (kept[i] !== layoutCodes[i]) return false;
  return true;
}

function codeText(code: number): string {
  if (code >= EOL_CODE && code < ODD_MSS_CODE) return `eol+${code - EOL_CODE}`;
  switch (code) {
    case 1: return "nop";
    case 2: return "mss";
    case 3: return "ws";
    case 4: return "sok";
    case 5: return "sack";
    case 8: return "ts";
    case ODD_MSS_CODE: return "?2";
    case ODD_WS_CODE: return "?3";
    default: return `?${code}`;
  }
}
