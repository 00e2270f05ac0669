/**
 * JA4 TLS client fingerprint (FoxIO, BSD-3-Clause): "t13d1516h2_8daaf6152771_e5627efa2ab1".
 * Only JA4 itself: the other JA4+ methods are under a licence this product cannot use.
 */

export type Ja4Transport = "t" | "q" | "d";

/** What JA4 needs from a ClientHello, values as on the wire (GREASE included). */
export interface Ja4Input {
  transport: Ja4Transport;
  version: number; // legacy_version
  supportedVersions: number[];
  hasSni: boolean;
  alpn: string[]; // first ALPN value is used; raw bytes for non-text values in alpnFirstBytes
  alpnFirstBytes?: Uint8Array;
  cipherSuites: number[];
  extensions: number[];
  signatureAlgorithms: number[];
}

const MAX_COUNT = 99; // counts are two digits
const EMPTY_HASH = "000000000000";
const EXT_SNI = 0x0000;
const EXT_ALPN = 0x0010;

const VERSION_CODES: Record<number, string> = {
  0x0304: "13",
  0x0303: "12",
  0x0302: "11",
  0x0301: "10",
  0x0300: "s3",
  0x0002: "s2",
  0x0200: "s2",
  0xfeff: "d1",
  0xfefd: "d2",
  0xfefc: "d3",
};

/** GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, "0");
}

function sha12(text: string): string {
  const h = new Bun.CryptoHasher("sha256");
  h.update(text);
  return h.digest("hex").slice(0, 12);
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function alpnCode(input: Ja4Input): string {
  const raw = input.alpnFirstBytes ?? (input.alpn.length > 0 ? new TextEncoder().encode(input.alpn[0]) : undefined);
  if (!raw || raw.length === 0) return "00";
  const first = raw[0];
  const last = raw[raw.length - 1];
  if (isAlnum(first) && isAlnum(last)) return String.fromCharCode(first) + String.fromCharCode(last);
  // Non-printable ALPN: the spec takes the first and last hex digit of the value instead.
  const h = Array.from(raw, (b) => b.toString(16).padStart(2, "0")).join("");
  return h[0] + h[h.length - 1];
}

function versionCode(input: Ja4Input): string {
  let best = -1;
  // The highest value, known or not: a draft version (Facebook's 0xfb1a) reads "00", as in the reference.
  for (const v of input.supportedVersions) if (!isGrease(v) && v > best) best = v;
  // DTLS versions count down (0xfefc is 1.3): prefer the lowest when all are DTLS.
  const dtls = input.supportedVersions.filter((v) => !isGrease(v) && v >= 0xfe00);
  if (dtls.length > 0 && best >= 0xfe00) best = Math.min(...dtls);
  const v = best >= 0 ? best : input.version;
  return VERSION_CODES[v] ?? "00";
}

function count2(n: number): string {
  return String(Math.min(n, MAX_COUNT)).padStart(2, "0");
}

/** Fingerprints remembered by their inputs: a device sends the same hello shape again and again. */
const MAX_CACHED = 4096;
const cache = new Map<string, string>();

/**
 * The JA4 of a ClientHello, cached by an exact key of every input it reads (two SHA-256 and two
 * sorts per hello otherwise; hellos of one client differ only in fields JA4 leaves out).
 */
export function ja4(input: Ja4Input): string {
  const key = cacheKey(input);
  let out = cache.get(key);
  if (out === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    out = computeJa4(input);
    cache.set(key, out);
  }
  return out;
}

/** Each list as its length then its values, one UTF-16 unit per 16-bit value: no two inputs share a key. */
function cacheKey(input: Ja4Input): string {
  const alpn = input.alpnFirstBytes
    ? "B" + units(Array.from(input.alpnFirstBytes))
    : input.alpn.length > 0 ? "S" + String.fromCharCode(input.alpn[0].length) + input.alpn[0] : "N";
  return input.transport + (input.hasSni ? "d" : "i") + String.fromCharCode(input.version) + units(input.supportedVersions) +
    units(input.cipherSuites) + units(input.extensions) + units(input.signatureAlgorithms) + alpn;
}

/** Lists up to this long become text in one call (a longer spread could overflow the argument stack). */
const UNITS_AT_ONCE = 256;

function units(values: readonly number[]): string {
  const head = String.fromCharCode(values.length);
  if (values.length <= UNITS_AT_ONCE) return head + String.fromCharCode(...values);
  let s = head;
  for (let i = 0; i < values.length; i += UNITS_AT_ONCE) s += String.fromCharCode(...values.slice(i, i + UNITS_AT_ONCE));
  return s;
}

function computeJa4(input: Ja4Input): string {
  const ciphers = input.cipherSuites.filter((c) => !isGrease(c));
  const exts = input.extensions.filter((e) => !isGrease(e));
  const sigs = input.signatureAlgorithms.filter((s) => !isGrease(s));
  const a =
    input.transport +
    versionCode(input) +
    (input.hasSni ? "d" : "i") +
    count2(ciphers.length) +
    count2(exts.length) +
    alpnCode(input);
  const b = ciphers.length === 0 ? EMPTY_HASH : sha12(ciphers.map(hex4).sort().join(","));
  const hashed = exts.filter((e) => e !== EXT_SNI && e !== EXT_ALPN).map(hex4).sort();
  let cText = hashed.join(",");
  if (sigs.length > 0) cText += "_" + sigs.map(hex4).join(",");
  const c = hashed.length === 0 ? EMPTY_HASH : sha12(cText);
  return `${a}_${b}_${c}`;
}
