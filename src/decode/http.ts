/**
 * HTTP/1.x request or status line and a few headers from the first segment of a message
 * (Host, User-Agent, Server, Content-Type, the Authorization scheme and Basic user, never the secret).
 */
import type { HttpMessage } from "./types.ts";

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

const REQUEST_LINE = /^([A-Z][A-Z-]*) (\S+) HTTP\/(\d\.\d)$/;
const STATUS_LINE = /^HTTP\/(\d\.\d) (\d{3})(?: .*)?$/;

export function decodeHttp(bytes: Uint8Array, offset: number, length: number): HttpMessage | undefined {
  const first = firstLine(bytes, offset, length);
  if (!first) return undefined;
  let msg: HttpMessage;
  const req = REQUEST_LINE.exec(first.line);
  if (req && req[1].length <= MAX_METHOD && METHODS.has(req[1])) {
    msg = { isRequest: true, method: req[1], uri: req[2].slice(0, MAX_VALUE), version: req[3] };
  } else {
    const res = STATUS_LINE.exec(first.line);
    if (!res) return undefined;
    msg = { isRequest: false, status: Number(res[2]), version: res[1] };
  }
  for (const [name, value] of parseHeaderLines(first.text, first.rest)) {
    if (name === "host") msg.host ??= value;
    else if (name === "user-agent") msg.userAgent ??= value;
    else if (name === "server") msg.server ??= value;
    else if (name === "content-type") msg.contentType ??= value;
    else if (name === "authorization" && msg.authorizationScheme === undefined) {
      const [scheme, credentials] = value.split(/\s+/, 2);
      msg.authorizationScheme = scheme;
      if (scheme.toLowerCase() === "basic" && credentials) {
        const user = basicUser(credentials);
        if (user !== undefined) msg.basicUser = user;
      }
    }
  }
  return msg;
}

/** The user part of Basic credentials; the password is cut off before anything keeps it. */
export function basicUser(credentials: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(credentials)) return undefined;
  const decoded = latin1.decode(Buffer.from(credentials, "base64"));
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(0, colon);
}
