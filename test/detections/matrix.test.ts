/**
 * The detection matrix (issue 12): every CASES.tsv row replayed without root through the analysis
 * `analyze --json` runs, plus every other capture of ../shared/pcaps as a benign row. Attack rows
 * must raise their threat type naming the right source (and target); benign rows must raise nothing.
 * Prints the matrix, the recall per detector and the false alarms. Live mode: live.test.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CORPUS, corpusNote } from "../corpus.ts";
import { corpusBenign, readCases } from "./cases.ts";
import type { Row } from "./scenarios.ts";
import { analyzeThreats, describeThreat, formatMatrix, judge, type Verdict } from "./verdict.ts";

const listed = readCases();

function pathOf(r: Row): string | null {
  if (r.pcap.startsWith("corpus:")) return CORPUS ? join(CORPUS, r.pcap.slice("corpus:".length)) : null;
  return join(import.meta.dir, r.pcap);
}

const rows = [...listed, ...corpusBenign(listed, CORPUS)];
const verdicts: Verdict[] = [];

describe(`detection matrix ${CORPUS ? "" : corpusNote}`, () => {
  afterAll(() => {
    verdicts.sort((a, b) => rows.indexOf(a.row) - rows.indexOf(b.row));
    if (verdicts.length) console.log(`\nDetection matrix (${verdicts.length} rows)\n${formatMatrix(verdicts)}\n`);
  });

  for (const row of rows) {
    const pcap = pathOf(row);
    test.skipIf(pcap === null)(`${row.id}: ${row.expect === "benign" ? "raises nothing" : `${row.expect} from ${row.source}`}`, async () => {
      expect(existsSync(pcap!)).toBe(true);
      const v = judge(row, await analyzeThreats(pcap!));
      verdicts.push(v);
      // The threats that should not be there, then the attack that should.
      expect(v.alarms.map(describeThreat)).toEqual([]);
      if (row.expect !== "benign" && !row.status.startsWith("known-miss")) {
        expect(v.hit ? "detected" : `missed; raised: ${v.threats.map(describeThreat).join("; ") || "nothing"}`).toBe("detected");
      }
    });
  }
});
