/**
 * The templates NetInsight exports (one per address family, uniflow or RFC 5103 biflow), the
 * record they describe, and how a record is written field by field into a message buffer.
 */
import { END_REASON, IE, iana, NI, ours, reverse, VARIABLE, type FieldSpec } from "./elements.ts";

/** One exported flow record. Uniflow: one direction of a flow; biflow: both, with reverse counters. */
export interface ExportRecord {
  flowId: number;
  ipVersion: 4 | 6;
  /** 4 or 16 bytes. */
  srcAddr: Uint8Array;
  dstAddr: Uint8Array;
  srcPort: number;
  dstPort: number;
  protocol: number;
  vlan: number;
  packets: number;
  octets: number;
  tcpFlags: number;
  reversePackets: number;
  reverseOctets: number;
  reverseTcpFlags: number;
  /** Epoch milliseconds. */
  startMs: number;
  endMs: number;
  endReason: (typeof END_REASON)[keyof typeof END_REASON];
  /** UTF-8 labels, null when unknown (sent as empty strings). */
  application: Uint8Array | null;
  service: Uint8Array | null;
  hostname: Uint8Array | null;
  category: Uint8Array | null;
  srcDeviceId: Uint8Array | null;
  dstDeviceId: Uint8Array | null;
}

/** A field of a template and how its value is written. */
interface Field {
  spec: FieldSpec;
  put(w: RecordWriter, r: ExportRecord): void;
  /** Bytes the value takes for this record. */
  size(r: ExportRecord): number;
}

export interface Template {
  id: number;
  ipVersion: 4 | 6;
  biflow: boolean;
  fields: readonly Field[];
}

/** Writes big-endian values into a message buffer; the caller has checked the room. */
export class RecordWriter {
  readonly view: DataView;
  off = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(v: number): void {
    this.view.setUint8(this.off++, v);
  }
  u16(v: number): void {
    this.view.setUint16(this.off, v);
    this.off += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.off, v >>> 0);
    this.off += 4;
  }
  /** Counters and millisecond times stay below 2^53: written as two words, no BigInt. */
  u64(v: number): void {
    this.u32(Math.floor(v / 0x1_0000_0000));
    this.u32(v % 0x1_0000_0000);
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.off);
    this.off += b.length;
  }
  /** RFC 7011 section 7: a one-byte length below 255, else 255 and a two-byte length. */
  varBytes(b: Uint8Array | null): void {
    const n = b?.length ?? 0;
    if (n < 255) this.u8(n);
    else {
      this.u8(255);
      this.u16(n);
    }
    if (b) this.raw(b);
  }
}

const varSize = (b: Uint8Array | null) => (b?.length ?? 0) + ((b?.length ?? 0) < 255 ? 1 : 3);
const fixed = (spec: FieldSpec, put: Field["put"]): Field => ({ spec, put, size: () => spec.length });
const text = (id: number, get: (r: ExportRecord) => Uint8Array | null): Field => ({
  spec: ours(id, VARIABLE),
  put: (w, r) => w.varBytes(get(r)),
  size: (r) => varSize(get(r)),
});

function addressFields(v: 4 | 6): Field[] {
  const len = v === 4 ? 4 : 16;
  return [
    fixed(iana(v === 4 ? IE.sourceIPv4Address : IE.sourceIPv6Address, len), (w, r) => w.raw(r.srcAddr)),
    fixed(iana(v === 4 ? IE.destinationIPv4Address : IE.destinationIPv6Address, len), (w, r) => w.raw(r.dstAddr)),
  ];
}

/** The standard part: what every collector (nfcapd, nfacctd, GoFlow2, ElastiFlow) decodes. */
function standardFields(v: 4 | 6): Field[] {
  return [
    ...addressFields(v),
    fixed(iana(IE.sourceTransportPort, 2), (w, r) => w.u16(r.srcPort)),
    fixed(iana(IE.destinationTransportPort, 2), (w, r) => w.u16(r.dstPort)),
    fixed(iana(IE.protocolIdentifier, 1), (w, r) => w.u8(r.protocol)),
    fixed(iana(IE.vlanId, 2), (w, r) => w.u16(r.vlan)),
    fixed(iana(IE.tcpControlBits, 1), (w, r) => w.u8(r.tcpFlags)),
    fixed(iana(IE.octetDeltaCount, 8), (w, r) => w.u64(r.octets)),
    fixed(iana(IE.packetDeltaCount, 8), (w, r) => w.u64(r.packets)),
    fixed(iana(IE.flowStartMilliseconds, 8), (w, r) => w.u64(r.startMs)),
    fixed(iana(IE.flowEndMilliseconds, 8), (w, r) => w.u64(r.endMs)),
    fixed(iana(IE.flowEndReason, 1), (w, r) => w.u8(r.endReason)),
  ];
}

const reverseFields: Field[] = [
  fixed(reverse(IE.octetDeltaCount, 8), (w, r) => w.u64(r.reverseOctets)),
  fixed(reverse(IE.packetDeltaCount, 8), (w, r) => w.u64(r.reversePackets)),
  fixed(reverse(IE.tcpControlBits, 1), (w, r) => w.u8(r.reverseTcpFlags)),
];

const netinsightFields: Field[] = [
  fixed(ours(NI.flowId, 8), (w, r) => w.u64(r.flowId)),
  text(NI.application, (r) => r.application),
  text(NI.service, (r) => r.service),
  text(NI.hostname, (r) => r.hostname),
  text(NI.category, (r) => r.category),
  text(NI.srcDeviceId, (r) => r.srcDeviceId),
  text(NI.dstDeviceId, (r) => r.dstDeviceId),
];

/** IPFIX templates: standard fields, then reverse counters (biflow), then NetInsight's own. */
export const IPFIX_TEMPLATES = {
  uniflow4: { id: 256, ipVersion: 4, biflow: false, fields: [...standardFields(4), ...netinsightFields] },
  uniflow6: { id: 257, ipVersion: 6, biflow: false, fields: [...standardFields(6), ...netinsightFields] },
  biflow4: { id: 258, ipVersion: 4, biflow: true, fields: [...standardFields(4), ...reverseFields, ...netinsightFields] },
  biflow6: { id: 259, ipVersion: 6, biflow: true, fields: [...standardFields(6), ...reverseFields, ...netinsightFields] },
} as const satisfies Record<string, Template>;

/** NetFlow v9 (RFC 3954) has neither enterprise elements nor variable lengths: the standard part only. */
export const NETFLOW9_TEMPLATES = {
  uniflow4: { id: 256, ipVersion: 4, biflow: false, fields: standardFields(4) },
  uniflow6: { id: 257, ipVersion: 6, biflow: false, fields: standardFields(6) },
} as const satisfies Record<string, Template>;

export function recordSize(t: Template, r: ExportRecord): number {
  let n = 0;
  for (const f of t.fields) n += f.size(r);
  return n;
}

export function writeRecord(w: RecordWriter, t: Template, r: ExportRecord): void {
  for (const f of t.fields) f.put(w, r);
}

/** Bytes of a template record: id, field count, then id/length (+ enterprise) per field. */
export function templateSize(t: Template): number {
  let n = 4;
  for (const f of t.fields) n += f.spec.enterprise ? 8 : 4;
  return n;
}

export function writeTemplate(w: RecordWriter, t: Template): void {
  w.u16(t.id);
  w.u16(t.fields.length);
  for (const { spec } of t.fields) {
    w.u16(spec.enterprise ? spec.id | 0x8000 : spec.id);
    w.u16(spec.length);
    if (spec.enterprise) w.u32(spec.enterprise);
  }
}

/** An IPv4 or IPv6 address in text form as bytes (flows end rarely next to packets: text is fine here). */
export function addressBytes(ip: string): Uint8Array {
  if (!ip.includes(":")) {
    const out = new Uint8Array(4);
    const parts = ip.split(".");
    for (let i = 0; i < 4; i++) out[i] = Number(parts[i]) & 0xff;
    return out;
  }
  const out = new Uint8Array(16);
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, null];
  const front = head ? head.split(":") : [];
  const back = tail ? tail.split(":") : [];
  const groups = tail === null ? front : [...front, ...Array(8 - front.length - back.length).fill("0"), ...back];
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i] ?? "0", 16) || 0;
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  }
  return out;
}
