/**
 * Bounds-checked byte readers and address formatters shared by every decoder. Readers return
 * `undefined` instead of reading past `end` (exclusive) or past the buffer, so decoders never throw.
 */

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const DEC: string[] = Array.from({ length: 256 }, (_, i) => String(i));
const utf8Decoder = new TextDecoder("utf-8");

const latin1Decoder = new TextDecoder("latin1");
/**
 * Recent short latin1 texts (TLS server names and ALPN ids, HTTP header values and request lines),
 * direct-mapped by a hash of their bytes and checked against them: a name seen before is the same
 * string again, not a decoder call, a view and a new string per message.
 */
const TEXT_SLOTS = 4096;
const MAX_CACHED_TEXT = 128;
const textHash = new Int32Array(TEXT_SLOTS);
const textLength = new Int32Array(TEXT_SLOTS);
const textBytes = new Uint8Array(TEXT_SLOTS * MAX_CACHED_TEXT);
const textString: string[] = new Array<string>(TEXT_SLOTS).fill("");

/**
 * Short texts are decoded from a copy in one scratch buffer, through a view of each length into it
 * made once: a decoder call needs a view, and a view of the packet bytes per text is a heap object each.
 */
const SCRATCH_TEXT = 256;
const scratchText = new Uint8Array(SCRATCH_TEXT);
const scratchViews: Uint8Array[] = Array.from({ length: SCRATCH_TEXT + 1 }, (_, n) => scratchText.subarray(0, n));

/** `decoder.decode(bytes.subarray(start, end))` with no view made for a text up to SCRATCH_TEXT bytes. */
function decodeRange(decoder: TextDecoder, bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (!(n >= 0 && n <= SCRATCH_TEXT && start >= 0 && end <= bytes.length)) return decoder.decode(bytes.subarray(start, end));
  for (let k = 0; k < n; k++) scratchText[k] = bytes[start + k];
  return decoder.decode(scratchViews[n]);
}

/** Whether a byte, read as Latin-1 (windows-1252) text, is what a JavaScript regex's \s matches: tab, LF, VT, FF, CR, space, no-break space. */
export function isRegexSpaceByte(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0;
}

/** Bytes below 0x80 (checked by the caller) as text: one decoder call, no string joined a character at a time. */
export function asciiText(bytes: Uint8Array, start: number, end: number): string {
  return decodeRange(latin1Decoder, bytes, start, end);
}

/** `new TextDecoder("latin1").decode(bytes.subarray(start, end))` (windows-1252, as WHATWG spells latin1), short texts cached. */
export function latin1Text(bytes: Uint8Array, start: number, end: number): string {
  if (end > bytes.length) end = bytes.length;
  const n = end - start;
  if (!(n > 0 && start >= 0)) return n === 0 || start < 0 ? "" : latin1Decoder.decode(bytes.subarray(start, end));
  if (n > MAX_CACHED_TEXT) return latin1Decoder.decode(bytes.subarray(start, end));
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  const slot = (h ^ (h >>> 15)) & (TEXT_SLOTS - 1);
  const at = slot * MAX_CACHED_TEXT;
  if (textHash[slot] === h && textLength[slot] === n) {
    let k = 0;
    while (k < n && textBytes[at + k] === bytes[start + k]) k++;
    if (k === n) return textString[slot];
  }
  const text = decodeRange(latin1Decoder, bytes, start, end);
  textHash[slot] = h;
  textLength[slot] = n;
  for (let k = 0; k < n; k++) textBytes[at + k] = bytes[start + k];
  textString[slot] = text;
  return text;
}

/** Characters read by flatString (kept, so the reads are not optimized away). */
let flattened = 0;

/**
 * `s` as one flat string. Text joined with + is a rope, a heap cell per join (3 for a dotted quad,
 * 5 for a MAC, about 10 for an IPv6 address, two per label of a DNS name) until something reads its
 * characters; reading one resolves it in place. For text that is kept (cached names): one cell each.
 */
export function flatString(s: string): string {
  if (s.length > 0) flattened = (flattened + s.charCodeAt(0)) | 0;
  return s;
}

/** The smaller of `end` and the buffer length: callers may pass a length larger than the capture. */
function limit(bytes: Uint8Array, end: number): number {
  return end < bytes.length ? end : bytes.length;
}

export function u8(bytes: Uint8Array, off: number, end: number): number | undefined {
  return off >= 0 && off + 1 <= limit(bytes, end) ? bytes[off] : undefined;
}

export function u16(bytes: Uint8Array, off: number, end: number): number | undefined {
  return off >= 0 && off + 2 <= limit(bytes, end) ? (bytes[off] << 8) | bytes[off + 1] : undefined;
}

export function u32(bytes: Uint8Array, off: number, end: number): number | undefined {
  if (off < 0 || off + 4 > limit(bytes, end)) return undefined;
  return ((bytes[off] << 24) | (bytes[off + 1] << 16) | (bytes[off + 2] << 8) | bytes[off + 3]) >>> 0;
}

/** "aa:bb:cc:dd:ee:ff"; "" when the 6 bytes are not all in the buffer. */
export function macString(bytes: Uint8Array, off: number): string {
  if (off < 0 || off + 6 > bytes.length) return "";
  return (
    HEX2[bytes[off]] + ":" + HEX2[bytes[off + 1]] + ":" + HEX2[bytes[off + 2]] + ":" +
    HEX2[bytes[off + 3]] + ":" + HEX2[bytes[off + 4]] + ":" + HEX2[bytes[off + 5]]
  );
}

/** Dotted quad; "" when the 4 bytes are not all in the buffer. */
export function ipv4String(bytes: Uint8Array, off: number): string {
  if (off < 0 || off + 4 > bytes.length) return "";
  return DEC[bytes[off]] + "." + DEC[bytes[off + 1]] + "." + DEC[bytes[off + 2]] + "." + DEC[bytes[off + 3]];
}

/**
 * RFC 5952 text: lower-case hex, no leading zeros, the longest run (first if tied) of two or more
 * zero groups as "::", IPv4-mapped addresses as ::ffff:a.b.c.d. "" when the 16 bytes are not all there.
 */
export function ipv6String(bytes: Uint8Array, off: number): string {
  if (off < 0 || off + 16 > bytes.length) return "";
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never shortened
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const zero = bytes[off + 2 * i] === 0 && bytes[off + 2 * i + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = i;
      if (i - runStart + 1 > bestLen) {
        bestLen = i - runStart + 1;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  if (bestStart === 0 && bestLen === 5 && bytes[off + 10] === 0xff && bytes[off + 11] === 0xff) {
    return "::ffff:" + ipv4String(bytes, off + 12);
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? "::" : ":";
      i += bestLen - 1;
      continue;
    }
    out += ((bytes[off + 2 * i] << 8) | bytes[off + 2 * i + 1]).toString(16);
    if (i < 7) out += ":";
  }
  return out;
}

/** Lower-case hex of `len` bytes, clipped to the buffer. */
export function hex(bytes: Uint8Array, off: number, len: number): string {
  const end = limit(bytes, off + len);
  let out = "";
  for (let i = off < 0 ? 0 : off; i < end; i++) out += HEX2[bytes[i]];
  return out;
}

/** UTF-8 text of `len` bytes (clipped to the buffer), trailing NULs removed (some DHCP clients send them). */
export function utf8(bytes: Uint8Array, off: number, len: number): string {
  let end = limit(bytes, off + len);
  const start = off < 0 ? 0 : off;
  while (end > start && bytes[end - 1] === 0) end--;
  if (end <= start) return "";
  // ASCII (most DNS labels, hostnames) reads the same as latin1, the cheaper decoder; neither builds
  // the text a character at a time (a string per character joined).
  for (let i = start; i < end; i++) if (bytes[i] >= 0x80) return decodeRange(utf8Decoder, bytes, start, end);
  return decodeRange(latin1Decoder, bytes, start, end);
}

/** Longest name in labels (a 255-byte name has at most 127 labels). */
export const MAX_WIRE_LABELS = 128;

/**
 * A DNS-wire name without compression (DHCP option 81, DHCPv6 option 39): labels up to a zero
 * byte or `end`, joined with "." ("" for the root). A partial name (RFC 4704) simply stops at `end`.
 */
export function wireName(bytes: Uint8Array, off: number, end: number): string {
  const stop = limit(bytes, end);
  let out = "";
  let pos = off;
  for (let labels = 0; labels < MAX_WIRE_LABELS && pos < stop; labels++) {
    const len = bytes[pos];
    if (len === 0 || len > 63) break;
    const text = utf8(bytes, pos + 1, Math.min(len, stop - pos - 1));
    out += out ? "." + text : text;
    pos += 1 + len;
  }
  return out;
}
