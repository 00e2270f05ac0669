/**
 * HTTP/1.x request or status line and a few headers from the first segment of a message
 * (Host, User-Agent, Server, Content-Type, the Authorization scheme and Basic user, never the secret).
 */
import type { HttpMessage } from "./types.ts";
import { isRegexSpaceByte, latin1Text } from "./read.ts";

export const MAX_HEADERS = 64;
const MAX_HEAD_BYTES = 16384; // headers beyond this are not looked at
const MAX_METHOD = 16;
const MAX_VALUE = 1024;

const latin1 = new TextDecoder("latin1");

/** Methods of HTTP/1.1 and WebDAV/UPnP that start a request line. */
const METHODS = new Set([
  "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
  "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH",
  "SUBSCRIBE", "UNSUBSCRIBE", "NOTIFY", "M-SEARCH",
]);

/** The complete header lines after the first line: [lower-case name, value]. A line cut by the segment end is dropped. */
export function parseHeaderLines(text: string, start: number, max = MAX_HEADERS): [string, string][] {
  const out: [string, string][] = [];
  let p = start;
  for (let i = 0; i < max; i++) {
    const nl = text.indexOf("\n", p);
    if (nl < 0) break; // incomplete last line
    const line = text.slice(p, nl).replace(/\r$/, "");
    p = nl + 1;
    if (line === "") break; // end of the header block
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim().slice(0, MAX_VALUE)]);
  }
  return out;
}

/** The first line of an HTTP-like message and where the headers start, or undefined. */
export function firstLine(bytes: Uint8Array, offset: number, length: number): { line: string; text: string; rest: number } | undefined {
  const end = Math.min(offset + length, bytes.length, offset + MAX_HEAD_BYTES);
  if (offset < 0 || end - offset < 4) return undefined;
  const text = latin1.decode(bytes.subarray(offset, end));
  const nl = text.indexOf("\n");
  if (nl < 0) return undefined;
  return { line: text.slice(0, nl).replace(/\r$/, ""), text, rest: nl + 1 };
}

// The first line, read on its bytes (http.test.ts holds the reading to these expressions on the decoded line):
// a request /^([A-Z][A-Z-]*) (\S+) HTTP\/(\d\.\d)$/ with a known method, or a status line /^HTTP\/(\d\.\d) (\d{3})(?: .*)?$/.

export function decodeHttp(bytes: Uint8Array, offset: number, length: number): HttpMessage | undefined {
  const end = Math.min(offset + length, bytes.length, offset + MAX_HEAD_BYTES);
  if (offset < 0 || end - offset < 4) return undefined;
  const nl = byteIndex(bytes, LF, offset, end);
  if (nl < 0) return undefined;
  const lineEnd = withoutCr(bytes, offset, nl);
  let msg: HttpMessage | undefined = requestLine(bytes, offset, lineEnd);
  if (msg === undefined) {
    const status = statusLine(bytes, offset, lineEnd);
    if (status < 0) return undefined;
    msg = { isRequest: false, status, version: latin1Text(bytes, offset + 5, offset + 8) };
  }
  readHeaders(bytes, nl + 1, end, msg);
  return msg;
}

/**
 * A request line with a known method, read on the bytes of the line [start, end): no line text and no
 * match array per message, only the method, URI and version (cached short texts).
 */
function requestLine(bytes: Uint8Array, start: number, end: number): HttpMessage | undefined {
  let i = start;
  if (!(i < end && isUpper(bytes[i]))) return undefined;
  while (i < end && (isUpper(bytes[i]) || bytes[i] === 0x2d)) i++;
  if (i - start > MAX_METHOD || i >= end || bytes[i] !== 0x20) return undefined;
  const uriStart = i + 1;
  let j = uriStart;
  while (j < end && !isRegexSpaceByte(bytes[j])) j++;
  // \S+ then " HTTP/d.d" and the end of the line.
  if (j === uriStart || end - j !== 9 || bytes[j] !== 0x20 || !isHttpVersion(bytes, j + 1)) return undefined;
  const method = latin1Text(bytes, start, i);
  if (!METHODS.has(method)) return undefined;
  return { isRequest: true, method, uri: latin1Text(bytes, uriStart, Math.min(j, uriStart + MAX_VALUE)), version: latin1Text(bytes, j + 6, j + 9) };
}

/** A status line's code read on the bytes of the line [start, end), or -1 when the line is not one. */
function statusLine(bytes: Uint8Array, start: number, end: number): number {
  // "HTTP/d.d ddd", then the end or " " and a reason phrase with no line break (.* stops at CR).
  if (end - start < 12 || !isHttpVersion(bytes, start) || bytes[start + 8] !== 0x20) return -1;
  const d0 = bytes[start + 9], d1 = bytes[start + 10], d2 = bytes[start + 11];
  if (!isDigit(d0) || !isDigit(d1) || !isDigit(d2)) return -1;
  if (end - start > 12) {
    if (bytes[start + 12] !== 0x20) return -1;
    for (let k = start + 13; k < end; k++) if (bytes[k] === 0x0d || bytes[k] === 0x0a) return -1;
  }
  return (d0 - 0x30) * 100 + (d1 - 0x30) * 10 + (d2 - 0x30);
}

/** "HTTP/d.d" at `at` (the caller checked the 8 bytes are in the line). */
function isHttpVersion(bytes: Uint8Array, at: number): boolean {
  return bytes[at] === 0x48 && bytes[at + 1] === 0x54 && bytes[at + 2] === 0x54 && bytes[at + 3] === 0x50 && bytes[at + 4] === 0x2f &&
    isDigit(bytes[at + 5]) && bytes[at + 6] === 0x2e && isDigit(bytes[at + 7]);
}

function isUpper(b: number): boolean {
  return b >= 0x41 && b <= 0x5a;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}


// The headers are walked on the bytes and only the few values read here become text (as
// parseHeaderLines would give them: same lines, same cap, names trimmed and compared without case).
const enum Header { None, Host, UserAgent, Server, ContentType, Authorization }
const HEADER_NAMES: [Header, Uint8Array][] = ([
  [Header.Host, "host"], [Header.UserAgent, "user-agent"], [Header.Server, "server"],
  [Header.ContentType, "content-type"], [Header.Authorization, "authorization"],
] as const).map(([h, name]) => [h, new TextEncoder().encode(name)]);

function readHeaders(bytes: Uint8Array, start: number, end: number, msg: HttpMessage): void {
  let p = start;
  for (let i = 0; i < MAX_HEADERS; i++) {
    const nl = byteIndex(bytes, LF, p, end);
    if (nl < 0) return; // incomplete last line
    const lineStart = p;
    const lineEnd = withoutCr(bytes, p, nl);
    p = nl + 1;
    if (lineEnd === lineStart) return; // end of the header block
    const colon = byteIndex(bytes, COLON, lineStart, lineEnd);
    if (colon <= lineStart) continue;
    const header = headerOf(bytes, lineStart, colon);
    if (header === Header.None) continue;
    // decode, trim and cut to MAX_VALUE on the bytes (one latin1 byte is one character, and the
    // bytes trim drops are those that decode to the white space it drops).
    let from = colon + 1, to = lineEnd;
    while (from < to && isTrimmed(bytes[from])) from++;
    while (to > from && isTrimmed(bytes[to - 1])) to--;
    const value = latin1Text(bytes, from, Math.min(to, from + MAX_VALUE));
    if (header === Header.Host) msg.host ??= value;
    else if (header === Header.UserAgent) msg.userAgent ??= value;
    else if (header === Header.Server) msg.server ??= value;
    else if (header === Header.ContentType) msg.contentType ??= value;
    else if (msg.authorizationScheme === undefined) {
      const [scheme, credentials] = value.split(/\s+/, 2);
      msg.authorizationScheme = scheme;
      if (scheme.toLowerCase() === "basic" && credentials) {
        const user = basicUser(credentials);
        if (user !== undefined) msg.basicUser = user;
      }
    }
  }
}

const LF = 0x0a;
const COLON = 0x3a;

/** The first `value` in [from, end), or -1 (Uint8Array.indexOf would search past `end`). */
function byteIndex(bytes: Uint8Array, value: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (bytes[i] === value) return i;
  return -1;
}

/** The end of a line ending at the LF `nl`, one CR before it left out. */
function withoutCr(bytes: Uint8Array, start: number, nl: number): number {
  return nl > start && bytes[nl - 1] === 0x0d ? nl - 1 : nl;
}

/** Bytes that decode to white space String.trim removes (tab, VT, FF, CR, space, no-break space). */
function isTrimmed(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0b || b === 0x0c || b === 0x0d || b === 0xa0;
}

/** Which header a name is: trimmed, ASCII letters compared without case; None for any other name. */
function headerOf(bytes: Uint8Array, from: number, to: number): Header {
  while (from < to && isTrimmed(bytes[from])) from++;
  while (to > from && isTrimmed(bytes[to - 1])) to--;
  for (const [header, name] of HEADER_NAMES) {
    if (name.length !== to - from) continue;
    let k = 0;
    while (k < name.length && (bytes[from + k] === name[k] || (name[k] >= 0x61 && name[k] <= 0x7a && bytes[from + k] === name[k] - 0x20))) k++;
    if (k === name.length) return header;
  }
  return Header.None;
}

/** The user part of Basic credentials; the password is cut off before anything keeps it. */
export function basicUser(credentials: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(credentials)) return undefined;
  const decoded = latin1.decode(Buffer.from(credentials, "base64"));
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(0, colon);
}
