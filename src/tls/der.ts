/**
 * The few ASN.1 DER encodings an X.509 certificate needs (ITU-T X.690): enough to build a
 * self-signed certificate without openssl. Each function returns one complete TLV.
 */
import { concatBytes } from "../util/bytes.ts";

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}


export const sequence = (...items: Uint8Array[]) => tlv(0x30, concatBytes(items));
export const set = (...items: Uint8Array[]) => tlv(0x31, concatBytes(items));
export const octetString = (bytes: Uint8Array) => tlv(0x04, bytes);
export const utf8String = (s: string) => tlv(0x0c, new TextEncoder().encode(s));
export const boolean = (v: boolean) => tlv(0x01, Uint8Array.of(v ? 0xff : 0));
/** BIT STRING with no unused bits. */
export const bitString = (bytes: Uint8Array) => tlv(0x03, concatBytes([Uint8Array.of(0), bytes]));
/** [n] EXPLICIT: wraps a complete TLV. */
export const explicit = (n: number, inner: Uint8Array) => tlv(0xa0 | n, inner);
/** [n] IMPLICIT primitive (e.g. GeneralName dNSName [2], iPAddress [7]). */
export const implicit = (n: number, bytes: Uint8Array) => tlv(0x80 | n, bytes);

/** A non-negative INTEGER from big-endian bytes (leading zeros dropped, a 0 added when the top bit is set). */
export function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const b = bytes.subarray(i);
  return tlv(0x02, b[0]! & 0x80 ? concatBytes([Uint8Array.of(0), b]) : b);
}

export const smallInteger = (n: number) => unsignedInteger(Uint8Array.of((n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff));

export function objectIdentifier(dotted: string): Uint8Array {
  const parts = dotted.split(".").map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const groups = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5). */
export function time(d: Date): Uint8Array {
  const iso = d.toISOString(); // 2026-12-07T00:12:34.567Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, "") + "Z"; // 20261207001234Z
  return d.getUTCFullYear() < 2050 ? tlv(0x17, new TextEncoder().encode(digits.slice(2))) : tlv(0x18, new TextEncoder().encode(digits));
}
