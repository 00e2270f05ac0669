/**
 * QUIC client Initial (v1, v2, draft-29): derives the Initial keys from the version's public salt
 * (RFC 9001 5.2, RFC 9369), removes header protection, decrypts, and parses the ClientHello inside.
 */
import type * as NodeCrypto from "node:crypto";
import type { TlsClientHello } from "./types.ts";
import { u8, u32 } from "./read.ts";
import { decodeClientHelloHandshake } from "./tls.ts";

/** node:crypto, loaded at the first QUIC Initial rather than with the decoders (~30 ms of start-up for every run). */
let nodeCrypto: typeof NodeCrypto | undefined;
const crypto = (): typeof NodeCrypto => (nodeCrypto ??= require("node:crypto") as typeof NodeCrypto);

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;
export const QUIC_DRAFT29 = 0xff00001d;

interface VersionParams {
  salt: Uint8Array;
  labelPrefix: string; // "quic" (v1, drafts) or "quicv2"
  initialType: number; // long-header packet type of Initial
}

const VERSIONS: Record<number, VersionParams> = {
  [QUIC_V1]: { salt: Buffer.from("38762cf7f55934b34d179ae6a4c80cadccbb7f0a", "hex"), labelPrefix: "quic", initialType: 0 },
  [QUIC_V2]: { salt: Buffer.from("0dede3def700a6db819381be6e269dcbf9bd2ed9", "hex"), labelPrefix: "quicv2", initialType: 1 },
  [QUIC_DRAFT29]: { salt: Buffer.from("afbfec289993d24c9e9786f19c6111e04390a899", "hex"), labelPrefix: "quic", initialType: 0 },
};

const MAX_CID = 20;
const SAMPLE_LEN = 16;
const TAG_LEN = 16;
const MAX_FRAMES = 512; // Chrome scatters a hello over many small CRYPTO frames between PINGs
const MAX_ACK_RANGES = 64;
const MAX_COALESCED = 4;
const MAX_CRYPTO_BYTES = 64 * 1024; // a ClientHello is a few KB; more is not a hello
const FRAME_PADDING = 0x00;
const FRAME_PING = 0x01;
const FRAME_ACK = 0x02;
const FRAME_ACK_ECN = 0x03;
const FRAME_CRYPTO = 0x06;

/** True for a long-header packet of a version this decoder knows (service sniffing uses it). */
export function isKnownQuicLongHeader(bytes: Uint8Array, offset: number, length: number): boolean {
  const end = offset + length;
  const first = u8(bytes, offset, end);
  const version = u32(bytes, offset + 1, end);
  return first !== undefined && (first & 0xc0) === 0xc0 && version !== undefined && VERSIONS[version] !== undefined;
}

/** QUIC variable-length integer: [value, bytes used] or undefined. */
function varint(bytes: Uint8Array, p: number, end: number): [number, number] | undefined {
  const first = u8(bytes, p, end);
  if (first === undefined) return undefined;
  const len = 1 << (first >> 6);
  if (p + len > end || p + len > bytes.length) return undefined;
  let v = first & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + bytes[p + i];
  return [v, len];
}

function hkdfExpandLabel(secret: Uint8Array, label: string, length: number): Buffer {
  const full = Buffer.from("tls13 " + label, "latin1");
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
  // One HMAC block is enough: every output here is at most 32 bytes (SHA-256 size).
  return crypto().createHmac("sha256", secret).update(Buffer.concat([info, Buffer.from([1])])).digest().subarray(0, length);
}

/** Client Initial key, IV and header-protection key for a destination connection id. */
export function clientInitialKeys(version: number, dcid: Uint8Array): { key: Buffer; iv: Buffer; hp: Buffer } | undefined {
  const params = VERSIONS[version];
  if (!params) return undefined;
  const initialSecret = crypto().createHmac("sha256", params.salt).update(dcid).digest();
  const clientSecret = hkdfExpandLabel(initialSecret, "client in", 32);
  const p = params.labelPrefix;
  return { key: hkdfExpandLabel(clientSecret, `${p} key`, 16), iv: hkdfExpandLabel(clientSecret, `${p} iv`, 12), hp: hkdfExpandLabel(clientSecret, `${p} hp`, 16) };
}

/** The decrypted payload (frames) of a client Initial packet, or undefined. */
export function decryptQuicInitial(bytes: Uint8Array, offset: number, length: number): Uint8Array | undefined {
  return decryptPacket(bytes, offset, length)?.frames;
}

/** One Initial packet of a datagram: its frames and where the next coalesced packet starts. */
function decryptPacket(bytes: Uint8Array, offset: number, length: number): { frames: Uint8Array; next: number } | undefined {
  const end = Math.min(offset + length, bytes.length);
  const first = u8(bytes, offset, end);
  const version = u32(bytes, offset + 1, end);
  if (first === undefined || version === undefined || (first & 0xc0) !== 0xc0) return undefined;
  const params = VERSIONS[version];
  if (!params || ((first >> 4) & 3) !== params.initialType) return undefined;
  let p = offset + 5;
  const dcidLen = u8(bytes, p, end);
  if (dcidLen === undefined || dcidLen > MAX_CID || p + 1 + dcidLen > end) return undefined;
  const dcid = bytes.subarray(p + 1, p + 1 + dcidLen);
  p += 1 + dcidLen;
  const scidLen = u8(bytes, p, end);
  if (scidLen === undefined || scidLen > MAX_CID) return undefined;
  p += 1 + scidLen;
  const tokenLen = varint(bytes, p, end);
  if (!tokenLen) return undefined;
  p += tokenLen[1] + tokenLen[0];
  const payloadLen = varint(bytes, p, end);
  if (!payloadLen) return undefined;
  p += payloadLen[1];
  const pnOffset = p;
  const packetEnd = pnOffset + payloadLen[0];
  if (packetEnd > end || pnOffset + 4 + SAMPLE_LEN > packetEnd) return undefined;
  const keys = clientInitialKeys(version, dcid);
  if (!keys) return undefined;
  try {
    const hp = crypto().createCipheriv("aes-128-ecb", keys.hp, null);
    const mask = hp.update(bytes.subarray(pnOffset + 4, pnOffset + 4 + SAMPLE_LEN));
    // Unmask a copy of the header: the capture buffer stays untouched.
    const header = Buffer.from(bytes.subarray(offset, pnOffset + 4));
    header[0] ^= mask[0] & 0x0f;
    const pnLen = (header[0] & 3) + 1;
    const pnAt = pnOffset - offset;
    const nonce = Buffer.from(keys.iv);
    for (let i = 0; i < pnLen; i++) {
      header[pnAt + i] ^= mask[1 + i];
      nonce[12 - pnLen + i] ^= header[pnAt + i];
    }
    const aad = header.subarray(0, pnAt + pnLen);
    const cipherStart = pnOffset + pnLen;
    if (packetEnd - cipherStart < TAG_LEN) return undefined;
    const gcm = crypto().createDecipheriv("aes-128-gcm", keys.key, nonce);
    gcm.setAAD(aad);
    gcm.setAuthTag(bytes.subarray(packetEnd - TAG_LEN, packetEnd));
    const plain = gcm.update(bytes.subarray(cipherStart, packetEnd - TAG_LEN));
    gcm.final(); // throws on a bad tag: a server Initial, a wrong version guess or damage
    return { frames: new Uint8Array(plain.buffer, plain.byteOffset, plain.length), next: packetEnd };
  } catch {
    return undefined;
  }
}

/** CRYPTO frame data of decrypted Initials, reassembled by offset: the contiguous bytes from 0. */
export function initialCryptoData(...packets: Uint8Array[]): Uint8Array | undefined {
  const chunks: { off: number; data: Uint8Array }[] = [];
  for (const frames of packets) if (!collectCrypto(frames, chunks)) return undefined;
  let total = 0;
  for (const c of chunks) total = Math.max(total, c.off + c.data.length);
  if (total === 0) return undefined;
  const buf = new Uint8Array(total);
  const have = new Uint8Array(total);
  for (const c of chunks) {
    buf.set(c.data, c.off);
    have.fill(1, c.off, c.off + c.data.length);
  }
  let contiguous = 0;
  while (contiguous < total && have[contiguous]) contiguous++;
  return contiguous > 0 ? buf.subarray(0, contiguous) : undefined;
}

/** Appends the CRYPTO frames of one packet; false when the frames are malformed. */
function collectCrypto(frames: Uint8Array, chunks: { off: number; data: Uint8Array }[]): boolean {
  const end = frames.length;
  let p = 0;
  for (let n = 0; n < MAX_FRAMES && p < end; n++) {
    const type = frames[p];
    if (type === FRAME_PADDING || type === FRAME_PING) {
      while (p < end && (frames[p] === FRAME_PADDING || frames[p] === FRAME_PING)) p++;
      continue;
    }
    if (type === FRAME_ACK || type === FRAME_ACK_ECN) {
      p++;
      const fields: number[] = [];
      for (let i = 0; i < 4; i++) {
        const v = varint(frames, p, end);
        if (!v) return false;
        fields.push(v[0]);
        p += v[1];
      }
      const ranges = Math.min(fields[2], MAX_ACK_RANGES) * 2 + (type === FRAME_ACK_ECN ? 3 : 0);
      for (let i = 0; i < ranges; i++) {
        const v = varint(frames, p, end);
        if (!v) return false;
        p += v[1];
      }
      continue;
    }
    if (type !== FRAME_CRYPTO) break; // anything else ends what an Initial can usefully hold
    const off = varint(frames, p + 1, end);
    if (!off) break;
    const len = varint(frames, p + 1 + off[1], end);
    if (!len) break;
    const start = p + 1 + off[1] + len[1];
    if (start + len[0] > end || off[0] + len[0] > MAX_CRYPTO_BYTES) break;
    chunks.push({ off: off[0], data: frames.subarray(start, start + len[0]) });
    p = start + len[0];
  }
  return true;
}

/** The frames of every client Initial in a datagram (several may be coalesced; padding may follow). */
export function decryptInitialPackets(bytes: Uint8Array, offset: number, length: number): Uint8Array[] {
  const end = Math.min(offset + length, bytes.length);
  const packets: Uint8Array[] = [];
  for (let p = offset, i = 0; i < MAX_COALESCED && p < end; i++) {
    const packet = decryptPacket(bytes, p, end - p);
    if (!packet) break;
    packets.push(packet.frames);
    p = packet.next;
  }
  return packets;
}

/** The ClientHello of a client Initial datagram (JA4 with the "q" prefix), or undefined. A hello
 * longer than the datagram is parsed as far as it goes; QuicHelloAssembler joins datagrams. */
export function decodeQuicInitial(bytes: Uint8Array, offset: number, length: number): TlsClientHello | undefined {
  const packets = decryptInitialPackets(bytes, offset, length);
  const crypto = packets.length > 0 ? initialCryptoData(...packets) : undefined;
  return crypto && decodeClientHelloHandshake(crypto, 0, crypto.length, "q");
}
