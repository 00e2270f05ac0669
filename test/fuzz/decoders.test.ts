/**
 * Fuzzed decoders, CI budget (count-based): mutated frames from self-made seeds and from the corpus
 * go to every app decoder and through a whole Engine with every analyzer. Zero throws, zero reads
 * outside a decoder's [offset, offset+length), zero analyzer errors, no call slower than HANG_MS.
 * Long mode: `bun bench/fuzz.ts --frames 5000000`. Reproduce: FUZZ_SEED=<seed> (and the frame index).
 */
import { describe, expect, test } from "bun:test";
import { appendPacket, newBatch } from "../../src/capture/batch.ts";
import { Engine } from "../../src/engine/engine.ts";
import type { Analyzer } from "../../src/engine/events.ts";
import { FUZZ_CORPUS, corpusSkipNote, envNumber } from "./corpus.ts";
import { formatFailure, HANG_MS, runFuzz, type FuzzReport } from "./harness.ts";
import { corpusSeeds, selfMadeSeeds, wireBytes } from "./seeds.ts";
import { DECODER_TARGETS } from "./targets.ts";
import { V4_WRAPPERS, V6_WRAPPERS } from "./links.ts";

/** Frames per seed set in CI; FUZZ_FRAMES raises it for a longer run under `bun test`. */
const CI_FRAMES = envNumber("FUZZ_FRAMES", 40_000);
const SEED = envNumber("FUZZ_SEED", 20261125);
const CORPUS_FRAMES_PER_FILE = 24;

function check(label: string, r: FuzzReport): void {
  console.log(
    `fuzz ${label}: ${r.frames} frames (seed ${r.seed}), ${r.decoderCalls} decoder calls, ${r.enginePackets} engine packets ` +
      `(${r.engineDecodeErrors} decode errors counted), ${r.analyzers.length} analyzers, slowest call ${r.slowestMs.toFixed(1)} ms ` +
      `(${r.slowestWhere}), ${(r.frames / (r.elapsedMs / 1000)).toFixed(0)} frames/s`,
  );
  if (r.missingAnalyzers.length) console.log(`fuzz ${label}: analyzers not in the tree yet: ${r.missingAnalyzers.join(", ")}`);
  for (const f of r.failures) console.error(formatFailure(f, r.seed));
  expect(r.brokenAnalyzers).toEqual([]);
  expect(r.failures.map((f) => `${f.kind} ${f.where} (frame ${f.frame})`)).toEqual([]);
  expect(r.failureCount).toBe(0);
  expect(r.analyzerErrors).toBe(0);
  expect(r.slowestMs).toBeLessThan(HANG_MS);
  expect(r.frames).toBe(CI_FRAMES);
}

describe("fuzz seeds", () => {
  const seeds = selfMadeSeeds();

  test("every self-made payload decodes with its own decoder before it is mutated", () => {
    const own: Record<string, string> = {
      dns: "decodeDns", dnsTcp: "decodeDnsTcp", dhcp: "decodeDhcp", dhcpv6: "decodeDhcpv6", netbios: "decodeNetbios", ssdp: "decodeSsdp",
      ndp: "decodeNdp", http: "decodeHttp", tlsClient: "decodeTlsClientHello", tlsServer: "decodeTlsServerHello", quic: "decodeQuicInitial",
      ssh: "decodeSshBanner", cleartext: "decodeCleartextAuth/ftp",
    };
    const apps = new Map(seeds.filter((s) => s.app).map((s) => [s.app!.name, s.app!]));
    expect(new Set<string>([...apps.values()].map((a) => a.kind))).toEqual(new Set(Object.keys(own)));
    for (const app of apps.values()) {
      const name = app.name === "smtp-auth" ? "decodeCleartextAuth/smtp" : own[app.kind];
      const decode = DECODER_TARGETS.find(([n]) => n === name)![1];
      const wire = wireBytes(app, app.bytes);
      const msg = decode(wire, 0, wire.length);
      expect({ app: app.name, decoded: Array.isArray(msg) ? msg.length === 2 : msg !== undefined }).toEqual({ app: app.name, decoded: true });
    }
  });

  test("every wrapper yields a frame the engine decodes to a flow without errors", () => {
    for (const [family, wrappers] of [["v4", V4_WRAPPERS], ["v6", V6_WRAPPERS]] as const) {
      for (const name of Object.keys(wrappers)) {
        const seed = seeds.find((s) => s.name === `http-request/${family}-${name}`)!;
        const engine = new Engine();
        const batch = newBatch(4096);
        appendPacket(batch, 1_700_000_000, 0, seed.frame);
        engine.processBatch(batch, seed.linkType);
        expect({ seed: seed.name, errors: engine.stats.decodeErrors, flows: engine.stats.flowsCreated }).toEqual({ seed: seed.name, errors: 0, flows: 1 });
        expect(seed.fields.map((f) => f.what)).toContain(family === "v4" ? "ipv4 total length" : "ipv6 payload length");
      }
    }
  });
});

describe("fuzz harness", () => {
  test("reports an analyzer that throws on hostile input, with its frame", async () => {
    const faulty = (): Analyzer => ({
      name: "faulty",
      wants: ["dns"],
      observe: (o) => {
        if (o.kind === "dns" && o.msg.answers.length === 0 && o.msg.isResponse) throw new Error("no answers");
      },
    });
    const r = await runFuzz({ seed: 7, frames: 3000, seeds: selfMadeSeeds(), extraAnalyzers: () => [faulty()] });
    expect(r.failureCount).toBeGreaterThan(0);
    expect(r.analyzerErrors).toBe(r.failureCount);
    const f = r.failures[0];
    expect([f.kind, f.where]).toEqual(["analyzer-throw", "faulty.observe"]);
    expect(f.seed).toMatch(/^(dns|mdns|llmnr)/);
    expect(f.bytes.length).toBeGreaterThan(0);
  }, 60_000);
});

describe("fuzz: self-made seeds", () => {
  test(`${CI_FRAMES} mutated frames through every decoder and the engine`, async () => {
    check("self-made", await runFuzz({ seed: SEED, frames: CI_FRAMES, seeds: selfMadeSeeds() }));
  }, 120_000);
});

describe.skipIf(!FUZZ_CORPUS)(`fuzz: corpus seeds ${FUZZ_CORPUS ? "" : `(skipped: ${corpusSkipNote})`}`, () => {
  test(`${CI_FRAMES} mutated corpus frames through every decoder and the engine`, async () => {
    const seeds = await corpusSeeds(FUZZ_CORPUS!, CORPUS_FRAMES_PER_FILE);
    expect(seeds.length).toBeGreaterThan(1000);
    check("corpus", await runFuzz({ seed: SEED + 1, frames: CI_FRAMES, seeds }));
  }, 120_000);
});
