/** Malformed and fuzzed captures: no crash, decode errors counted, damage reported with what was read. */
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { analyzeFile } from "../../src/engine/analyze.ts";
import { UnsupportedLinkTypeError } from "../../src/decode/linktype.ts";
import { CORPUS, corpusNote } from "../corpus.ts";

const files = CORPUS ? readdirSync(join(CORPUS, "malformed")).filter((f) => /\.(pcap|pcapng)$/.test(f)) : [];

describe.skipIf(!CORPUS)(`malformed captures ${corpusNote}`, () => {
  for (const f of files) {
    test(f, async () => {
      const path = join(CORPUS!, "malformed", f);
      try {
        const { summary, flows } = await analyzeFile(path);
        expect(summary.packets).toBeGreaterThanOrEqual(0);
        expect(flows.length).toBeLessThanOrEqual(summary.packets);
        expect(summary.decodeErrors).toBeLessThanOrEqual(summary.packets);
      } catch (e) {
        // Only a capture-level problem may surface, and it must say what is wrong.
        expect(e instanceof UnsupportedLinkTypeError || /cannot read|damaged|unknown file format|truncated/i.test((e as Error).message)).toBe(true);
      }
    });
  }

  test("the truncated-header captures count decode errors", async () => {
    const { summary } = await analyzeFile(join(CORPUS!, "malformed", "zeek_ip4-trunc.pcap"));
    expect(summary.decodeErrors).toBeGreaterThan(0);
  });
});
