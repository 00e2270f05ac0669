/**
 * Joins a flow's first message when it spans several packets: a ClientHello over TCP segments or
 * QUIC datagrams (post-quantum key shares make Chrome's ~1.8 KB), an HTTP head over segments.
 * The engine keeps one per flow, fed in order with the client's first payload packets only.
 */
import type { HttpMessage, TlsClientHello } from "./types.ts";
import { decodeClientHelloHandshake, decodeTlsClientHello } from "./tls.ts";
import { decryptInitialPackets, initialCryptoData } from "./quic.ts";
import { decodeHttp } from "./http.ts";

const MAX_PARTS = 4; // a message in more pieces than this is given up on (partial result returned)
const MAX_TLS_BYTES = 5 + 16384; // one TLS record
const MAX_HTTP_HEAD = 8192;

function append(buf: Uint8Array, bytes: Uint8Array, offset: number, length: number, cap: number): Uint8Array {
  const n = Math.min(length, bytes.length - offset, cap - buf.length);
  if (n <= 0) return buf;
  const next = new Uint8Array(buf.length + n);
  next.set(buf);
  next.set(bytes.subarray(offset, offset + n), buf.length);
  return next;
}

function handshakeComplete(data: Uint8Array, at: number): boolean {
  return handshakeCompleteAt(data, at, data.length);
}

/** A handshake message starting at `at` ends before `end`. */
function handshakeCompleteAt(data: Uint8Array, at: number, end: number): boolean {
  if (end > data.length || end < at + 4) return false;
  const len = (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3];
  return end >= at + 4 + len;
}

/** No bytes yet: one empty array shared by every assembler (most never copy a byte). */
const EMPTY = new Uint8Array(0);

/** Whether a TLS record's handshake message lies whole in this segment (TlsHelloAssembler decodes it in place). */
export function tlsHelloWhole(bytes: Uint8Array, offset: number, length: number): boolean {
  return handshakeCompleteAt(bytes, offset + 5, offset + length);
}

/** Whether an HTTP head ends in this segment (HttpHeadAssembler decodes it in place). */
export function httpHeadWhole(bytes: Uint8Array, offset: number, length: number): boolean {
  return headEndedIn(bytes, offset, offset + Math.min(length, MAX_HTTP_HEAD));
}

/** TLS over TCP: push the client's payload segments in order; a hello comes back when whole. */
export class TlsHelloAssembler {
  private buf: Uint8Array = EMPTY;
  private parts = 0;
  done = false;

  push(bytes: Uint8Array, offset: number, length: number): TlsClientHello | undefined {
    if (this.done || length <= 0) return undefined;
    // The common case: the whole hello is in the first segment; decode it in place, copy nothing.
    if (this.parts === 0 && tlsHelloWhole(bytes, offset, length)) {
      this.done = true;
      return decodeTlsClientHello(bytes, offset, length);
    }
    if (this.buf.length >= MAX_TLS_BYTES) return this.finish();
    this.buf = append(this.buf, bytes, offset, length, MAX_TLS_BYTES);
    this.parts++;
    if (this.buf.length >= 5 && !(this.buf[0] === 0x16 && this.buf[1] === 3)) {
      this.done = true; // not TLS: stop collecting
      return undefined;
    }
    if (handshakeComplete(this.buf, 5) || this.parts >= MAX_PARTS) return this.finish();
    return undefined;
  }

  private finish(): TlsClientHello | undefined {
    this.done = true;
    return decodeTlsClientHello(this.buf, 0, this.buf.length);
  }
}

/** QUIC: push the client's datagrams; Initials are decrypted and their CRYPTO data joined. */
export class QuicHelloAssembler {
  private frames: Uint8Array[] = [];
  private parts = 0;
  done = false;

  push(bytes: Uint8Array, offset: number, length: number): TlsClientHello | undefined {
    if (this.done) return undefined;
    const packets = decryptInitialPackets(bytes, offset, length);
    if (packets.length === 0) return undefined; // 0-RTT, Handshake or a retry: not ours
    this.frames.push(...packets);
    this.parts++;
    const crypto = initialCryptoData(...this.frames);
    if (!crypto) return this.parts >= MAX_PARTS ? this.giveUp() : undefined;
    if (!handshakeComplete(crypto, 0) && this.parts < MAX_PARTS) return undefined;
    this.done = true;
    return decodeClientHelloHandshake(crypto, 0, crypto.length, "q");
  }

  private giveUp(): undefined {
    this.done = true;
    return undefined;
  }
}

/** HTTP/1.x: push one direction's segments; the message comes back once its head (to the blank line) is whole. */
export class HttpHeadAssembler {
  private buf: Uint8Array = EMPTY;
  private parts = 0;
  done = false;

  push(bytes: Uint8Array, offset: number, length: number): HttpMessage | undefined {
    if (this.done || length <= 0) return undefined;
    // The common case: the whole head is in the first segment; decode it in place, copy nothing.
    if (this.parts === 0 && httpHeadWhole(bytes, offset, length)) {
      this.done = true;
      return decodeHttp(bytes, offset, length);
    }
    const from = Math.max(0, this.buf.length - 3); // the blank line may straddle two segments
    this.buf = append(this.buf, bytes, offset, length, MAX_HTTP_HEAD);
    this.parts++;
    if (!headEnded(this.buf, from) && this.parts < MAX_PARTS && this.buf.length < MAX_HTTP_HEAD) {
      if (this.parts === 1 && !decodeHttp(this.buf, 0, this.buf.length) && this.buf.indexOf(0x0a) >= 0) this.done = true; // a whole first line that is not HTTP
      return undefined;
    }
    this.done = true;
    return decodeHttp(this.buf, 0, this.buf.length);
  }
}

function headEnded(b: Uint8Array, from: number): boolean {
  return headEndedIn(b, from, b.length);
}

/** A blank line (LF LF or LF CR LF) within b[from, end). */
function headEndedIn(b: Uint8Array, from: number, end: number): boolean {
  for (let i = from; i + 1 < end; i++) {
    if (b[i] === 0x0a && (b[i + 1] === 0x0a || (b[i + 1] === 0x0d && i + 2 < end && b[i + 2] === 0x0a))) return true;
  }
  return false;
}
