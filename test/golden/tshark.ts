/**
 * Reads tshark's conversation tables (`tshark -q -z conv,tcp -z conv,udp`) and compares them
 * with NetInsight's flows per endpoint pair: frames and bytes each way.
 */
import type { FlowRecord } from "../../src/flows/record.ts";

export interface Conversation { proto: "TCP" | "UDP"; a: string; b: string; framesAB: number; bytesAB: Bytes; framesBA: number; bytesBA: Bytes }
/** tshark prints small byte counts exactly and larger ones rounded down to kB/MB/GB. */
export interface Bytes { value: number; unit: number }

const UNITS: Record<string, number> = { bytes: 1, kB: 1e3, MB: 1e6, GB: 1e9 };

export function parseConversations(text: string): Conversation[] {
  const out: Conversation[] = [];
  let proto: "TCP" | "UDP" | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("TCP Conversations")) proto = "TCP";
    else if (line.startsWith("UDP Conversations")) proto = "UDP";
    if (!proto || !line.includes("<->")) continue;
    const m = line.match(/^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)/);
    if (!m) continue;
    // Columns: "<-" is B -> A, "->" is A -> B.
    out.push({
      proto, a: m[1], b: m[2],
      framesBA: Number(m[3]), bytesBA: { value: Number(m[4]), unit: UNITS[m[5]] },
      framesAB: Number(m[6]), bytesAB: { value: Number(m[7]), unit: UNITS[m[8]] },
    });
  }
  return out;
}

function endpoint(ip: string, port: number): string {
  return `${ip}:${port}`;
}

interface Totals { frames: number; bytes: number; approx: number }
type PairTotals = Map<string, Map<string, Totals>>;

function add(m: PairTotals, from: string, to: string, frames: number, bytes: number, unit = 1) {
  let inner = m.get(from);
  if (!inner) m.set(from, (inner = new Map()));
  const t = inner.get(to) ?? { frames: 0, bytes: 0, approx: 0 };
  t.frames += frames;
  t.bytes += bytes * unit;
  // A value printed in kB stands for anything up to one unit more.
  if (unit > 1) t.approx += unit;
  inner.set(to, t);
}

export interface Mismatch { proto: string; from: string; to: string; expected: Totals | null; actual: Totals | null }

/** Compares per direction between endpoint pairs; returns what differs. */
export function compareWithTshark(convs: Conversation[], flows: FlowRecord[]): { compared: number; mismatches: Mismatch[] } {
  const mismatches: Mismatch[] = [];
  let compared = 0;
  for (const proto of ["TCP", "UDP"] as const) {
    const expected: PairTotals = new Map();
    for (const c of convs) {
      if (c.proto !== proto) continue;
      add(expected, c.a, c.b, c.framesAB, c.bytesAB.value, c.bytesAB.unit);
      add(expected, c.b, c.a, c.framesBA, c.bytesBA.value, c.bytesBA.unit);
    }
    const actual: PairTotals = new Map();
    for (const f of flows) {
      if (f.protocol !== proto) continue;
      const s = endpoint(f.srcIp, f.srcPort), d = endpoint(f.dstIp, f.dstPort);
      add(actual, s, d, f.packetsSent, f.bytesSent);
      add(actual, d, s, f.packetsReceived, f.bytesReceived);
    }
    const keys = new Set<string>();
    for (const m of [expected, actual]) for (const [from, inner] of m) for (const to of inner.keys()) keys.add(`${from} ${to}`);
    for (const k of keys) {
      const [from, to] = k.split(" ");
      const e = expected.get(from)?.get(to) ?? null;
      const a = actual.get(from)?.get(to) ?? null;
      const ef = e?.frames ?? 0, af = a?.frames ?? 0;
      if (ef === 0 && af === 0) continue;
      compared++;
      const eb = e?.bytes ?? 0, ab = a?.bytes ?? 0;
      const bytesOk = e && e.approx > 0 ? ab >= eb - e.approx && ab <= eb + e.approx : ab === eb;
      if (ef !== af || !bytesOk) mismatches.push({ proto, from, to, expected: e, actual: a });
    }
  }
  return { compared, mismatches };
}
