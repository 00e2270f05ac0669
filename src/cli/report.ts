/** The `analyze` report: JSON for machines, a short table for people. */
import type { AnalyzeResult } from "../engine/analyze.ts";
import type { FlowRecord } from "../flows/record.ts";
import { linkTypeName } from "../decode/linktype.ts";

const iso = (t: number | null) => (t === null ? null : new Date(t * 1000).toISOString());

/** A flow in the API's JSON shape: ISO-8601 times and a duration. */
export function flowJson(f: FlowRecord) {
  return { ...f, startTime: iso(f.startTime), lastSeen: iso(f.lastSeen), duration: Math.max(0, f.lastSeen - f.startTime) };
}

export function buildReport(r: AnalyzeResult) {
  const s = r.summary;
  return {
    summary: {
      file: s.file,
      packets: s.packets,
      bytes: s.bytes,
      firstSeen: iso(s.firstSeen),
      lastSeen: iso(s.lastSeen),
      durationSeconds: s.firstSeen === null || s.lastSeen === null ? 0 : s.lastSeen - s.firstSeen,
      linkType: s.linkType,
      linkTypeName: s.linkType === null ? null : linkTypeName(s.linkType),
      decodeErrors: s.decodeErrors,
      nonIpPackets: s.nonIp,
      flows: s.flows,
      flowsEvicted: s.flowsEvicted,
      readError: s.readError,
    },
    flows: r.flows.map(flowJson),
  };
}

function human(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function printHuman(report: ReturnType<typeof buildReport>, top: number): void {
  const s = report.summary;
  const lines = [
    `${s.file}: ${s.packets.toLocaleString("en")} packets, ${human(s.bytes)}, ${s.durationSeconds.toFixed(1)} s, link type ${s.linkTypeName}`,
    `${s.flows.toLocaleString("en")} flows` + (s.flowsEvicted ? ` (${s.flowsEvicted} evicted)` : "") +
      `, ${s.decodeErrors} decode errors, ${s.nonIpPackets} non-IP packets`,
  ];
  const flows = [...report.flows].sort((a, b) => b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived)).slice(0, top);
  if (flows.length > 0) {
    lines.push("", `Top ${flows.length} flows by bytes:`);
    for (const f of flows) {
      const src = f.srcPort ? `${f.srcIp}:${f.srcPort}` : f.srcIp;
      const dst = f.dstPort ? `${f.dstIp}:${f.dstPort}` : f.dstIp;
      const label = f.application ?? f.service ?? "";
      lines.push(`  ${f.protocol.padEnd(6)} ${src.padEnd(40)} -> ${dst.padEnd(40)} ${String(f.packetsSent + f.packetsReceived).padStart(7)} pkts ${human(f.bytesSent + f.bytesReceived).padStart(9)}  ${f.tcpState ?? ""} ${label}`.trimEnd());
    }
  }
  console.log(lines.join("\n"));
}
