/**
 * Every corpus capture cut at random byte offsets (the file, not a packet): analyzeFile must not
 * throw except a CaptureFileError naming the file, and must count exactly the packets whose records
 * end before the cut (same packets and bytes as the intact file's first records).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { CaptureFileError } from "../../src/capture/offline.ts";
import { UnsupportedLinkTypeError } from "../../src/decode/linktype.ts";
import { analyzeFile } from "../../src/engine/analyze.ts";
import { loadAnalyzers } from "./analyzers.ts";
import { FUZZ_CORPUS, corpusSkipNote, envNumber } from "./corpus.ts";
import { Rng } from "./prng.ts";
import { recordEnds } from "./records.ts";
import { captureFiles } from "./seeds.ts";

/** Cuts per capture: one anywhere in the file, one in its first HEAD_BYTES (headers, first blocks). */
const HEAD_BYTES = 4096;
const SEED = envNumber("FUZZ_SEED", 20261125);

const dir = mkdtempSync(join(tmpdir(), "netinsight-trunc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  file: string;
  cut: number;
  problem?: string;
  /** How the damage surfaced: a readError in the summary, a CaptureFileError, or not at all (cut at a boundary). */
  seen?: "readError" | "thrown" | "clean";
}

async function cutAndAnalyze(path: string, bytes: Uint8Array, cut: number, intactPackets: number | null, consistent: boolean): Promise<Outcome> {
  const name = `${basename(path)}@${cut}`;
  const copy = join(dir, name);
  writeFileSync(copy, bytes.subarray(0, cut));
  const ends = recordEnds(bytes) ?? [];
  const whole = ends.filter((r) => r.end <= cut);
  const expected = { packets: whole.length, bytes: whole.reduce((n, r) => n + r.origLen, 0) };
  const set = await loadAnalyzers();
  try {
    const { summary } = await analyzeFile(copy, { analyzers: set.analyzers, collectFlows: false });
    if (set.takeErrors().length || summary.analyzerErrors) return { file: name, cut, problem: `analyzer errors: ${summary.analyzerErrors}` };
    if (consistent && (summary.packets !== expected.packets || summary.bytes !== expected.bytes)) {
      return { file: name, cut, problem: `read ${summary.packets} packets / ${summary.bytes} bytes, expected ${expected.packets} / ${expected.bytes}` };
    }
    const atBoundary = cut === 24 || ends.some((r) => r.end === cut);
    if (consistent && bytes[0] !== 0x0a && !atBoundary && cut < bytes.length && summary.readError === null) {
      return { file: name, cut, problem: "a record cut in the middle was not reported (readError is null)" };
    }
    return { file: name, cut, seen: summary.readError === null ? "clean" : "readError" };
  } catch (e) {
    if (e instanceof UnsupportedLinkTypeError && intactPackets === null) return { file: name, cut };
    if (!(e instanceof CaptureFileError)) return { file: name, cut, problem: `threw ${(e as Error).name}: ${(e as Error).message}` };
    if (!e.message.includes(copy)) return { file: name, cut, problem: `CaptureFileError does not name the file: ${e.message}` };
    if (expected.packets > 0) return { file: name, cut, problem: `threw before its ${expected.packets} whole packets: ${e.message}` };
    return { file: name, cut, seen: "thrown" };
  } finally {
    set.close();
    rmSync(copy, { force: true });
  }
}

describe.skipIf(!FUZZ_CORPUS)(`corpus captures truncated at random offsets ${FUZZ_CORPUS ? "" : `(skipped: ${corpusSkipNote})`}`, () => {
  test("no throw but a CaptureFileError naming the file; the packets before the cut are all counted", async () => {
    const rng = new Rng(SEED);
    const outcomes: Outcome[] = [];
    let compared = 0;
    for (const path of captureFiles(FUZZ_CORPUS!)) {
      const bytes = new Uint8Array(readFileSync(path));
      let intactPackets: number | null = null;
      let consistent = false;
      try {
        const { summary } = await analyzeFile(path, { collectFlows: false });
        intactPackets = summary.packets;
        const ends = recordEnds(bytes);
        // Exact counts are compared only where this reader and libpcap agree on the intact file.
        consistent = summary.readError === null && ends !== null && ends.length === summary.packets &&
          ends.reduce((n, r) => n + r.origLen, 0) === summary.bytes;
      } catch (e) {
        if (!(e instanceof UnsupportedLinkTypeError || e instanceof CaptureFileError)) throw e;
      }
      if (consistent) compared++;
      if (bytes.length < 2) continue;
      for (const cut of [1 + rng.int(bytes.length - 1), 1 + rng.int(Math.min(bytes.length, HEAD_BYTES) - 1)]) {
        outcomes.push(await cutAndAnalyze(path, bytes, cut, intactPackets, consistent));
      }
    }
    const problems = outcomes.filter((o) => o.problem).map((o) => `${o.file}: ${o.problem}`);
    const seen = (k: Outcome["seen"]) => outcomes.filter((o) => o.seen === k).length;
    console.log(
      `truncation: ${outcomes.length} cut captures (seed ${SEED}): ${seen("readError")} reported damage after the packets before it, ` +
        `${seen("thrown")} CaptureFileError (cut inside the file header), ${seen("clean")} cut at a record boundary; ` +
        `exact packet/byte counts compared on ${compared} captures; ${problems.length} problems`,
    );
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(100);
  }, 180_000);
});
