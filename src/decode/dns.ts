/**
 * DNS messages (RFC 1035) as sent over UDP by DNS, mDNS (RFC 6762) and LLMNR (RFC 4795), and over
 * TCP with a 2-byte length prefix. Truncated messages give what was parsed before the cut.
 */
import type { DnsMessage, DnsQuestion, DnsRecord } from "./types.ts";
import { asciiText, flatString, hex, u16, u32, utf8 } from "./read.ts";
import { ipv4Name, ipv6Name } from "./addr.ts";

const HEADER_LENGTH = 12;
/** Compression pointers followed while reading one name (a loop ends here). */
export const MAX_NAME_JUMPS = 64;
/** Longest name on the wire (RFC 1035 2.3.4); also bounds the labels read per name. */
export const MAX_NAME_LENGTH = 255;
/** Questions + records decoded per message, whatever the header counts claim. */
export const MAX_ENTRIES = 256;
/** Character-strings kept from one TXT/HINFO record. */
export const MAX_TXT_STRINGS = 64;
/** Messages decoded from one TCP payload. */
export const MAX_TCP_MESSAGES = 64;
/** Bytes of unknown record data kept as hex. */
const MAX_RDATA_HEX = 64;

const CLASS_TOP_BIT = 0x8000; // mDNS: unicast-response (questions) / cache-flush (records)
const TYPE_OPT = 41;

interface Name {
  name: string;
  /** Offset just past the name where it was read (not where pointers led). */
  next: number;
}

/** Decodes one DNS message; undefined when the 12-byte header is not there. */
export function decodeDns(bytes: Uint8Array, offset: number, length: number): DnsMessage | undefined {
  const end = Math.min(offset + length, bytes.length);
  if (offset < 0 || end - offset < HEADER_LENGTH) return undefined;
  const flags = (bytes[offset + 2] << 8) | bytes[offset + 3];
  const qdCount = (bytes[offset + 4] << 8) | bytes[offset + 5];
  const anCount = (bytes[offset + 6] << 8) | bytes[offset + 7];
  const nsCount = (bytes[offset + 8] << 8) | bytes[offset + 9];
  const arCount = (bytes[offset + 10] << 8) | bytes[offset + 11];
  // A section the header says is empty shares one frozen empty list (a query has three): no array made for it.
  const msg: DnsMessage = {
    id: (bytes[offset] << 8) | bytes[offset + 1],
    isResponse: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    truncated: (flags & 0x0200) !== 0,
    // One question (nearly every message): its list is set once read, shared (see oneQuestion).
    questions: qdCount <= 1 ? NONE : [],
    answers: anCount === 0 ? NONE : [],
    authorities: nsCount === 0 ? NONE : [],
    additionals: arCount === 0 ? NONE : [],
    size: end - offset,
  };
  let budget = MAX_ENTRIES;
  let pos = offset + HEADER_LENGTH;
  for (let i = 0; i < qdCount && budget > 0; i++, budget--) {
    const name = readNameText(bytes, pos, offset, end);
    const next = nameNext;
    if (name === undefined || next + 4 > end) return msg;
    const rawClass = (bytes[next + 2] << 8) | bytes[next + 3];
    const type = (bytes[next] << 8) | bytes[next + 1];
    pos = next + 4;
    if (qdCount === 1) {
      msg.questions = oneQuestion(name, type, rawClass);
      continue;
    }
    const question: DnsQuestion = { name, type, class: rawClass & ~CLASS_TOP_BIT };
    if (rawClass & CLASS_TOP_BIT) question.unicastResponse = true;
    (msg.questions as DnsQuestion[]).push(question);
  }
  for (let s = 0; s < 3; s++) {
    const count = s === 0 ? anCount : s === 1 ? nsCount : arCount;
    const section = s === 0 ? msg.answers : s === 1 ? msg.authorities : msg.additionals;
    for (let i = 0; i < count && budget > 0; i++, budget--) {
      const record = readRecord(bytes, pos, offset, end);
      if (record === undefined) return msg;
      section.push(record);
      pos = recordNext;
    }
  }
  return msg;
}

/**
 * Single-question lists made lately, by the question (a query and its response ask the same; clients
 * ask the same names again): shared, found by the name's hash, its type and raw class. The question
 * is frozen; the list is read-only by its type (DnsMessage.questions) but not frozen: Object.freeze
 * of an array costs JavaScriptCore ~1 us (its storage is converted), paid by every query of a name
 * not seen lately (36 k of the bench capture's 81 k messages), and a frozen array is read through
 * the slow indexed path by each of the five observers that read questions[0].
 */
const QUESTION_SLOTS = 4096;
const questionKeys = new Int32Array(QUESTION_SLOTS);
const questionLists: (readonly DnsQuestion[] | undefined)[] = new Array<readonly DnsQuestion[] | undefined>(QUESTION_SLOTS).fill(undefined);

/** The list of one question of `name` (read last by readNameText: its hash is in nameHash). */
function oneQuestion(name: string, type: number, rawClass: number): readonly DnsQuestion[] {
  const key = (type << 16) | rawClass;
  const slot = (nameHash ^ Math.imul(key, 0x9e3779b1)) >>> 0 & (QUESTION_SLOTS - 1);
  const had = questionLists[slot];
  if (had !== undefined && questionKeys[slot] === key && had[0]!.name === name) return had;
  const question: DnsQuestion = { name, type, class: rawClass & ~CLASS_TOP_BIT };
  if (rawClass & CLASS_TOP_BIT) question.unicastResponse = true;
  const list: readonly DnsQuestion[] = [Object.freeze(question)];
  questionLists[slot] = list;
  questionKeys[slot] = key;
  return list;
}

/** The list of every section the header counts as empty (frozen: a consumer cannot fill it for the next message). */
const NONE = Object.freeze([]) as unknown as never[];

/** Decodes the length-prefixed messages of a DNS-over-TCP payload; a cut last message is kept partial. */
export function decodeDnsTcp(bytes: Uint8Array, offset: number, length: number): DnsMessage[] {
  const end = Math.min(offset + length, bytes.length);
  const out: DnsMessage[] = [];
  let pos = offset;
  for (let n = 0; n < MAX_TCP_MESSAGES; n++) {
    const len = u16(bytes, pos, end);
    if (len === undefined) break;
    const msg = decodeDns(bytes, pos + 2, Math.min(len, end - pos - 2));
    if (!msg) break;
    out.push(msg);
    pos += 2 + len;
  }
  return out;
}

/**
 * Names remembered by their wire labels: a name is asked, answered and cached many times. A table
 * of NAME_SLOTS slots picked by the labels' hash (a newer name takes the slot over), each keeping
 * the labels' bytes (pointers followed, no root byte) in one fixed buffer: no allocation per lookup.
 */
const NAME_SLOTS = 4096;
const slotHash = new Uint32Array(NAME_SLOTS);
const slotLength = new Uint16Array(NAME_SLOTS); // wire bytes kept; 0: empty slot
const slotName: string[] = new Array<string>(NAME_SLOTS).fill("");
const slotWire = new Uint8Array(NAME_SLOTS * MAX_NAME_LENGTH);
/** The name being made: its labels' bytes joined with dots (no longer than its wire bytes). */
const nameBytes = new Uint8Array(MAX_NAME_LENGTH);
/** Where each label of the name being read starts (a label takes at least 2 of the 255 wire bytes). */
const labelStarts = new Int32Array(MAX_NAME_LENGTH);

/**
 * Reads a possibly compressed name at `pos`; pointers are relative to the message at `start`.
 * The labels are walked and hashed first; the text is made only for a name not seen lately.
 */
export function readName(bytes: Uint8Array, pos: number, start: number, end: number): Name | undefined {
  const name = readNameText(bytes, pos, start, end);
  return name === undefined ? undefined : { name, next: nameNext };
}

/** Offset just past the name readNameText read last (not where pointers led), and the hash of its labels. */
let nameNext = 0;
let nameHash = 0;

/** `readName`'s text alone, its end left in nameNext: no object made per name (a DNS message has several). */
function readNameText(bytes: Uint8Array, pos: number, start: number, end: number): string | undefined {
  let wireLength = 0;
  let next = -1;
  let jumps = 0;
  let labels = 0;
  let h = 0x811c9dc5;
  // Ends within MAX_NAME_LENGTH bytes of labels and MAX_NAME_JUMPS pointers.
  for (;;) {
    if (pos >= end) return undefined;
    const len = bytes[pos];
    if (len === 0) break;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 2 > end || ++jumps > MAX_NAME_JUMPS) return undefined;
      if (next < 0) next = pos + 2;
      pos = start + (((len & 0x3f) << 8) | bytes[pos + 1]);
      continue;
    }
    if (len & 0xc0) return undefined; // 0x40 / 0x80 label types are obsolete or unassigned
    wireLength += len + 1;
    if (wireLength > MAX_NAME_LENGTH || pos + 1 + len > end) return undefined;
    labelStarts[labels++] = pos;
    for (let i = pos; i <= pos + len; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    pos += 1 + len;
  }
  nameNext = next < 0 ? pos + 1 : next;
  nameHash = h >>> 0;
  return nameText(bytes, labels, wireLength, nameHash);
}

/** The text of the `labels` labels at labelStarts, from the name table when their bytes match. */
function nameText(bytes: Uint8Array, labels: number, wireLength: number, hash: number): string {
  if (labels === 0) return "";
  const slot = hash & (NAME_SLOTS - 1);
  if (slotHash[slot] === hash && slotLength[slot] === wireLength && sameLabels(slot * MAX_NAME_LENGTH, bytes, labels)) return slotName[slot];
  // The labels are kept, and joined with dots into nameBytes; a plain ASCII name (no byte above
  // 0x7f, no label ending in a NUL, which utf8() drops) becomes text in one go from there, any
  // other label by label as before.
  let name = "";
  let w = slot * MAX_NAME_LENGTH;
  let n = 0;
  let plain = true;
  for (let k = 0; k < labels; k++) {
    const at = labelStarts[k];
    const stop = at + 1 + bytes[at];
    if (k > 0) nameBytes[n++] = 0x2e;
    slotWire[w++] = bytes[at];
    for (let i = at + 1; i < stop; i++) {
      const b = bytes[i];
      if (b >= 0x80) plain = false;
      slotWire[w++] = nameBytes[n++] = b;
    }
    if (bytes[stop - 1] === 0) plain = false;
  }
  if (plain) name = asciiText(nameBytes, 0, n);
  else {
    for (let k = 0; k < labels; k++) {
      const at = labelStarts[k];
      const label = utf8(bytes, at + 1, bytes[at]);
      name = name ? name + "." + label : label;
    }
  }
  slotHash[slot] = hash;
  slotLength[slot] = wireLength;
  slotName[slot] = name = flatString(name);
  return name;
}

/** Whether the labels at labelStarts are the bytes kept at `w` (the lengths were compared). */
function sameLabels(w: number, bytes: Uint8Array, labels: number): boolean {
  for (let k = 0; k < labels; k++) {
    const at = labelStarts[k];
    const stop = at + 1 + bytes[at];
    for (let i = at; i < stop; i++, w++) if (bytes[i] !== slotWire[w]) return false;
  }
  return true;
}

/** Offset just past the record readRecord read last. */
let recordNext = 0;

/** One resource record at `pos`, its end left in recordNext. */
function readRecord(bytes: Uint8Array, pos: number, start: number, end: number): DnsRecord | undefined {
  const owner = readNameText(bytes, pos, start, end);
  if (owner === undefined) return undefined;
  const p = nameNext;
  const rdLength = u16(bytes, p + 8, end);
  if (rdLength === undefined || p + 10 + rdLength > end) return undefined;
  const type = (bytes[p] << 8) | bytes[p + 1];
  const rawClass = (bytes[p + 2] << 8) | bytes[p + 3];
  const record: DnsRecord = {
    name: owner,
    type,
    // OPT's class is the UDP payload size, not a class with a cache-flush bit.
    class: type === TYPE_OPT ? rawClass : rawClass & ~CLASS_TOP_BIT,
    ttl: u32(bytes, p + 4, end) ?? 0,
    data: "",
    rdLength,
  };
  readRdata(bytes, p + 10, rdLength, start, record);
  recordNext = p + 10 + rdLength;
  return record;
}

function readRdata(bytes: Uint8Array, data: number, len: number, start: number, rr: DnsRecord): void {
  const end = data + len;
  switch (rr.type) {
    case 1: // A
      if (len === 4) rr.data = ipv4Name(word(bytes, data)); // cached: answers repeat
      break;
    case 28: // AAAA
      if (len === 16) rr.data = ipv6Name(word(bytes, data), word(bytes, data + 4), word(bytes, data + 8), word(bytes, data + 12));
      break;
    case 2: // NS
    case 5: // CNAME
    case 12: // PTR
    case 39: // DNAME
    case 47: // NSEC: next domain name first
    case 6: // SOA: primary name server first
      rr.data = readNameText(bytes, data, start, end) ?? "";
      break;
    case 15: // MX: preference, exchange
      rr.data = readNameText(bytes, data + 2, start, end) ?? "";
      break;
    case 33: { // SRV: priority, weight, port, target
      const target = readNameText(bytes, data + 6, start, end);
      if (len >= 7 && target !== undefined) {
        const port = (bytes[data + 4] << 8) | bytes[data + 5];
        rr.srv = { priority: (bytes[data] << 8) | bytes[data + 1], weight: (bytes[data + 2] << 8) | bytes[data + 3], port, target };
        rr.data = target;
      }
      break;
    }
    case 16: // TXT
      rr.txt = characterStrings(bytes, data, end);
      break;
    case 13: // HINFO: cpu, os (mDNS hosts announce it)
      rr.txt = characterStrings(bytes, data, end);
      rr.data = rr.txt.join(" ");
      break;
    case TYPE_OPT:
      break;
    default:
      rr.data = hex(bytes, data, Math.min(len, MAX_RDATA_HEX));
  }
}

/** 32 bits at `off` (the caller checked the bounds). */
function word(bytes: Uint8Array, off: number): number {
  return ((bytes[off] << 24) | (bytes[off + 1] << 16) | (bytes[off + 2] << 8) | bytes[off + 3]) >>> 0;
}

function characterStrings(bytes: Uint8Array, pos: number, end: number): string[] {
  const out: string[] = [];
  for (let n = 0; n < MAX_TXT_STRINGS && pos < end; n++) {
    const len = bytes[pos];
    if (pos + 1 + len > end) break;
    if (len > 0) out.push(utf8(bytes, pos + 1, len));
    pos += 1 + len;
  }
  return out;
}
