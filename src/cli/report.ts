/** The `analyze` report: JSON for machines, a short table for people. */
import type { AnalyzeResult } from "../engine/analyze.ts";
import { linkTypeName } from "../decode/linktype.ts";
import { isoOrNull as iso, toApiDevice, toApiFlow, toApiThreat } from "../api/convert.ts";
import { summarizeProtocols } from "../analytics/summary.ts";
import type { Pipeline } from "../engine/pipeline.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { JsonFlows } from "./flow-spool.ts";

/** The report: the same JSON shapes as the REST API's flows, devices, threats and protocols. */
export function buildReport(r: AnalyzeResult, analysis?: Pick<Pipeline, "devices" | "threats">) {
  const { flows: _, ...rest } = reportWithoutFlows(r, summarizeProtocols(r.flows), analysis);
  return { summary: rest.summary, flows: r.flows.map(toApiFlow), devices: rest.devices, threats: rest.threats, protocols: rest.protocols };
}

/** Flows converted and serialised per chunk, so the whole report never exists twice in memory. */
const FLOWS_PER_CHUNK = 2000;

/** The flows of an AnalyzeResult that kept them, for writeJsonReport. */
export function keptFlows(flows: readonly FlowRecord[]): JsonFlows {
  return {
    protocols: () => summarizeProtocols(flows),
    async writeJson(write) {
      for (let i = 0; i < flows.length; i += FLOWS_PER_CHUNK) {
        const chunk = flows.slice(i, i + FLOWS_PER_CHUNK).map((f) => JSON.stringify(toApiFlow(f))).join(",");
        await write(i === 0 ? chunk : "," + chunk);
      }
    },
  };
}

/**
 * Writes `JSON.stringify(buildReport(r, analysis)) + "\n"` in pieces (the same bytes): a capture
 * with a hundred thousand flows would otherwise hold every flow as a record, as an API object and
 * as one giant string at once. `flows`: keptFlows(r.flows), or a SpooledFlows that kept none.
 */
export async function writeJsonReport(r: Pick<AnalyzeResult, "summary">, flows: JsonFlows,
  analysis: Pick<Pipeline, "devices" | "threats"> | undefined,
  write: (chunk: string | Uint8Array) => void | Promise<void>): Promise<void> {
  const report = reportWithoutFlows(r, flows.protocols(), analysis);
  await write(`{"summary":${JSON.stringify(report.summary)},"flows":[`);
  await flows.writeJson(write);
  await write(`],"devices":${JSON.stringify(report.devices)},"threats":${JSON.stringify(report.threats)},` +
    `"protocols":${JSON.stringify(report.protocols)}}\n`);
}

function reportWithoutFlows(r: Pick<AnalyzeResult, "summary">, protocols: ReturnType<typeof summarizeProtocols>,
  analysis?: Pick<Pipeline, "devices" | "threats">) {
  const s = r.summary;
  analysis?.devices.flush();
  analysis?.threats.flush();
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
    flows: null,
    devices: analysis ? analysis.devices.list().map(toApiDevice) : [],
    threats: analysis ? analysis.threats.list({}).map(toApiThreat) : [],
    protocols,
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
  if (report.devices.length > 0) {
    lines.push("", `${report.devices.length} devices:`);
    for (const d of report.devices.slice(0, top)) {
      const what = [d.vendor.value, d.type.value !== "unknown" ? d.type.value : null, d.os.value].filter(Boolean).join(", ");
      lines.push(`  ${d.mac}  ${(d.name.value ?? d.hostname ?? "").padEnd(24)} ${d.ips.slice(0, 2).join(" ").padEnd(32)} ${what}`.trimEnd());
    }
  }
  if (report.threats.length > 0) {
    lines.push("", `${report.threats.length} threats:`);
    for (const t of report.threats.slice(0, top)) lines.push(`  [${t.severity}] ${t.title} (x${t.count})`);
  }
  console.log(lines.join("\n"));
}
