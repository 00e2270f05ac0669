/**
 * Addresses as the flow table stores them (IPv4 and MACs as numbers, IPv6 as four words) turned
 * into text; the byte-level formatting lives in read.ts. Made only for reported flows and observed
 * packets, never per packet in the hot loop.
 */
import { flatString, ipv4String, ipv6String, macString } from "./read.ts";

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

/** Address strings cached per number (bounded): strings are made once per address, not per packet. */
const MAX_CACHED_NAMES = 1 << 16;
const macNames = new Map<number, string>();
const ipv4Names = new Map<number, string>();

/** `macFromNumber`, cached. */
export function macName(n: number): string {
  let s = macNames.get(n);
  if (s === undefined) {
    if (macNames.size >= MAX_CACHED_NAMES) macNames.clear();
    s = flatString(macFromNumber(n));
    macNames.set(n, s);
  }
  return s;
}

/** `ipv4FromNumber`, cached. */
export function ipv4Name(n: number): string {
  let s = ipv4Names.get(n);
  if (s === undefined) {
    if (ipv4Names.size >= MAX_CACHED_NAMES) ipv4Names.clear();
    s = flatString(ipv4FromNumber(n));
    ipv4Names.set(n, s);
  }
  return s;
}

/** One cached IPv6 name: the address words it was made from, to tell hash collisions apart. */
interface V6Name { w0: number; w1: number; w2: number; w3: number; name: string }
const ipv6Names = new Map<number, V6Name>();

/** `ipv6FromWords`, cached (by a hash of the words; a colliding address is simply made again). */
export function ipv6Name(w0: number, w1: number, w2: number, w3: number): string {
  const h = (Math.imul(w0 ^ (w1 >>> 7), 0x9e3779b1) ^ Math.imul(w2 ^ (w3 << 3), 0x85ebca6b) ^ w3 ^ (w1 << 11)) >>> 0;
  const hit = ipv6Names.get(h);
  if (hit !== undefined && hit.w0 === w0 && hit.w1 === w1 && hit.w2 === w2 && hit.w3 === w3) return hit.name;
  if (ipv6Names.size >= MAX_CACHED_NAMES) ipv6Names.clear();
  const name = flatString(ipv6FromWords(w0, w1, w2, w3));
  ipv6Names.set(h, { w0, w1, w2, w3, name });
  return name;
}

/** The IPv6 address at `off` as a cached string. */
export function ipv6NameAt(view: DataView, off: number): string {
  return ipv6Name(view.getUint32(off), view.getUint32(off + 4), view.getUint32(off + 8), view.getUint32(off + 12));
}
