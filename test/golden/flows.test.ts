/**
 * Golden flow tests: NetInsight's flows agree with tshark's conversation tables on the real
 * captures in ../shared/pcaps (cases listed in CASES.tsv). Skipped when the corpus is absent.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeFile } from "../../src/engine/analyze.ts";
import { compareWithTshark, parseConversations } from "./tshark.ts";
import { CORPUS, corpusNote } from "../corpus.ts";

const cases = readFileSync(join(import.meta.dir, "CASES.tsv"), "utf8")
  .split("\n")
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => {
    const [file, check] = l.split("\t");
    return { file, check: check as "exact" | "fragments" };
  });

describe.skipIf(!CORPUS)(`flows agree with tshark ${corpusNote}`, () => {
  for (const { file, check } of cases) {
    test(`${file} (${check})`, async () => {
      const pcap = join(CORPUS!, file);
      const reference = `${pcap}.tshark.txt`;
      expect(existsSync(pcap)).toBe(true);
      const { flows } = await analyzeFile(pcap);
      const convs = parseConversations(readFileSync(reference, "utf8"));
      const { mismatches } = compareWithTshark(convs, flows);
      if (check === "exact") {
        expect(mismatches).toEqual([]);
      } else {
        // Every frame tshark counts is in some flow of ours; ours may hold more (the fragments).
        for (const m of mismatches) {
          if (m.expected) expect(m.actual?.frames ?? 0).toBeGreaterThanOrEqual(m.expected.frames > 1 ? m.expected.frames : 0);
        }
        expect(flows.length).toBeGreaterThan(0);
      }
    });
  }
});
