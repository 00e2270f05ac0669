/** Reads CASES.tsv: the detection matrix's rows (see the header of that file for the columns). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Row } from "./scenarios.ts";

export const CASES_FILE = join(import.meta.dir, "CASES.tsv");
export const CAPTURES = join(import.meta.dir, "captures");

export function readCases(file = CASES_FILE): Row[] {
  return readFileSync(file, "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#")).map((l, i) => {
    const f = l.split("\t");
    if (f.length !== 8) throw new Error(`${file}: row ${i + 1} has ${f.length} columns, expected 8: ${l}`);
    const [id, tool, options, expect, source, target, pcap, status] = f;
    if (status !== "ok" && !status.startsWith("known-miss:")) throw new Error(`${file}: ${id}: status must be "ok" or "known-miss: why"`);
    return { id, tool, options, expect, source, target, pcap, status };
  });
}

export const isRecorded = (r: Row) => r.pcap.startsWith("captures/");
export const isKnownMiss = (r: Row) => r.status.startsWith("known-miss");
