/**
 * Judging one matrix row: the threats a capture raised against what CASES.tsv expects. Shared by the
 * replay (matrix.test.ts), the live mode and the serve-vs-analyze test.
 */
import { analyzeFile } from "../../src/engine/analyze.ts";
import { buildPipeline } from "../../src/engine/pipeline.ts";
import type { Threat } from "../../src/threats/model.ts";
import { isKnownMiss, isRecorded, knownAlarm, knownReason } from "./cases.ts";
import { HOSTS } from "./lab.ts";
import type { Row } from "./scenarios.ts";

export interface Verdict {
  row: Row;
  /** Attack rows: the threat that matched (type, source, target). */
  hit: Threat | null;
  /** Threats that should not be there: any on a benign row; on a recorded attack row, any naming an innocent host as source. */
  alarms: Threat[];
  /** The one false alarm CASES.tsv lists for the row (known-alarm), when it was raised. */
  tolerated: Threat[];
  threats: Threat[];
  /** "detected" | "MISSED" | "known miss" | "known alarm" | "silent" | "FALSE ALARM" */
  label: string;
  ok: boolean;
}

/** The threats `analyze` reports for a capture (buildPipeline is what `analyze --json` runs); none for a file it refuses. */
export async function analyzeThreats(pcap: string): Promise<Threat[]> {
  const analysis = buildPipeline();
  try {
    await analyzeFile(pcap, { engine: analysis.engine, collectFlows: false });
  } catch (e) {
    if (!/link ?type/i.test((e as Error).message)) throw e;
    return []; // e.g. malformed/tcpdump_unsupported-link-type-160: analyze says it cannot read it
  }
  analysis.threats.flush();
  return analysis.threats.list();
}

/** Findings about a protocol rather than an attack: a benign capture may show them (printed, not alarms). */
export const NOTICE_TYPES = new Set(["cleartext_credentials", "new_device"]);

const ATTACKER = new Set<string>([HOSTS.attacker.ip, HOSTS.attacker.mac]);

const names = (t: Threat, who: string) => who === "*" || t.sourceIp === who || t.sourceMac === who;

function aims(t: Threat, target: string): boolean {
  if (target === "-") return true;
  const m = target.match(/^(.*):(\d+)$/);
  if (m && !m[1].includes(":")) return t.targetIp === m[1] && t.targetPort === Number(m[2]);
  return t.targetIp === target;
}

export function judge(row: Row, threats: Threat[]): Verdict {
  const listed = knownAlarm(row);
  const isListed = (t: Threat) => listed !== null && t.type === listed.type && names(t, listed.source);
  const split = (unwanted: Threat[]) => ({ alarms: unwanted.filter((t) => !isListed(t)), tolerated: unwanted.filter(isListed) });
  if (row.expect === "benign") {
    const { alarms, tolerated } = split(threats.filter((t) => !NOTICE_TYPES.has(t.type)));
    const ok = alarms.length === 0;
    return { row, hit: null, alarms, tolerated, threats, label: !ok ? "FALSE ALARM" : tolerated.length ? "known alarm" : "silent", ok };
  }
  const types = row.expect.split("|");
  const hit = threats.find((t) => (row.expect === "*" || types.includes(t.type)) && names(t, row.source) && aims(t, row.target)) ?? null;
  // In the lab only the attacker attacks: a threat naming another host as its source is a false alarm.
  const { alarms, tolerated } = split(isRecorded(row) ? threats.filter((t) => !ATTACKER.has(t.sourceIp ?? "") && !ATTACKER.has(t.sourceMac ?? "")) : []);
  const known = isKnownMiss(row);
  const label = alarms.length ? "FALSE ALARM" : !hit ? (known ? "known miss" : "MISSED") : tolerated.length ? "known alarm" : "detected";
  return { row, hit, alarms, tolerated, threats, label, ok: alarms.length === 0 && (hit !== null || known) };
}

export const describeThreat = (t: Threat) =>
  `${t.type} ${t.sourceIp ?? t.sourceMac ?? "?"}${t.targetIp ? ` -> ${t.targetIp}${t.targetPort ? `:${t.targetPort}` : ""}` : ""}`;

/** The matrix as a table, per-detector recall, and the false alarms. */
export function formatMatrix(vs: Verdict[]): string {
  const lines: string[] = [];
  const w = Math.max(...vs.map((v) => v.row.id.length), 4);
  lines.push(`${"case".padEnd(w)}  ${"expect".padEnd(26)}  ${"verdict".padEnd(11)}  found`);
  for (const v of vs) {
    const found = v.hit ? describeThreat(v.hit) : v.threats.length ? v.threats.slice(0, 3).map(describeThreat).join("; ") : "-";
    const extra = v.alarms.length ? `  alarms: ${v.alarms.slice(0, 3).map(describeThreat).join("; ")}` : "";
    const tolerated = v.tolerated.length ? `  known alarm: ${v.tolerated.map(describeThreat).join("; ")}` : "";
    const note = knownReason(v.row) && (v.label === "known miss" || v.tolerated.length) ? `  (${knownReason(v.row)})` : "";
    lines.push(`${v.row.id.padEnd(w)}  ${v.row.expect.padEnd(26)}  ${v.label.padEnd(11)}  ${found}${extra}${tolerated}${note}`);
  }
  const attacks = vs.filter((v) => v.row.expect !== "benign");
  const byType = new Map<string, { hit: number; all: number }>();
  for (const v of attacks) {
    const e = byType.get(v.row.expect) ?? { hit: 0, all: 0 };
    e.all++;
    if (v.hit) e.hit++;
    byType.set(v.row.expect, e);
  }
  lines.push("", "recall per detector:");
  for (const [type, e] of [...byType].sort()) lines.push(`  ${type.padEnd(28)} ${e.hit}/${e.all}`);
  const hits = attacks.filter((v) => v.hit).length;
  const benign = vs.filter((v) => v.row.expect === "benign");
  // Listed (known) alarms are still false alarms: counted here, they only do not fail the test.
  const noisy = (v: Verdict) => v.alarms.length + v.tolerated.length > 0;
  const noisyBenign = benign.filter(noisy).length;
  lines.push(`  ${"all attack rows".padEnd(28)} ${hits}/${attacks.length}`,
    `false alarms: ${noisyBenign} of ${benign.length} benign rows, ${vs.filter(noisy).length - noisyBenign} attack rows blaming an innocent host`);
  const known = vs.filter((v) => v.label === "known miss" || v.tolerated.length);
  if (known.length) {
    lines.push(`known misses and alarms (listed in CASES.tsv, ${known.length}):`);
    for (const v of known) lines.push(`  ${v.row.id}: ${v.label === "known miss" ? "missed" : `alarm ${v.tolerated.map(describeThreat).join("; ")}`}: ${knownReason(v.row)}`);
  }
  for (const v of vs.filter((v) => isKnownMiss(v.row) && v.hit)) lines.push(`NOTE ${v.row.id} is marked known-miss but is now detected: mark it ok in CASES.tsv`);
  for (const v of vs.filter((v) => knownAlarm(v.row) && !v.tolerated.length)) lines.push(`NOTE ${v.row.id} no longer raises its known alarm: mark it ok in CASES.tsv`);
  return lines.join("\n");
}
