/**
 * A small ad-hoc L2-L4 walker for the app-decoder corpus tests (test/corpus-decoders-b.test.ts):
 * Ethernet/VLAN, Linux SLL/SLL2, NFLOG, PPP, raw IP; IPv4/IPv6 to TCP/UDP payloads. Not product code.
 */
import { openOffline } from "../src/capture/offline.ts";
import { RECORD_HEADER, nextRecord } from "../src/capture/batch.ts";
import { ipv4String, ipv6String } from "../src/decode/read.ts";

export interface Segment {
  index: number;
  proto: "TCP" | "UDP";
  src: string; // "ip:port" ([v6]:port for IPv6), as nDPI prints it
  dst: string;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  bytes: Uint8Array; // the whole frame; payload at offset/length
  offset: number;
  length: number;
}

const MAX_VLAN_TAGS = 4;
const MAX_V6_EXT = 8;

function ipOffset(b: Uint8Array, linkType: number, caplen: number): number {
  if (linkType === 1) {
    let p = 12;
    for (let i = 0; i < MAX_VLAN_TAGS; i++) {
      const et = (b[p] << 8) | b[p + 1];
      if (et === 0x8100 || et === 0x88a8) p += 4;
      else return et === 0x0800 || et === 0x86dd ? p + 2 : -1;
    }
    return -1;
  }
  if (linkType === 113) return 16; // SLL
  if (linkType === 276) return 20; // SLL2
  if (linkType === 101 || linkType === 12 || linkType === 228 || linkType === 229) return 0;
  if (linkType === 0) return 4; // NULL/loopback
  if (linkType === 9) return b[0] === 0xff && b[1] === 0x03 ? 4 : 2; // PPP: [address, control,] protocol
  if (linkType === 239) {
    // NFLOG: 4-byte header then TLVs (little-endian length, type); type 9 is the packet.
    let p = 4;
    for (let i = 0; i < 32 && p + 4 <= caplen; i++) {
      const len = b[p] | (b[p + 1] << 8);
      const type = b[p + 2] | (b[p + 3] << 8);
      if (len < 4) return -1;
      if (type === 9) return p + 4;
      p += (len + 3) & ~3;
    }
  }
  return -1;
}

function walkPacket(b: Uint8Array, linkType: number, index: number): Segment | undefined {
  return walkIp(b, ipOffset(b, linkType, b.length), index, 0);
}

const MAX_TUNNEL_DEPTH = 2;

function walkIp(b: Uint8Array, start: number, index: number, depth: number): Segment | undefined {
  const caplen = b.length;
  let p = start;
  if (p < 0 || p >= caplen) return undefined;
  let proto: number;
  let src: string;
  let dst: string;
  let ipEnd: number;
  const ver = b[p] >> 4;
  if (ver === 4) {
    const ihl = (b[p] & 15) * 4;
    const total = (b[p + 2] << 8) | b[p + 3];
    if ((((b[p + 6] << 8) | b[p + 7]) & 0x1fff) !== 0) return undefined; // later fragment
    proto = b[p + 9];
    src = ipv4String(b, p + 12);
    dst = ipv4String(b, p + 16);
    ipEnd = Math.min(caplen, p + total);
    p += ihl;
  } else if (ver === 6) {
    proto = b[p + 6];
    src = "[" + ipv6String(b, p + 8) + "]";
    dst = "[" + ipv6String(b, p + 24) + "]";
    ipEnd = Math.min(caplen, p + 40 + ((b[p + 4] << 8) | b[p + 5]));
    p += 40;
    for (let i = 0; i < MAX_V6_EXT && (proto === 0 || proto === 43 || proto === 60 || proto === 44); i++) {
      if (proto === 44 && (((b[p + 2] << 8) | b[p + 3]) & 0xfff8) !== 0) return undefined;
      const next = b[p];
      p += proto === 44 ? 8 : (b[p + 1] + 1) * 8;
      proto = next;
    }
  } else return undefined;
  if ((proto === 41 || proto === 4) && depth < MAX_TUNNEL_DEPTH) return walkIp(b, p, index, depth + 1); // 6in4 / IP-in-IP
  if (p + 8 > ipEnd) return undefined;
  const sp = (b[p] << 8) | b[p + 1];
  const dp = (b[p + 2] << 8) | b[p + 3];
  if (proto === 6) {
    const off = p + (b[p + 12] >> 4) * 4;
    return { index, proto: "TCP", src: `${src}:${sp}`, dst: `${dst}:${dp}`, srcPort: sp, dstPort: dp, tcpFlags: b[p + 13], bytes: b, offset: off, length: Math.max(0, ipEnd - off) };
  }
  if (proto === 17) {
    return { index, proto: "UDP", src: `${src}:${sp}`, dst: `${dst}:${dp}`, srcPort: sp, dstPort: dp, tcpFlags: 0, bytes: b, offset: p + 8, length: Math.max(0, ipEnd - p - 8) };
  }
  return undefined;
}

/** Every TCP/UDP segment of a capture (frames copied out of the batch, so they can be kept). */
export async function readSegments(path: string): Promise<Segment[]> {
  const src = await openOffline(path);
  const out: Segment[] = [];
  let index = 0;
  try {
    for (let batch = src.next(); batch; batch = src.next()) {
      let off = 0;
      for (let i = 0; i < batch.count; i++) {
        const caplen = batch.view.getUint32(off + 8, true);
        const frame = batch.bytes.slice(off + RECORD_HEADER, off + RECORD_HEADER + caplen);
        const seg = walkPacket(frame, src.linkType, ++index);
        if (seg) out.push(seg);
        off = nextRecord(off, caplen);
      }
    }
  } finally {
    src.close();
  }
  return out;
}

/** "[v6]:port" with the address spelled out in full: nDPI shortens a single zero group, RFC 5952 does not. */
function canonicalEndpoint(ep: string): string {
  const m = /^\[([0-9a-f:.]+)\]:(\d+)$/i.exec(ep);
  if (!m || m[1].includes(".")) return ep;
  const [head, tail] = m[1].split("::");
  const h = head ? head.split(":") : [];
  const t = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  return `[${groups.map((g) => parseInt(g, 16).toString(16)).join(":")}]:${m[2]}`;
}

/** "TCP a <-> b" with the endpoints sorted, to match a flow in either direction. */
export function flowKey(proto: string, a: string, b: string): string {
  a = canonicalEndpoint(a);
  b = canonicalEndpoint(b);
  return a < b ? `${proto} ${a} ${b}` : `${proto} ${b} ${a}`;
}

/** nDPI flow lines of a `.ndpi.out`: key -> the bracketed fields ("JA4" -> value, ...). */
export function ndpiFlows(text: string): Map<string, Map<string, string>> {
  const flows = new Map<string, Map<string, string>>();
  for (const line of text.split("\n")) {
    const m = /^\s*\d+\s+(TCP|UDP)\s+(\S+)\s+<?->\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const fields = new Map<string, string>();
    for (const f of m[4].matchAll(/\[([^:\]]+): ([^\]]*)\]/g)) if (!fields.has(f[1])) fields.set(f[1], f[2]);
    flows.set(flowKey(m[1], m[2], m[3]), fields);
  }
  return flows;
}
