/**
 * NetBIOS name service (RFC 1002, UDP 137): the names hosts register, query and list in node-status
 * answers, and the IPv4 addresses bound to them. The framing is DNS's, names are first-level encoded.
 */
import type { NetbiosMessage } from "./types.ts";
import { readName } from "./dns.ts";
import { ipv4String, u16 } from "./read.ts";

const HEADER_LENGTH = 12;
/** Questions + records read per message, whatever the header counts claim. */
export const MAX_NBNS_ENTRIES = 64;
/** Names kept per message (node-status answers list up to 255). */
export const MAX_NBNS_NAMES = 64;
/** Addresses kept per message. */
export const MAX_NBNS_ADDRESSES = 32;
const ENCODED_NAME_LENGTH = 32;
const TYPE_NB = 0x20;
const TYPE_NBSTAT = 0x21;
const NODE_NAME_ENTRY = 18; // 15 name bytes, suffix, 2 flag bytes

type Names = NetbiosMessage["names"];

export function decodeNetbios(bytes: Uint8Array, offset: number, length: number): NetbiosMessage | undefined {
  const end = Math.min(offset + length, bytes.length);
  if (offset < 0 || end - offset < HEADER_LENGTH) return undefined;
  const flags = (bytes[offset + 2] << 8) | bytes[offset + 3];
  const msg: NetbiosMessage = { isResponse: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, names: [], addresses: [] };
  let pos = offset + HEADER_LENGTH;
  let budget = MAX_NBNS_ENTRIES;
  const qdCount = (bytes[offset + 4] << 8) | bytes[offset + 5];
  for (let i = 0; i < qdCount && budget > 0; i++, budget--) {
    const q = readName(bytes, pos, offset, end);
    if (!q || q.next + 4 > end) return msg;
    addEncodedName(msg.names, q.name);
    pos = q.next + 4;
  }
  let rrCount = 0;
  for (let s = 0; s < 3; s++) rrCount += (bytes[offset + 6 + 2 * s] << 8) | bytes[offset + 7 + 2 * s];
  for (let i = 0; i < rrCount && budget > 0; i++, budget--) {
    const rr = readName(bytes, pos, offset, end);
    if (!rr) return msg;
    const type = u16(bytes, rr.next, end);
    const rdLength = u16(bytes, rr.next + 8, end);
    const data = rr.next + 10;
    if (type === undefined || rdLength === undefined || data + rdLength > end) return msg;
    // A node-status answer is owned by the "*" query name; the names worth keeping are in its data.
    if (type !== TYPE_NBSTAT) addEncodedName(msg.names, rr.name);
    if (type === TYPE_NB) readAddresses(bytes, data, rdLength, msg.addresses);
    if (type === TYPE_NBSTAT) readNodeNames(bytes, data, rdLength, msg.names);
    pos = data + rdLength;
  }
  return msg;
}

/** Decodes the first label of an encoded name (two letters 'A'..'P' per byte): 15 name bytes + suffix. */
function addEncodedName(names: Names, wire: string): void {
  if (wire.length < ENCODED_NAME_LENGTH || (wire.length > ENCODED_NAME_LENGTH && wire[ENCODED_NAME_LENGTH] !== ".")) return;
  const raw: number[] = [];
  for (let i = 0; i < ENCODED_NAME_LENGTH; i += 2) {
    const hi = wire.charCodeAt(i) - 65;
    const lo = wire.charCodeAt(i + 1) - 65;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return;
    raw.push((hi << 4) | lo);
  }
  addName(names, raw, 0);
}

function readNodeNames(bytes: Uint8Array, data: number, len: number, names: Names): void {
  if (len < 1) return;
  const count = bytes[data];
  for (let i = 0; i < count && i < MAX_NBNS_NAMES; i++) {
    const entry = data + 1 + i * NODE_NAME_ENTRY;
    if (entry + NODE_NAME_ENTRY > data + len) return;
    addName(names, bytes, entry);
  }
}

/** Adds the 15-byte name + suffix byte at `at` (trailing spaces/NULs trimmed), once per name+suffix. */
function addName(names: Names, raw: ArrayLike<number>, at: number): void {
  if (names.length >= MAX_NBNS_NAMES) return;
  let stop = at + 15;
  while (stop > at && (raw[stop - 1] === 0x20 || raw[stop - 1] === 0)) stop--;
  let name = "";
  for (let i = at; i < stop; i++) name += String.fromCharCode(raw[i]);
  const suffix = raw[at + 15];
  if (!names.some((n) => n.name === name && n.suffix === suffix)) names.push({ name, suffix });
}

function readAddresses(bytes: Uint8Array, data: number, len: number, out: string[]): void {
  // NB data: repeated { flags u16, IPv4 }.
  for (let i = 0; i + 6 <= len && out.length < MAX_NBNS_ADDRESSES; i += 6) {
    const ip = ipv4String(bytes, data + i + 2);
    if (!out.includes(ip)) out.push(ip);
  }
}
