/**
 * JA4 TLS client fingerprint (FoxIO, BSD-3-Clause): "t13d1516h2_8daaf6152771_e5627efa2ab1".
 * Only JA4 itself: the other JA4+ methods are under a licence this product cannot use.
 */

export type Ja4Transport = "t" | "q" | "d";

/** What JA4 needs from a ClientHello, values as on the wire (GREASE included). */
export interface Ja4Input {
  transport: Ja4Transport;
  version: number; // legacy_version
  supportedVersions: readonly number[];
  hasSni: boolean;
  alpn: readonly string[]; // first ALPN value is used; raw bytes for non-text values in alpnFirstBytes
  alpnFirstBytes?: Uint8Array;
  cipherSuites: readonly number[];
  extensions: readonly number[];
  signatureAlgorithms: readonly number[];
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

/** A remembered fingerprint and a copy of every input it was made from (to tell hash collisions apart). */
interface Cached {
  transport: Ja4Transport;
  hasSni: boolean;
  version: number;
  lists: number[][];
  /** 0: no ALPN, 1: raw first ALPN bytes, 2: first ALPN as text (its UTF-16 units). */
  alpnKind: number;
  alpn: number[];
  ja4: string;
}

const cache = new Map<number, Cached>();

/**
 * The JA4 of a ClientHello, cached by a numeric hash of every input it reads, checked against a copy
 * of those inputs (two SHA-256 and two sorts per hello otherwise, and no key text made per hello:
 * hellos of one client differ only in fields JA4 leaves out). A colliding input is made again.
 */
export function ja4(input: Ja4Input): string {
  const raw = input.alpnFirstBytes;
  return ja4Of(input, input.transport, input.hasSni, raw, 0, raw ? raw.length : 0);
}

/** The lists and version JA4 reads: a Ja4Input, or a decoded TlsClientHello itself (same field names). */
export type Ja4Lists = Pick<Ja4Input, "version" | "supportedVersions" | "alpn" | "cipherSuites" | "extensions" | "signatureAlgorithms">;

/**
 * `ja4` for a decoder: the lists read where they are, the first ALPN value's raw bytes as a range of
 * `raw` (undefined: none): no input object and no view made per hello, only on a cache miss.
 */
export function ja4Of(lists: Ja4Lists, transport: Ja4Transport, hasSni: boolean, raw: Uint8Array | undefined, rawStart: number, rawLength: number): string {
  const alpnKind = raw ? 1 : lists.alpn.length > 0 ? 2 : 0;
  const h = inputHash(lists, transport, hasSni, alpnKind, raw, rawStart, rawLength);
  const hit = cache.get(h);
  if (hit !== undefined && sameInput(hit, lists, transport, hasSni, alpnKind, raw, rawStart, rawLength)) return hit.ja4;
  if (cache.size >= MAX_CACHED) cache.clear();
  const input: Ja4Input = {
    transport, version: lists.version, supportedVersions: lists.supportedVersions, hasSni, alpn: lists.alpn,
    alpnFirstBytes: raw ? raw.subarray(rawStart, rawStart + rawLength) : undefined,
    cipherSuites: lists.cipherSuites, extensions: lists.extensions, signatureAlgorithms: lists.signatureAlgorithms,
  };
  const out = computeJa4(input);
  cache.set(h, {
    transport, hasSni, version: input.version,
    lists: [input.supportedVersions.slice(), input.cipherSuites.slice(), input.extensions.slice(), input.signatureAlgorithms.slice()],
    alpnKind, alpn: alpnUnits(input, alpnKind), ja4: out,
  });
  return out;
}

function mix(h: number, v: number): number {
  return Math.imul(h ^ v, 0x01000193);
}

/** FNV-1a over the inputs, each list led by its length so no two layouts share a stream. */
function inputHash(input: Ja4Lists, transport: Ja4Transport, hasSni: boolean, alpnKind: number,
  raw: Uint8Array | undefined, rawStart: number, rawLength: number): number {
  let h = mix(0x811c9dc5, transport.charCodeAt(0));
  h = mix(h, hasSni ? 1 : 0);
  h = mix(h, input.version);
  h = mixList(h, input.supportedVersions);
  h = mixList(h, input.cipherSuites);
  h = mixList(h, input.extensions);
  h = mixList(h, input.signatureAlgorithms);
  h = mix(h, alpnKind);
  if (alpnKind === 1) {
    h = mix(h, rawLength);
    for (let i = 0; i < rawLength; i++) h = mix(h, raw![rawStart + i]);
  } else if (alpnKind === 2) {
    const text = input.alpn[0];
    h = mix(h, text.length);
    for (let i = 0; i < text.length; i++) h = mix(h, text.charCodeAt(i));
  }
  return h >>> 0;
}

function mixList(h: number, values: readonly number[]): number {
  h = mix(h, values.length);
  for (let i = 0; i < values.length; i++) h = mix(h, values[i]);
  return h;
}

function sameInput(c: Cached, input: Ja4Lists, transport: Ja4Transport, hasSni: boolean, alpnKind: number,
  raw: Uint8Array | undefined, rawStart: number, rawLength: number): boolean {
  if (c.transport !== transport || c.hasSni !== hasSni || c.version !== input.version || c.alpnKind !== alpnKind) return false;
  const l = c.lists;
  if (!sameList(l[0], input.supportedVersions) || !sameList(l[1], input.cipherSuites) || !sameList(l[2], input.extensions) ||
    !sameList(l[3], input.signatureAlgorithms)) return false;
  const a = c.alpn;
  if (alpnKind === 1) {
    if (rawLength !== a.length) return false;
    for (let i = 0; i < a.length; i++) if (raw![rawStart + i] !== a[i]) return false;
  } else if (alpnKind === 2) {
    const text = input.alpn[0];
    if (text.length !== a.length) return false;
    for (let i = 0; i < a.length; i++) if (text.charCodeAt(i) !== a[i]) return false;
  }
  return true;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function alpnUnits(input: Ja4Input, alpnKind: number): number[] {
  if (alpnKind === 1) return Array.from(input.alpnFirstBytes!);
  const out: number[] = [];
  if (alpnKind === 2) for (let i = 0; i < input.alpn[0].length; i++) out.push(input.alpn[0].charCodeAt(i));
  return out;
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
