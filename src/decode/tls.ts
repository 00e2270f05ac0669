/**
 * TLS ClientHello / ServerHello from the first segment of a TLS record (and, for QUIC, from the bare
 * handshake message): SNI, ALPN, versions, ciphers, extensions, signature algorithms and JA4.
 */
import type { TlsClientHello, TlsServerHello } from "./types.ts";
import { latin1Text, u8, u16 } from "./read.ts";
import { ja4Of, type Ja4Transport } from "./ja4.ts";

const RECORD_HANDSHAKE = 0x16;
const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;
const RANDOM_LEN = 32;
const MAX_CIPHERS = 512;
const MAX_EXTENSIONS = 128;
const MAX_ALPN = 32;
const MAX_SIG_ALGS = 128;
const MAX_VERSIONS = 32;
const MAX_SNI_NAMES = 8;
const MAX_HOSTNAME = 255;

const EXT_SNI = 0x0000;
const EXT_ALPN = 0x0010;
const EXT_SIG_ALGS = 0x000d;
const EXT_SUPPORTED_VERSIONS = 0x002b;
const EXT_SUPPORTED_GROUPS = 0x000a;
const EXT_EC_POINT_FORMATS = 0x000b;
const MAX_GROUPS = 64;

function u24(bytes: Uint8Array, off: number, end: number): number | undefined {
  const hi = u8(bytes, off, end);
  const lo = u16(bytes, off + 1, end);
  return hi === undefined || lo === undefined ? undefined : (hi << 16) | lo;
}

/** True when the bytes start a TLS handshake record (content type 22, version 3.x). */
export function isTlsHandshakeRecord(bytes: Uint8Array, offset: number, length: number): boolean {
  const end = offset + length;
  return u8(bytes, offset, end) === RECORD_HANDSHAKE && u8(bytes, offset + 1, end) === 3 && (u8(bytes, offset + 2, end) ?? 9) <= 4;
}

/** Where the body recordBody / handshakeBody found last ends (no object made per hello for a start and an end). */
let bodyEnd = 0;

/** The start of the handshake message of type `type` in a TLS record (-1: none), its end in bodyEnd, clipped to the segment. */
function recordBody(bytes: Uint8Array, offset: number, length: number, type: number): number {
  const segEnd = Math.min(offset + length, bytes.length);
  if (!isTlsHandshakeRecord(bytes, offset, length)) return -1;
  const recLen = u16(bytes, offset + 3, segEnd);
  if (recLen === undefined) return -1;
  const start = offset + RECORD_HEADER;
  return handshakeBody(bytes, start, Math.min(start + recLen, segEnd) - start, type);
}

function handshakeBody(bytes: Uint8Array, offset: number, length: number, type: number): number {
  const segEnd = Math.min(offset + length, bytes.length);
  if (u8(bytes, offset, segEnd) !== type) return -1;
  const hsLen = u24(bytes, offset + 1, segEnd);
  if (hsLen === undefined) return -1;
  const start = offset + HANDSHAKE_HEADER;
  bodyEnd = Math.min(start + hsLen, segEnd);
  return start;
}

/** ClientHello inside a TLS record at `offset`. */
export function decodeTlsClientHello(bytes: Uint8Array, offset: number, length: number): TlsClientHello | undefined {
  const start = recordBody(bytes, offset, length, HS_CLIENT_HELLO);
  return start < 0 ? undefined : parseClientHelloBody(bytes, start, bodyEnd, "t");
}

/** ClientHello as a bare handshake message (QUIC CRYPTO data, DTLS after its own header). */
export function decodeClientHelloHandshake(bytes: Uint8Array, offset: number, length: number, transport: Ja4Transport): TlsClientHello | undefined {
  const start = handshakeBody(bytes, offset, length, HS_CLIENT_HELLO);
  return start < 0 ? undefined : parseClientHelloBody(bytes, start, bodyEnd, transport);
}

function parseClientHelloBody(bytes: Uint8Array, p: number, end: number, transport: Ja4Transport): TlsClientHello | undefined {
  const version = u16(bytes, p, end);
  if (version === undefined) return undefined;
  p += 2 + RANDOM_LEN;
  const sidLen = u8(bytes, p, end);
  if (sidLen === undefined) return undefined;
  p += 1 + sidLen;
  const csLen = u16(bytes, p, end);
  if (csLen === undefined || csLen % 2 !== 0 || p + 2 + csLen > end) return undefined;
  p += 2;
  const cipherSuites = sharedList(values, readU16s(bytes, p, p + csLen, MAX_CIPHERS));
  p += csLen;
  const compLen = u8(bytes, p, end);
  if (compLen === undefined) return undefined;
  p += 1 + compLen;
  const hello: TlsClientHello = {
    version, supportedVersions: NO_NUMBERS, alpn: NO_NAMES, cipherSuites, extensions: NO_NUMBERS, signatureAlgorithms: NO_NUMBERS, ja4: "",
  };
  let extensionCount = 0;
  // The first ALPN value's bytes (JA4 reads them raw): where they start (-1: no value) and how many.
  let alpnStart = -1, alpnLength = 0;
  const extTotal = u16(bytes, p, end);
  if (extTotal === undefined) {
    // No extension block at all is legal only when the hello ends right here (old SSLv3/TLS 1.0 clients).
    if (p !== end) return undefined;
  } else {
    p += 2;
    const extEnd = Math.min(p + extTotal, end);
    for (let n = 0; n < MAX_EXTENSIONS; n++) {
      const type = u16(bytes, p, extEnd);
      const len = u16(bytes, p + 2, extEnd);
      if (type === undefined || len === undefined) break;
      const dataStart = p + 4;
      const dataEnd = dataStart + len;
      // A truncated last extension still counts (its type was seen) but its contents are not read.
      extensionTypes[extensionCount++] = type;
      if (dataEnd > extEnd) break;
      if (type === EXT_SNI) hello.sni = parseSni(bytes, dataStart, dataEnd);
      else if (type === EXT_ALPN) {
        alpnNames.length = 0;
        const first = parseAlpn(bytes, dataStart, dataEnd, alpnNames);
        // A repeated extension adds to the list (as push did), in a list of its own.
        hello.alpn = hello.alpn.length === 0 ? sharedNames(alpnNames, alpnHash) : [...hello.alpn, ...alpnNames];
        alpnStart = first;
        alpnLength = alpnFirstLength;
      } else if (type === EXT_SIG_ALGS) {
        const n = readU16s(bytes, dataStart + 2, Math.min(dataEnd, dataStart + 2 + (u16(bytes, dataStart, dataEnd) ?? 0)), MAX_SIG_ALGS);
        hello.signatureAlgorithms = appended(hello.signatureAlgorithms, n);
      } else if (type === EXT_SUPPORTED_VERSIONS) {
        const n = readU16s(bytes, dataStart + 1, Math.min(dataEnd, dataStart + 1 + (u8(bytes, dataStart, dataEnd) ?? 0)), MAX_VERSIONS);
        hello.supportedVersions = appended(hello.supportedVersions, n);
      } else if (type === EXT_SUPPORTED_GROUPS) {
        hello.supportedGroups = sharedList(values, readU16s(bytes, dataStart + 2, Math.min(dataEnd, dataStart + 2 + (u16(bytes, dataStart, dataEnd) ?? 0)), MAX_GROUPS));
      } else if (type === EXT_EC_POINT_FORMATS) {
        const n = Math.min(u8(bytes, dataStart, dataEnd) ?? 0, dataEnd - dataStart - 1, MAX_GROUPS);
        for (let i = 0; i < n; i++) values[i] = bytes[dataStart + 1 + i];
        hello.ecPointFormats = sharedList(values, n > 0 ? n : 0);
      }
      p = dataEnd;
    }
  }
  hello.extensions = sharedList(extensionTypes, extensionCount);
  // The hello holds the lists JA4 reads under the same names: no input object made per hello.
  hello.ja4 = ja4Of(hello, transport, hello.extensions.includes(EXT_SNI), alpnStart >= 0 ? bytes : undefined, alpnStart, alpnLength);
  return hello;
}

/** The values of the list being read, and the extension types of the hello being read (scratch). */
const values = new Uint16Array(MAX_CIPHERS);
const extensionTypes = new Uint16Array(MAX_EXTENSIONS);
/** The ALPN names of the extension being read (scratch), and a hash of their bytes (parseAlpn's). */
const alpnNames: string[] = [];
let alpnHash = 0;

/** Up to `cap` big-endian 16-bit values from [p, end) into `values`, a last odd byte left out; returns how many. */
function readU16s(bytes: Uint8Array, p: number, end: number, cap: number): number {
  if (p < 0) return 0;
  const stop = Math.min(end, bytes.length);
  const n = Math.min(cap, Math.floor((stop - p) / 2));
  for (let i = 0, at = p; i < n; i++, at += 2) values[i] = (bytes[at] << 8) | bytes[at + 1];
  return n > 0 ? n : 0;
}

/** `list` with the `n` values read added: the shared list of those values when `list` is empty (a repeated extension adds to it). */
function appended(list: readonly number[], n: number): readonly number[] {
  if (list.length === 0) return sharedList(values, n);
  const out = list.slice();
  for (let i = 0; i < n; i++) out.push(values[i]!);
  return out;
}

/**
 * Lists decoded before, found by a hash of their values and checked against them: a client sends
 * the same cipher suites, extensions, groups and algorithms hello after hello, so a hello's lists
 * are shared (frozen: read-only) instead of made per hello. A slot holds the last list hashed to it.
 */
class SharedLists<T> {
  readonly #hashes: Int32Array;
  readonly #lists: (readonly T[] | undefined)[];
  readonly #mask: number;
  readonly #empty: readonly T[] = Object.freeze([]);

  /** `slots`: a power of two. */
  constructor(slots: number) {
    this.#hashes = new Int32Array(slots);
    this.#lists = new Array<readonly T[] | undefined>(slots).fill(undefined);
    this.#mask = slots - 1;
  }

  /** The shared list of `from[0 .. n)`, whose hash is `h`: the one kept when it holds those values, else a new one kept in its slot. */
  of(from: ArrayLike<T>, n: number, h: number): readonly T[] {
    if (n === 0) return this.#empty;
    const slot = (h ^ (h >>> 13)) & this.#mask;
    const had = this.#lists[slot];
    if (had !== undefined && this.#hashes[slot] === h && had.length === n) {
      let k = 0;
      while (k < n && had[k] === from[k]) k++;
      if (k === n) return had;
    }
    const list = new Array<T>(n);
    for (let i = 0; i < n; i++) list[i] = from[i]!;
    Object.freeze(list);
    this.#lists[slot] = list;
    this.#hashes[slot] = h;
    return list;
  }
}

const numberLists = new SharedLists<number>(2048);
const NO_NUMBERS: readonly number[] = numberLists.of([], 0, 0);

/** The shared list of the first `n` numbers of `from`. */
function sharedList(from: Uint16Array, n: number): readonly number[] {
  let h = 0x811c9dc5 ^ n;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ from[i]!, 0x01000193);
  return numberLists.of(from, n, h);
}

/** The same for ALPN name lists ("h2", "http/1.1"), by a hash of their bytes. */
const nameLists = new SharedLists<string>(256);
const NO_NAMES: readonly string[] = nameLists.of([], 0, 0);

function sharedNames(names: string[], h: number): readonly string[] {
  return nameLists.of(names, names.length, h);
}

function parseSni(bytes: Uint8Array, p: number, end: number): string | undefined {
  const listLen = u16(bytes, p, end);
  if (listLen === undefined) return undefined;
  const listEnd = Math.min(p + 2 + listLen, end);
  p += 2;
  for (let i = 0; i < MAX_SNI_NAMES; i++) {
    const nameType = u8(bytes, p, listEnd);
    const nameLen = u16(bytes, p + 1, listEnd);
    if (nameType === undefined || nameLen === undefined || p + 3 + nameLen > listEnd) return undefined;
    if (nameType === 0 && nameLen > 0 && nameLen <= MAX_HOSTNAME) return latin1Text(bytes, p + 3, p + 3 + nameLen);
    p += 3 + nameLen;
  }
  return undefined;
}

/** The length of the first name parseAlpn found last. */
let alpnFirstLength = 0;

/** Fills `out` with the protocol names; returns where the first one's raw bytes start (-1: none; JA4 needs them), its length in alpnFirstLength. */
function parseAlpn(bytes: Uint8Array, p: number, end: number, out: string[]): number {
  const listLen = u16(bytes, p, end);
  if (listLen === undefined) return -1;
  const listEnd = Math.min(p + 2 + listLen, end);
  p += 2;
  let first = -1;
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < MAX_ALPN; i++) {
    const len = u8(bytes, p, listEnd);
    if (len === undefined || p + 1 + len > listEnd) break;
    if (first < 0) {
      first = p + 1;
      alpnFirstLength = len;
    }
    for (let k = p; k <= p + len; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
    out.push(latin1Text(bytes, p + 1, p + 1 + len));
    p += 1 + len;
  }
  alpnHash = h;
  return first;
}

/** ServerHello inside a TLS record: the chosen cipher, version (supported_versions) and ALPN. */
export function decodeTlsServerHello(bytes: Uint8Array, offset: number, length: number): TlsServerHello | undefined {
  let p = recordBody(bytes, offset, length, HS_SERVER_HELLO);
  if (p < 0) return undefined;
  const end = bodyEnd;
  const version = u16(bytes, p, end);
  if (version === undefined) return undefined;
  p += 2 + RANDOM_LEN;
  const sidLen = u8(bytes, p, end);
  if (sidLen === undefined) return undefined;
  p += 1 + sidLen;
  const cipherSuite = u16(bytes, p, end);
  if (cipherSuite === undefined || u8(bytes, p + 2, end) === undefined) return undefined;
  p += 3;
  const hello: TlsServerHello = { version, cipherSuite };
  const extTotal = u16(bytes, p, end);
  if (extTotal === undefined) return hello;
  p += 2;
  const extEnd = Math.min(p + extTotal, end);
  for (let n = 0; n < MAX_EXTENSIONS; n++) {
    const type = u16(bytes, p, extEnd);
    const len = u16(bytes, p + 2, extEnd);
    if (type === undefined || len === undefined || p + 4 + len > extEnd) break;
    if (type === EXT_SUPPORTED_VERSIONS) hello.selectedVersion = u16(bytes, p + 4, p + 4 + len);
    else if (type === EXT_ALPN) {
      const names: string[] = [];
      parseAlpn(bytes, p + 4, p + 4 + len, names);
      if (names.length > 0) hello.alpn = names[0];
    }
    p += 4 + len;
  }
  return hello;
}
