/**
 * Long-mode fuzzing (not a test): `bun bench/fuzz.ts --frames 5000000 [--seed N] [--no-flood]`.
 * Mutated frames from self-made and corpus seeds through every decoder and the Engine with every
 * analyzer, then the 2 M packets / 1 M spoofed sources flood; prints frames/s, totals and max RSS.
 * Exits non-zero when anything failed. FUZZ_FRAMES / FUZZ_SEED work as in test/fuzz.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FUZZ_CORPUS } from "../test/fuzz/corpus.ts";
import { runFlood, writeFloodCapture } from "../test/fuzz/flood.ts";
import { formatFailure, runFuzz, type FuzzReport } from "../test/fuzz/harness.ts";
import { corpusSeeds, selfMadeSeeds } from "../test/fuzz/seeds.ts";

const { values } = parseArgs({
  options: {
    frames: { type: "string", default: process.env.FUZZ_FRAMES ?? "1000000" },
    seed: { type: "string", default: process.env.FUZZ_SEED },
    only: { type: "string" },
    corpus: { type: "boolean", default: true },
    "per-file": { type: "string", default: "64" },
    flood: { type: "boolean", default: true },
    "flood-packets": { type: "string", default: "2000000" },
    "flood-sources": { type: "string", default: "1000000" },
    "max-flows": { type: "string", default: "50000" },
  },
  allowNegative: true,
});

const frames = Number(values.frames);
const seed = values.seed ? Number(values.seed) : (Math.random() * 2 ** 31) >>> 0;
let failed = 0;

function summary(label: string, r: FuzzReport): void {
  console.log(
    `${label}: ${r.frames.toLocaleString("en")} frames in ${(r.elapsedMs / 1000).toFixed(0)} s = ${(r.frames / (r.elapsedMs / 1000)).toFixed(0)} frames/s; ` +
      `${r.decoderCalls.toLocaleString("en")} decoder calls (${(r.decoderMs / 1000).toFixed(0)} s), ${r.enginePackets.toLocaleString("en")} engine packets ` +
      `(${(r.engineMs / 1000).toFixed(0)} s, ${r.engineDecodeErrors.toLocaleString("en")} decode errors counted), ${r.analyzers.length} analyzers; ` +
      `slowest call ${r.slowestMs.toFixed(1)} ms (${r.slowestWhere}; slowest analyzer hook ${r.slowestAnalyzer.where} ${r.slowestAnalyzer.ms.toFixed(1)} ms); failures ${r.failureCount}, analyzer errors ${r.analyzerErrors}`,
  );
  if (r.missingAnalyzers.length) console.log(`  analyzers not in the tree: ${r.missingAnalyzers.join(", ")}`);
  if (r.brokenAnalyzers.length) console.log(`  analyzers that fail to load: ${r.brokenAnalyzers.join("; ")}`);
  for (const f of r.failures) console.log(formatFailure(f, r.seed));
  for (const h of r.slowHooks) console.log(`  slow hook ${h.where} ${h.ms.toFixed(0)} ms at frame ${h.frame} (${h.seed}): ${h.arg}\n    frame ${h.hex}`);
  failed += r.failureCount + r.analyzerErrors + r.brokenAnalyzers.length;
}

async function fuzz(label: string, runSeed: number, n: number, seeds: Awaited<ReturnType<typeof corpusSeeds>>): Promise<void> {
  console.log(`${label}: ${seeds.length} seeds, ${n.toLocaleString("en")} frames, seed ${runSeed}${values.only ? `, only frame ${values.only}` : ""}`);
  const t0 = performance.now();
  const r = await runFuzz({
    seed: runSeed, frames: n, seeds, only: values.only ? Number(values.only) : undefined,
    onProgress: (done) => {
      if (done % 100_000 === 0) console.log(`  ${label}: ${done.toLocaleString("en")} frames, ${(done / ((performance.now() - t0) / 1000)).toFixed(0)} frames/s`);
    },
  });
  summary(label, r);
}

const corpusShare = values.corpus && FUZZ_CORPUS ? Math.floor(frames / 2) : 0;
await fuzz("self-made seeds", seed, frames - corpusShare, selfMadeSeeds());
if (corpusShare > 0) await fuzz("corpus seeds", seed + 1, corpusShare, await corpusSeeds(FUZZ_CORPUS!, Number(values["per-file"])));
else if (values.corpus) console.log("corpus seeds: skipped (../shared/pcaps not found)");

if (values.flood) {
  const dir = mkdtempSync(join(tmpdir(), "netinsight-fuzz-flood-"));
  try {
    const packets = Number(values["flood-packets"]), sources = Number(values["flood-sources"]), maxFlows = Number(values["max-flows"]);
    const file = join(dir, "flood.pcap");
    await writeFloodCapture(file, packets, sources, seed);
    const r = await runFlood(file, maxFlows);
    console.log(
      `flood: ${r.packets.toLocaleString("en")} packets from ${sources.toLocaleString("en")} spoofed sources in ${r.seconds.toFixed(1)} s ` +
        `(${(r.packets / r.seconds).toFixed(0)} packets/s with ${r.analyzers} analyzers); flows created ${r.flowsCreated}, evicted ${r.flowsEvicted}, ` +
        `peak in table ${r.maxFlowsSeen}/${r.maxFlows}; devices peak ${r.maxDevicesSeen}/${r.deviceCap}; threats peak ${r.maxThreatsSeen}/${r.threatCap}; ` +
        `RSS ${r.rssBeforeMB.toFixed(0)} MB -> max ${r.rssPeakMB.toFixed(0)} MB; heap after GC ${r.heapAfterGcMB.toFixed(0)} MB; analyzer errors ${r.analyzerErrors}`,
    );
    if (r.maxFlowsSeen > r.maxFlows || (r.deviceCap !== null && r.maxDevicesSeen > r.deviceCap) || (r.threatCap !== null && r.maxThreatsSeen > r.threatCap)) failed++;
    failed += r.analyzerErrors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(failed === 0 ? "fuzz: no failures" : `fuzz: ${failed} failures`);
process.exit(failed === 0 ? 0 : 1);
