/**
 * Reads ndpiReader's per-flow lines (`.ndpi.out`) so NetInsight's labels can be checked against
 * nDPI's: `1 TCP 10.0.0.1:1234 <-> 1.2.3.4:443 [proto: 91.126/TLS.Google][...][Hostname/SNI: x]`.
 */
import { ipv6Hex } from "./address-applications.ts";

export interface NdpiFlow {
  index: number;
  /** "TCP", "UDP", "ICMP", "ICMPV6", "IGMP", or an IP protocol number as text. */
  protocol: string;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** The protocol name as nDPI wrote it: "TLS.Google", "DNS", "Unknown". */
  proto: string;
  /** nDPI protocol ids, "91.126". */
  protoIds: string;
  /** "DPI", "Match by port", "DPI (partial)", ... */
  confidence: string | null;
  hostname: string | null;
  category: string | null;
}

const FLOW_LINE = /^\s*(\d+)\s+(\S+)\s+(\S+)\s+(<->|->)\s+(\S+)\s+(\[.*)$/;

/** "1.2.3.4:80", "[2001:db8::1]:443", "10.0.0.1" (no port for ICMP). */
export function parseEndpoint(text: string): { ip: string; port: number } | undefined {
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return undefined;
    const ip = text.slice(1, close);
    const port = text[close + 1] === ":" ? Number(text.slice(close + 2)) : 0;
    return Number.isInteger(port) ? { ip, port } : undefined;
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0 || text.indexOf(":") !== colon) return { ip: text, port: 0 };
  const port = Number(text.slice(colon + 1));
  return Number.isInteger(port) ? { ip: text.slice(0, colon), port } : undefined;
}

/** The bracketed "[name: value]" fields of a flow line, first occurrence of each name. */
function fields(rest: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\[([^\]:]+):\s*([^\]]*)\]/g;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    if (!out.has(m[1])) out.set(m[1], m[2]);
  }
  return out;
}

export function parseNdpiFlowLine(line: string): NdpiFlow | undefined {
  const m = FLOW_LINE.exec(line);
  if (!m) return undefined;
  const src = parseEndpoint(m[3]);
  const dst = parseEndpoint(m[5]);
  const f = fields(m[6]);
  const proto = f.get("proto");
  if (!src || !dst || proto === undefined) return undefined;
  const slash = proto.indexOf("/");
  return {
    index: Number(m[1]),
    protocol: m[2],
    srcIp: src.ip, srcPort: src.port, dstIp: dst.ip, dstPort: dst.port,
    proto: slash < 0 ? proto : proto.slice(slash + 1),
    protoIds: slash < 0 ? "" : proto.slice(0, slash),
    confidence: f.get("Confidence") ?? null,
    hostname: f.get("Hostname/SNI") ?? null,
    category: f.get("cat") ?? null,
  };
}

/** Every flow line of an ndpiReader output. */
export function parseNdpiOutput(text: string): NdpiFlow[] {
  const flows: NdpiFlow[] = [];
  for (const line of text.split("\n")) {
    const f = parseNdpiFlowLine(line);
    if (f) flows.push(f);
  }
  return flows;
}

/** Direction-free key of a flow: protocol plus both endpoints in sorted order. */
export function biflowKey(protocol: string, aIp: string, aPort: number, bIp: string, bPort: number): string {
  const a = `${canonicalIp(aIp)}|${aPort}`;
  const b = `${canonicalIp(bIp)}|${bPort}`;
  const p = protocol.toUpperCase() === "ICMPV6" ? "ICMPV6" : protocol.toUpperCase();
  return a < b ? `${p} ${a} ${b}` : `${p} ${b} ${a}`;
}

/** IPv6 text has several spellings ("b00c:0:25de" / "b00c::25de"); compare the digits. */
function canonicalIp(ip: string): string {
  return ip.includes(":") ? (ipv6Hex(ip) ?? ip.toLowerCase()) : ip;
}
