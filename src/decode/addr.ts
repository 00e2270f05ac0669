/** Address text for reporting: made only for packets that are observed, never per packet in the hot loop. */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function macAt(b: Uint8Array, off: number): string {
  return `${HEX[b[off]]}:${HEX[b[off + 1]]}:${HEX[b[off + 2]]}:${HEX[b[off + 3]]}:${HEX[b[off + 4]]}:${HEX[b[off + 5]]}`;
}

/** A MAC as a number (48 bits fit a double exactly): the flow table stores MACs this way. */
export function macNumberAt(b: Uint8Array, off: number): number {
  return (b[off] * 0x10000 + ((b[off + 1] << 8) | b[off + 2])) * 0x1000000 + ((b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5]);
}

export function macFromNumber(n: number): string {
  const hi = Math.floor(n / 0x1000000);
  const lo = n - hi * 0x1000000;
  return `${HEX[(hi >>> 16) & 0xff]}:${HEX[(hi >>> 8) & 0xff]}:${HEX[hi & 0xff]}:${HEX[(lo >>> 16) & 0xff]}:${HEX[(lo >>> 8) & 0xff]}:${HEX[lo & 0xff]}`;
}

export function ipv4FromNumber(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** IPv6 text per RFC 5952 (lower case, longest zero run of two or more groups compressed). */
export function ipv6FromWords(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  // IPv4-mapped ::ffff:a.b.c.d keeps the dotted form.
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) return `::ffff:${ipv4FromNumber(w3 >>> 0)}`;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (out !== "" && !out.endsWith(":")) out += ":";
    out += g[i].toString(16);
  }
  return out;
}

export function ipv6At(view: DataView, off: number): string {
  return ipv6FromWords(view.getUint32(off), view.getUint32(off + 4), view.getUint32(off + 8), view.getUint32(off + 12));
}
