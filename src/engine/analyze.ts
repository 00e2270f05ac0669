/**
 * Runs a capture file through the engine: the offline half of NetInsight (`netinsight analyze`,
 * golden tests, the benchmark). A damaged file still yields everything read before the damage.
 */
import { CaptureFileError, openOffline } from "../capture/offline.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { Analyzer } from "./events.ts";
import { Engine, type EngineOptions, type EngineStats } from "./engine.ts";
import { PeriodicGc, WorkGc } from "../util/memory.ts";
import { JitThreads } from "../util/thread-priority.ts";

export interface AnalyzeOptions extends EngineOptions {
  filter?: string;
  analyzers?: Analyzer[];
  /** Keep every flow in the result (default true); false saves memory in benchmarks. */
  collectFlows?: boolean;
  /** An engine built by the caller (with analyzers that need it, e.g. flow labelers); default: a new one. */
  engine?: Engine;
  /**
   * A full garbage collection every this many packets, and every GC_FINISH_FLOWS of the flows
   * that end with the file (`analyze`: a bounded peak; default none, e.g. for tests).
   */
  gcEveryPackets?: number;
  /** A full garbage collection every this many new flows too (whichever comes first; a flood makes one per packet). */
  gcEveryNewFlows?: number;
  /** Only every this many-th of those collections is full, the others young (default 1: all full); the end of the file's are full. */
  gcFullEvery?: number;
  /** Called after every batch with the packets read so far. */
  onProgress?: (packets: number) => void;
}

export interface AnalyzeSummary extends EngineStats {
  file: string;
  flows: number;
  /** Why reading stopped early (a damaged or truncated file), or null. */
  readError: string | null;
}

export interface AnalyzeResult {
  engine: Engine;
  /** Every flow of the capture, ordered by id. */
  flows: FlowRecord[];
  summary: AnalyzeSummary;
}

export async function analyzeFile(path: string, opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const engine = opts.engine ?? new Engine(opts);
  const flows: FlowRecord[] = [];
  if (opts.collectFlows !== false) {
    // Registered after the analyzers: they have read the packet shape; the kept records drop it
    // (up to 32 numbers per flow, for every flow of the file).
    engine.onFlowEnd((f) => {
      f.shape = undefined;
      flows.push(f);
    });
  }
  const gc = opts.gcEveryPackets || opts.gcEveryNewFlows ? new WorkGc(opts.gcEveryPackets || Infinity, opts.gcEveryNewFlows || Infinity, undefined, opts.gcFullEvery) : null;
  const source = await openOffline(path, { filter: opts.filter, zeroCopy: true });
  const jit = new JitThreads();
  let readError: string | null = null;
  try {
    for (;;) {
      let batch;
      try {
        batch = source.next();
      } catch (e) {
        if (!(e instanceof CaptureFileError)) throw e;
        readError = e.message;
        break;
      }
      if (!batch) break;
      engine.processBatch(batch, source.linkType);
      jit.lower();
      gc?.check(engine.stats.packets, engine.flows.created);
      opts.onProgress?.(engine.stats.packets);
    }
  } finally {
    source.close();
  }
  engine.stats.linkType ??= source.linkType;
  finish(engine, gc);
  flows.sort((a, b) => Number(a.id) - Number(b.id));
  return { engine, flows, summary: { file: path, ...engine.stats, flows: engine.stats.flowsCreated, readError } };
}

/**
 * Flows still in progress when the file ends (tens of thousands) all end here, in one burst: a full
 * collection every this many of them. None before the burst (the schedule collected within its
 * last period) and 40 k apart, not 20 k: 12 full collections over bench-v2.pcap instead of 14
 * (53 k flows end here), max RSS 186-189 MB against 188-192 MB, not reached here.
 */
const GC_FINISH_FLOWS = 40_000;

function finish(engine: Engine, gc: WorkGc | null): void {
  if (!gc) return engine.finish();
  let ended = 0;
  const finishing = new PeriodicGc(GC_FINISH_FLOWS, () => gc.collect());
  engine.onFlowEndAt(() => finishing.check(++ended)); // numeric: no FlowRecord per flow just to count it
  engine.finish();
}
