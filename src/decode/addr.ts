/**
 * Addresses as the flow table stores them (IPv4 and MACs as numbers, IPv6 as four words) turned
 * into text; the byte-level formatting lives in read.ts. Made only for reported flows and observed
 * packets, never per packet in the hot loop.
 */
import { ipv4String, ipv6String, macString } from "./read.ts";

export { macString as macAt };

/** A MAC as a number (48 bits fit a double exactly): the flow table stores MACs this way. */
export function macNumberAt(b: Uint8Array, off: number): number {
  return (b[off] * 0x10000 + ((b[off + 1] << 8) | b[off + 2])) * 0x1000000 + ((b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5]);
}

const scratch = new Uint8Array(16);
const scratchView = new DataView(scratch.buffer);

export function macFromNumber(n: number): string {
  const hi = Math.floor(n / 0x1000000);
  scratchView.setUint32(0, hi << 8);
  scratchView.setUint32(2, ((hi & 0xff) << 24) | (n - hi * 0x1000000));
  return macString(scratch, 0);
}

export function ipv4FromNumber(n: number): string {
  scratchView.setUint32(0, n);
  return ipv4String(scratch, 0);
}

export function ipv6FromWords(w0: number, w1: number, w2: number, w3: number): string {
  scratchView.setUint32(0, w0);
  scratchView.setUint32(4, w1);
  scratchView.setUint32(8, w2);
  scratchView.setUint32(12, w3);
  return ipv6String(scratch, 0);
}

export function ipv6At(view: DataView, off: number): string {
  return ipv6String(new Uint8Array(view.buffer, view.byteOffset), off);
}
