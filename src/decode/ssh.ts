/**
 * The SSH identification string ("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3"), which names client and server
 * software. RFC 4253 4.2 lets a server send other lines before it; a few are skipped.
 */
const MAX_BANNER = 255; // RFC 4253: the line is at most 255 characters
const MAX_PRE_LINES = 8;
const MAX_SCAN = 2048;

export function decodeSshBanner(bytes: Uint8Array, offset: number, length: number): { banner: string } | undefined {
  const end = Math.min(offset + length, bytes.length, offset + MAX_SCAN);
  let p = offset;
  for (let line = 0; line <= MAX_PRE_LINES && p < end; line++) {
    let q = p;
    while (q < end && bytes[q] !== 0x0a) q++;
    const isBanner = q - p >= 4 && bytes[p] === 0x53 && bytes[p + 1] === 0x53 && bytes[p + 2] === 0x48 && bytes[p + 3] === 0x2d; // "SSH-"
    if (isBanner) {
      let stop = q;
      if (stop > p && bytes[stop - 1] === 0x0d) stop--;
      stop = Math.min(stop, p + MAX_BANNER);
      let text = "";
      for (let i = p; i < stop; i++) {
        const c = bytes[i];
        if (c < 0x20 || c > 0x7e) return undefined; // the version line is printable US-ASCII
        text += String.fromCharCode(c);
      }
      return { banner: text };
    }
    p = q + 1;
  }
  return undefined;
}
