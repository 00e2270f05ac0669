/**
 * The fuzz loop shared by the test (short, count-based) and `bench/fuzz.ts` (long): mutates seeds,
 * feeds each mutated payload to every app decoder and each mutated frame through a whole Engine
 * with every analyzer, and records throws, out-of-bounds reads and hangs with a reproducer.
 */
import { appendPacket, newBatch, type PacketBatch } from "../../src/capture/batch.ts";
import { Engine } from "../../src/engine/engine.ts";
import type { Analyzer } from "../../src/engine/events.ts";
import { loadAnalyzers, type AnalyzerSet, type SlowHook } from "./analyzers.ts";
import { mutate } from "./mutate.ts";
import { hexDump, Rng, toHex } from "./prng.ts";
import { wireBytes, type Seed } from "./seeds.ts";
import { decoderGroups } from "./targets.ts";

const GROUPS = decoderGroups();

/** A single call slower than this (twice in a row) is a hang, not slowness: the bound is generous. */
export const HANG_MS = 250;
/** Frames per Engine instance: a fresh engine and analyzers keep state from one run to the next bounded. */
export const FRAMES_PER_ENGINE = 4000;
/** Every n-th payload is also decoded inside a larger buffer with junk around it. */
export const INVARIANCE_EVERY = 4;
/** Failures kept with their frames (later ones are only counted). */
export const MAX_KEPT_FAILURES = 20;
const BASE_TS = 1_700_000_000;

export type FailureKind = "decoder-throw" | "engine-throw" | "analyzer-throw" | "reads-outside-length" | "hang";

export interface Failure {
  kind: FailureKind;
  where: string;
  seed: string;
  frame: number;
  linkType: number;
  bytes: Uint8Array;
  error: string;
}

export interface FuzzOptions {
  /** The run's PRNG seed: frame i's mutations depend only on (seed, i). */
  seed: number;
  frames: number;
  seeds: Seed[];
  /** Only run this frame index (reproducing a failure). */
  only?: number;
  /** Analyzers added to the ones in the tree (the harness's own test plants a faulty one). */
  extraAnalyzers?: () => Analyzer[];
  onProgress?: (done: number) => void;
}

export interface FuzzReport {
  seed: number;
  frames: number;
  decoderCalls: number;
  enginePackets: number;
  engineDecodeErrors: number;
  analyzerErrors: number;
  analyzers: string[];
  missingAnalyzers: string[];
  brokenAnalyzers: string[];
  slowestMs: number;
  slowestWhere: string;
  /** The slowest single analyzer hook call (inside an engine call). */
  slowestAnalyzer: { where: string; ms: number };
  /** Analyzer hook calls over SLOW_HOOK_MS, with their argument and frame (GC pauses included). */
  slowHooks: (SlowHook & { frame: number; seed: string; hex: string })[];
  /** Time spent in the app decoders, in the engine (with analyzers) and building/mutating frames. */
  decoderMs: number;
  engineMs: number;
  failureCount: number;
  failures: Failure[];
  elapsedMs: number;
}

export function formatFailure(f: Failure, runSeed: number): string {
  return `${f.kind} in ${f.where} (seed ${runSeed}, frame ${f.frame}, from ${f.seed}, linktype ${f.linkType}, ${f.bytes.length} bytes)\n` +
    `${f.error.split("\n").slice(0, 6).join("\n")}\n${hexDump(f.bytes)}`;
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const report: FuzzReport = {
    seed: opts.seed, frames: 0, decoderCalls: 0, enginePackets: 0, engineDecodeErrors: 0, analyzerErrors: 0,
    analyzers: [], missingAnalyzers: [], brokenAnalyzers: [], slowestMs: 0, slowestWhere: "", slowestAnalyzer: { where: "", ms: 0 }, slowHooks: [], decoderMs: 0, engineMs: 0, failureCount: 0, failures: [], elapsedMs: 0,
  };
  const fail = (f: Failure) => {
    report.failureCount++;
    if (report.failures.length < MAX_KEPT_FAILURES) report.failures.push(f);
  };
  /** Times `fn`; a call over HANG_MS is run once more and is a hang only when slow again. */
  const timed = (where: string, fn: () => void): void => {
    const t0 = performance.now();
    fn();
    let ms = performance.now() - t0;
    if (ms > HANG_MS) {
      const t1 = performance.now();
      fn();
      ms = Math.min(ms, performance.now() - t1);
    }
    if (ms > report.slowestMs) {
      report.slowestMs = ms;
      report.slowestWhere = where;
    }
    if (ms > HANG_MS) throw new HangError(`${where} took ${ms.toFixed(0)} ms (bound ${HANG_MS} ms)`);
  };

  const batch = newBatch(1 << 18);
  let engine: Engine | null = null;
  let set: AnalyzerSet | null = null;
  const retire = () => {
    if (!engine || !set) return;
    try {
      engine.finish();
    } catch (e) {
      fail({ kind: "engine-throw", where: "Engine.finish", seed: "-", frame: -1, linkType: -1, bytes: new Uint8Array(0), error: String((e as Error).stack ?? e) });
    }
    for (const err of set.takeErrors()) fail({ kind: "analyzer-throw", where: `${err.analyzer}.${err.hook} (at finish)`, seed: "-", frame: -1, linkType: -1, bytes: new Uint8Array(0), error: err.error });
    report.enginePackets += engine.stats.packets;
    report.engineDecodeErrors += engine.stats.decodeErrors;
    report.analyzerErrors += engine.stats.analyzerErrors;
    if (set.slowest.ms > report.slowestAnalyzer.ms) report.slowestAnalyzer = { ...set.slowest };
    set.close();
    engine = null;
  };

  const first = opts.only ?? 0;
  const last = opts.only !== undefined ? opts.only + 1 : opts.frames;
  let clock = BASE_TS;
  for (let i = first; i < last; i++) {
    if (!engine || i % FRAMES_PER_ENGINE === 0) {
      retire();
      set = await loadAnalyzers({ extra: opts.extraAnalyzers?.() });
      engine = new Engine({ analyzers: set.analyzers, maxFlows: 4096 });
      set.bindEngine(engine);
      report.analyzers = set.names;
      report.missingAnalyzers = set.missing;
      report.brokenAnalyzers = set.broken;
    }
    const rng = new Rng((Math.imul(opts.seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
    const seed = rng.pick(opts.seeds);
    const other = () => opts.seeds[rng.int(opts.seeds.length)].frame;
    let frames: { linkType: number; frame: Uint8Array }[];
    let payload: Uint8Array | undefined;
    if (seed.rebuild && seed.app && rng.chance(0.5)) {
      const app = seed.app;
      const dnsAt = app.kind === "dns" || app.kind === "netbios" ? 0 : app.kind === "dnsTcp" ? 2 : -1;
      const appBytes = mutate(rng, app.bytes, { fields: app.fields, dnsAt, other: () => rng.pick(opts.seeds).app?.bytes ?? other() });
      frames = seed.rebuild(appBytes, 1024 + rng.int(64000));
      payload = wireBytes(app, appBytes);
    } else {
      const from = seed.payloadOff >= 0 && rng.chance(0.3) ? seed.payloadOff : 0;
      const frame = mutate(rng, seed.frame, { fields: seed.fields, dnsAt: seed.dnsAt, from, other });
      frames = [{ linkType: seed.linkType, frame }];
      if (seed.payloadOff >= 0 && seed.payloadOff < frame.length) payload = frame.subarray(seed.payloadOff);
    }
    const carrier = frames[frames.length - 1];
    const failure = (kind: FailureKind, where: string, e: unknown, bytes = carrier.frame) =>
      fail({ kind: e instanceof HangError ? "hang" : kind, where, seed: seed.name, frame: i, linkType: carrier.linkType, bytes, error: String((e as Error).stack ?? e) });

    const t0 = performance.now();
    if (payload) decodeDirectly(payload, rng, i % INVARIANCE_EVERY === 0, timed, report, (kind, where, e) => failure(kind, where, e, payload));

    const t1 = performance.now();
    report.decoderMs += t1 - t0;
    // Hostile capture headers too: time jumps (idle expiry), time going back, absurd stamps, and
    // wire lengths that disagree with the captured length.
    const r = rng.u32() % 4000;
    clock += r < 20 ? 400 : 0.01;
    const ts = r >= 20 && r < 40 ? clock - 5 : r === 40 ? 0 : r === 41 ? 4294967295 : clock;
    const wire = rng.chance(0.05) ? rng.pick([0, 1, 65535, 262144, 4294967295, rng.u32() & 0xffff]) : undefined;
    for (const f of frames) {
      fillBatch(batch, ts, f.frame, wire);
      try {
        timed(`Engine.processBatch (linktype ${f.linkType})`, () => engine!.processBatch(batch, f.linkType));
      } catch (e) {
        failure("engine-throw", "Engine.processBatch", e, f.frame);
      }
    }
    for (const err of set!.takeErrors()) failure("analyzer-throw", `${err.analyzer}.${err.hook}`, err.error);
    for (const h of set!.takeSlow()) if (report.slowHooks.length < 20) report.slowHooks.push({ ...h, frame: i, seed: seed.name, hex: toHex(carrier.frame) });
    report.engineMs += performance.now() - t1;
    report.frames++;
    if (opts.onProgress && report.frames % 10000 === 0) opts.onProgress(report.frames);
  }
  retire();
  report.elapsedMs = performance.now() - started;
  return report;
}

class HangError extends Error {}

function fillBatch(batch: PacketBatch, ts: number, frame: Uint8Array, wireLen = frame.length): void {
  batch.used = 0;
  batch.count = 0;
  const sec = Math.floor(ts);
  appendPacket(batch, sec, Math.floor((ts - sec) * 1e6), frame, wireLen);
}

/** Every decoder on the payload; every INVARIANCE_EVERY-th payload also inside junk, where results must not change. */
function decodeDirectly(
  payload: Uint8Array, rng: Rng, checkBounds: boolean, timed: (where: string, fn: () => void) => void, report: FuzzReport,
  failure: (kind: FailureKind, where: string, e: unknown) => void,
): void {
  const exact = payload.slice();
  let embedded: Uint8Array | undefined;
  let at = 0;
  if (checkBounds) {
    at = 1 + rng.int(16);
    embedded = new Uint8Array(at + exact.length + 64);
    for (let k = 0; k < embedded.length; k++) embedded[k] = rng.u32() & 0xff;
    embedded.set(exact, at);
  }
  for (const group of GROUPS) {
    const [name, decode] = group.length === 1 ? group[0] : rng.pick(group);
    let inside: unknown, outside: unknown;
    try {
      timed(name, () => {
        inside = decode(exact, 0, exact.length);
      });
      report.decoderCalls++;
      if (!embedded) continue;
      timed(name, () => {
        outside = decode(embedded!, at, exact.length);
      });
      report.decoderCalls++;
    } catch (e) {
      failure("decoder-throw", name, e);
      continue;
    }
    const a = stable(inside), b = stable(outside);
    if (a !== b) failure("reads-outside-length", name, new Error(`result depends on bytes outside [offset, offset+length):\n  alone:  ${a.slice(0, 300)}\n  inside: ${b.slice(0, 300)}`));
  }
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? Array.from(x) : x)) ?? "undefined";
}
