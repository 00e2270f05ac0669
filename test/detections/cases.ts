/** Reads CASES.tsv: the detection matrix's rows (see the header of that file for the columns). */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Row } from "./scenarios.ts";

export const CASES_FILE = join(import.meta.dir, "CASES.tsv");
export const CAPTURES = join(import.meta.dir, "captures");

export function readCases(file = CASES_FILE): Row[] {
  return readFileSync(file, "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#")).map((l, i) => {
    const f = l.split("\t");
    if (f.length !== 8) throw new Error(`${file}: row ${i + 1} has ${f.length} columns, expected 8: ${l}`);
    const [id, tool, options, expect, source, target, pcap, status] = f;
    if (status !== "ok" && !status.startsWith("known-miss:") && !/^known-alarm: \S+ \S+: ./.test(status)) {
      throw new Error(`${file}: ${id}: status must be "ok", "known-miss: why" or "known-alarm: TYPE SOURCE: why"`);
    }
    return { id, tool, options, expect, source, target, pcap, status };
  });
}

export const isRecorded = (r: Row) => r.pcap.startsWith("captures/");
export const isKnownMiss = (r: Row) => r.status.startsWith("known-miss");
/** A false alarm listed in CASES.tsv ("known-alarm: TYPE SOURCE: why"): that one is tolerated, any other fails. */
export function knownAlarm(r: Row): { type: string; source: string; why: string } | null {
  const m = r.status.match(/^known-alarm: (\S+) (\S+): (.+)$/);
  return m ? { type: m[1], source: m[2], why: m[3] } : null;
}
/** Why a row is allowed to fall short, or null. */
export const knownReason = (r: Row) => knownAlarm(r)?.why ?? (isKnownMiss(r) ? r.status.replace(/^known-miss:\s*/, "").trim() : null);

/** Every corpus capture `cases` does not list: benign, must raise nothing (none without the corpus). */
export function corpusBenign(cases: Row[], corpus: string | null): Row[] {
  if (!corpus) return [];
  const inCases = new Set(cases.filter((r) => r.pcap.startsWith("corpus:")).map((r) => r.pcap.slice("corpus:".length)));
  const out: Row[] = [];
  for (const dir of readdirSync(corpus, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const f of readdirSync(join(corpus, dir)).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort()) {
      const rel = `${dir}/${f}`;
      if (!inCases.has(rel)) out.push({ id: rel, tool: "-", options: "-", expect: "benign", source: "-", target: "-", pcap: `corpus:${rel}`, status: "ok" });
    }
  }
  return out;
}
