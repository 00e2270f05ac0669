/**
 * Keeps the process under a memory cap. What NetInsight holds is bounded (flow, device, threat
 * and writer tables all have caps), but JavaScriptCore lets garbage from per-flow records pile up
 * between collections: a flood of new flows took RSS from ~100 MB live to 500-800 MB. Past a share
 * of the cap the guard runs a full collection (at most once per MIN_GC_INTERVAL_MS), and says so
 * when even that leaves the process over the cap.
 */
import { edenGC } from "bun:jsc";

export const DEFAULT_MAX_MEMORY_MB = 1024;
/** A full collection starts once RSS passes this share of the cap. */
export const GC_AT_SHARE = 0.5;
/** Full collections cost 50-150 ms on a busy heap: no more often than this. */
export const MIN_GC_INTERVAL_MS = 1000;

export interface MemoryGuardOptions {
  capMb: number;
  /** Injected for tests; default: the process's RSS and Bun's synchronous full GC. */
  rss?: () => number;
  gc?: () => void;
  now?: () => number;
}

export class MemoryGuard {
  readonly capBytes: number;
  collections = 0;
  /** RSS after the last check, and whether it was still over the cap after collecting. */
  lastRss = 0;
  overCap = false;
  #lastGc = -Infinity;
  readonly #rss: () => number;
  readonly #gc: () => void;
  readonly #now: () => number;

  constructor(opts: MemoryGuardOptions) {
    this.capBytes = opts.capMb * 1024 * 1024;
    this.#rss = opts.rss ?? (() => process.memoryUsage.rss());
    this.#gc = opts.gc ?? (() => Bun.gc(true));
    this.#now = opts.now ?? (() => performance.now());
  }

  /** Cheap enough to call every few batches. */
  check(): void {
    let rss = this.#rss();
    if (rss > this.capBytes * GC_AT_SHARE && this.#now() - this.#lastGc >= MIN_GC_INTERVAL_MS) {
      this.#gc();
      this.collections++;
      this.#lastGc = this.#now();
      rss = this.#rss();
    }
    this.lastRss = rss;
    this.overCap = rss > this.capBytes;
  }

  /** A health problem text while over the cap, else null. */
  problem(): string | null {
    if (!this.overCap) return null;
    const mb = (b: number) => Math.round(b / 1024 / 1024);
    return `memory: ${mb(this.lastRss)} MB in use, above MAX_MEMORY_MB=${mb(this.capBytes)} even after a collection (lower MAX_FLOWS, or raise the cap)`;
  }
}

/**
 * Full collections at a steady pace of work (`analyze`: every so many packets read and new flows
 * made, flows ended). JavaScriptCore lets its heap grow to twice what was live after the last full
 * collection before it collects again, and what outlives a young collection (per-flow strings and
 * analyzer entries that live as long as their flow) only a full one frees: a 2.3 M-packet file
 * peaked at 760 MB with ~210 MB live. Measured on that file, a collection every 100 k packets cost
 * no CPU time overall (fewer, smaller automatic collections). A spoofed-source flood makes a flow
 * per packet, and its garbage grows per new flow: every 100 k packets it peaked at 566 MB, every
 * 20 k new flows at 307 MB, 15 k 304 MB, 10 k 275-278 MB, in no more CPU time (bench/flood.ts's 1 M
 * SYNs). A normal file makes a flow per ~13 packets, so the packets set its pace.
 */
/** Packets between full collections (serve's pipeline worker; `analyze` before its young collections). */
export const ANALYZE_GC_PACKETS = 100_000;
/** New flows between full collections (whichever of the two comes first; serve's pace too). */
export const ANALYZE_GC_NEW_FLOWS = 10_000;

/**
 * `analyze` collects more often than serve, and only every fourth collection is full (150 k packets
 * or 15 k new flows apart); the others are young (eden) collections, which free what was made since
 * the last one and is already dropped (decoded messages, observations, per-packet texts and
 * short-lived analyzer entries) without marking the whole heap. On the bench capture (2.3 M
 * packets, load average ~10): max RSS 218-222 MB with a full collection every 100 k packets,
 * 198-201 MB with a young one every 25 k (11 full and 82 young took about as long as 26 full).
 * Each young collection has a cost of its own whatever it frees (7-18 ms, logGC). With less garbage
 * per packet (a closure per inspected packet gone, the analyzers' scratch reused), on an idle machine
 * (3 alternated runs each): a young one every 50 k packets 5.9-6.4 s, max RSS 193-197 MB (once
 * 200.4); every 37.5 k 6.1-7.3 s, 189-192 MB; every 25 k with every eighth full 6.6-7.2 s, 193-195 MB.
 * Every 100 k packets or full every eighth passed 200 MB.
 */
export const ANALYZE_YOUNG_GC_PACKETS = 37_500;
export const ANALYZE_YOUNG_GC_NEW_FLOWS = 3_750;
/** Every this many-th of `analyze`'s collections is full. */
export const ANALYZE_FULL_GC_EVERY = 4;

export class PeriodicGc {
  collections = 0;
  #next: number;
  readonly #gc: () => void;

  constructor(readonly every: number, gc: () => void = () => Bun.gc(true)) {
    this.#next = every;
    this.#gc = gc;
  }

  /** `count`: the work done so far (it only grows); collects each time it passes another `every`. */
  check(count: number): void {
    if (count < this.#next) return;
    this.collect();
    this.#next = count + this.every;
  }

  collect(): void {
    this.#gc();
    this.collections++;
  }
}

/**
 * A PeriodicGc over two kinds of work at once: collects when either passes its period (both restart
 * then). With `fullEvery` above 1, only every fullEvery-th of those collections is full, the others
 * young (`young`, default JavaScriptCore's eden collection). With `fullOnB` (serve), work of kind B
 * (new flows) always collects in full, and a young collection restarts only A's period.
 */
export class WorkGc {
  /** Full collections made. */
  collections = 0;
  youngCollections = 0;
  #nextA: number;
  #nextB: number;
  #due = 0;
  readonly #gc: () => void;
  readonly #young: () => void;

  constructor(readonly everyA: number, readonly everyB: number, gc: () => void = () => Bun.gc(true),
    readonly fullEvery = 1, young: () => void = edenGC, readonly fullOnB = false) {
    this.#nextA = everyA;
    this.#nextB = everyB;
    this.#gc = gc;
    this.#young = young;
  }

  /** `a`, `b`: the work of each kind done so far (they only grow). */
  check(a: number, b: number): void {
    if (a < this.#nextA && b < this.#nextB) return;
    if (this.fullOnB) {
      if (b >= this.#nextB || ++this.#due >= this.fullEvery) return this.collectAt(a, b);
      this.#young();
      this.youngCollections++;
      this.#nextA = a + this.everyA;
      return;
    }
    if (++this.#due >= this.fullEvery) {
      this.#due = 0;
      this.collect();
    } else {
      this.#young();
      this.youngCollections++;
    }
    this.#nextA = a + this.everyA;
    this.#nextB = b + this.everyB;
  }

  /** A full collection now, with both periods restarting from `a` and `b`. */
  collectAt(a: number, b: number): void {
    this.collect();
    this.#nextA = a + this.everyA;
    this.#nextB = b + this.everyB;
  }

  /** A full collection now (the young ones count on from it). */
  collect(): void {
    this.#gc();
    this.collections++;
    this.#due = 0;
  }
}
