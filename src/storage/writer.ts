/**
 * Batched writes: flows, devices and threats are queued (latest version wins) and written in
 * transactions of at most CHUNK_ROWS rows, yielding between chunks so capture and the API keep running.
 */
import type { Device } from "../devices/model.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { Threat } from "../threats/model.ts";
import type { Storage } from "./index.ts";
import { OrderedMap } from "../util/ordered-map.ts";
import { flowFromRow, flowRow, ROW_ID, type FlowRowValues } from "./flows.ts";
import { FlowRowQueue } from "./flow-queue.ts";
import { LocalSink, type WriteChunk, type WriteSink } from "./write-sink.ts";

/** Rows in a flush's first transaction: ~10 ms of upserts into a table of 1 M flows. */
export const CHUNK_ROWS = 250;
/**
 * How long one transaction may hold the event loop; the writer then yields. Each commit rewrites
 * the index pages it touched, so one transaction per turn (sized from the rows per ms measured so
 * far) costs a fraction of several small ones in the same time.
 */
export const WRITE_TURN_MS = 20;
/**
 * The same on a writer thread: capture does not wait for it, only this thread's own connection's
 * few writes (rollups, sessions) may, so transactions can be longer and commit less often.
 */
export const THREAD_TURN_MS = 100;
/** Bounds of a transaction's size: it grows or shrinks towards WRITE_TURN_MS of writing. */
export const MIN_CHUNK_ROWS = 50;
export const MAX_CHUNK_ROWS = 5000;
/** Queued rows that trigger a flush before the timer. */
export const FLUSH_ROWS = 5000;
/**
 * Ended flows that may wait for a failing disk beyond the flow table's size (~600 bytes of heap each).
 * The queue's cap is the flow table size plus this: room for every live flow to be queued at once.
 */
export const BACKLOG_ROWS = 100_000;
/**
 * The queue's hard cap: beyond it the oldest queued flows are dropped and counted. A flood of
 * one-packet flows outruns SQLite (25-50 k rows/s here) and every waiting row is heap (~0.4 KB
 * as a row with its strings), so memory, not the flood, decides how much may wait.
 */
export const MAX_PENDING_ROWS = 50_000;
/** The same cap in heap bytes (flowRowBytes: rows with long host names weigh more): ~50 k typical rows. */
export const MAX_PENDING_BYTES = 24 * 1024 * 1024;

/** Devices or threats waiting at most (a device with its evidence is several KB). */
export const MAX_PENDING_ENTITIES = 2_000;

export interface FlushInfo {
  at: number; // epoch ms
  rows: number;
  ms: number;
  /** The longest single transaction: how long the event loop was held. */
  maxChunkMs: number;
  error: string | null;
}

export class StorageWriter {
  /** Flows as rows (flowRow), by numeric id: the table's values straight, no record kept per queued flow. */
  readonly #flows = new FlowRowQueue();
  readonly #devices = new OrderedMap<string, Device>();
  readonly #threats = new OrderedMap<string, Threat>();
  #maxFlowId = 0;
  #flushing: Promise<FlushInfo> | null = null;
  #maxChunkMs = 0;
  /** Rows for the next transaction of a flush (adapts to how fast this disk and table write). */
  #chunkRows = CHUNK_ROWS;
  lastFlush: FlushInfo | null = null;
  droppedRows = 0;
  /** Epoch ms of the latest dropped row (null: none dropped). */
  lastDropAt: number | null = null;
  writtenRows = 0;

  /** Queued flows kept at most; beyond it the oldest are dropped (and counted in droppedRows). */
  readonly maxPending: number;
  /** Their heap at most (flowRowBytes), the same way. */
  readonly maxPendingBytes: number;
  /** While true nothing is dropped: a file's end queues every live flow at once, and the service then writes them all. */
  holdAll = false;

  /** Where transactions run: this thread by default, or a writer thread (storage/thread-sink.ts). */
  readonly #sink: WriteSink;

  constructor(storage: Storage, opts: { maxFlows?: number; sink?: WriteSink; maxPendingBytes?: number } = {}) {
    this.#sink = opts.sink ?? new LocalSink(storage);
    this.maxPending = Math.min(MAX_PENDING_ROWS, opts.maxFlows === undefined ? Infinity : opts.maxFlows + BACKLOG_ROWS);
    this.maxPendingBytes = opts.maxPendingBytes ?? MAX_PENDING_BYTES;
  }

  flow(f: FlowRecord): void {
    this.flowValues(flowRow(f));
  }

  /** Queues a flow as its row (flowRow, or flowRowAt straight from the table); a newer row of the same flow replaces it in place. */
  flowValues(row: FlowRowValues): void {
    const id = row[ROW_ID] as number;
    if (id > this.#maxFlowId) this.#maxFlowId = id;
    this.#flows.set(row);
    while (this.#overCap() && !this.holdAll && this.#flows.shift()) this.#dropped();
  }

  #overCap(): boolean {
    return this.#flows.size > this.maxPending || (this.#flows.bytes > this.maxPendingBytes && this.#flows.size > 1);
  }

  /** No more live flows fit (by rows or bytes): they wait in the flow table for the next sync. */
  get full(): boolean {
    return this.pending >= this.maxPending || this.#flows.bytes >= this.maxPendingBytes;
  }

  /** Half the cap used (by rows or bytes): a file fed at full speed waits for storage from here. */
  get backlogged(): boolean {
    return this.pending > this.maxPending / 2 || this.#flows.bytes > this.maxPendingBytes / 2;
  }

  /** Heap of the queued flows (flowRowBytes). */
  get pendingFlowBytes(): number {
    return this.#flows.bytes;
  }

  device(d: Device): void {
    this.#devices.set(d.id, d);
    // Spoofed MACs make a new device each: the queue is capped like the flows'.
    if (this.#devices.size > MAX_PENDING_ENTITIES) {
      this.#devices.shift();
      this.#dropped();
    }
  }

  threat(t: Threat): void {
    this.#threats.set(t.id, t);
    if (this.#threats.size > MAX_PENDING_ENTITIES) {
      this.#threats.shift();
      this.#dropped();
    }
  }

  get pending(): number {
    return this.#flows.size + this.#devices.size + this.#threats.size;
  }

  /** A queued (not yet written) version of a flow. */
  pendingFlow(id: string): FlowRecord | undefined {
    const row = this.#flows.get(Number(id));
    return row && flowFromRow(row);
  }

  /** Queued flows as rows (flowFromRow makes the record of one). */
  pendingFlowRows(): IterableIterator<FlowRowValues> {
    return this.#flows.values();
  }

  /** Writes everything queued now, in one go (shutdown, tests). */
  flushSync(): FlushInfo {
    const started = performance.now();
    let rows = 0;
    let error: string | null = null;
    // After a failed write the disk may hold little more than the data: keep the WAL to one chunk
    // (checkpoint after each) so the database and its WAL never need room for the backlog twice.
    if (this.#sink.async) throw new Error("flushSync needs the writer's own thread (use drain)");
    const recovering = this.#recover();
    try {
      // Nothing else runs at shutdown: big transactions, except on a disk that just failed (small WAL).
      const size = recovering ? CHUNK_ROWS : MAX_CHUNK_ROWS;
      while (this.pending > 0) {
        const chunk = this.#take(size, this.pending <= size);
        this.#committed(chunk, this.#sink.write(chunk) as number);
        rows += chunkRows(chunk);
      }
    } catch (err) {
      error = (err as Error).message;
    }
    return this.#done(rows, started, error);
  }

  /** Writes everything queued, after any flush in progress (shutdown): in one go on this thread, or chunk after chunk on a writer thread. */
  async drain(): Promise<FlushInfo> {
    await this.#flushing;
    if (!this.#sink.async) return this.flushSync();
    const started = performance.now();
    let rows = 0;
    let error: string | null = null;
    const recovering = await this.#recover();
    try {
      const size = recovering ? CHUNK_ROWS : MAX_CHUNK_ROWS;
      while (this.pending > 0) {
        const chunk = this.#take(size, this.pending <= size);
        this.#committed(chunk, await this.#sink.write(chunk));
        rows += chunkRows(chunk);
      }
    } catch (err) {
      error = (err as Error).message;
    }
    return this.#done(rows, started, error);
  }

  /**
   * Writes what is queued when it starts, chunk by chunk, yielding to the event loop between chunks,
   * and ends with a durable commit. Rows queued meanwhile wait for the next flush: under a load that
   * never lets the queue empty, each flush still ends on schedule (FLUSH_SECONDS holds, lastFlush moves).
   * `maxMs` bounds it in time as well (the flush interval): past it, one more chunk commits durably
   * and the rest waits, so a backlog bigger than the disk can take per interval never stalls commits.
   */
  /** True while a flush is writing. */
  get flushing(): boolean {
    return this.#flushing !== null;
  }

  flush(maxMs = Infinity): Promise<FlushInfo> {
    this.#flushing ??= this.#flushChunks(maxMs).finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  async #flushChunks(maxMs: number): Promise<FlushInfo> {
    const started = performance.now();
    let rows = 0;
    let error: string | null = null;
    // After a failed write the disk may hold little more than the data: keep the WAL to one chunk
    // (checkpoint after each) so the database and its WAL never need room for the backlog twice.
    const recovering = await this.#recover();
    let budget = this.pending;
    try {
      while (budget > 0 && this.pending > 0) {
        const size = Math.min(recovering ? CHUNK_ROWS : this.#chunkRows, budget);
        const last = budget <= size || this.pending <= size || performance.now() - started >= maxMs;
        const chunk = this.#take(size, last);
        const ms = await this.#sink.write(chunk);
        this.#committed(chunk, ms);
        const n = chunkRows(chunk);
        this.#adapt(n, ms);
        rows += n;
        if (recovering) await this.#checkpoint();
        budget -= Math.max(n, 1);
        if (last) break;
        // One transaction per turn, then capture and the API run.
        if (!this.#sink.async) await new Promise((r) => setImmediate(r));
      }
    } catch (err) {
      error = (err as Error).message;
    }
    return this.#done(rows, started, error);
  }

  /** Sizes the next transaction to about WRITE_TURN_MS at the rate this one wrote. */
  #adapt(rows: number, ms: number): void {
    if (rows < MIN_CHUNK_ROWS) return;
    const fit = Math.round((rows / Math.max(ms, 0.1)) * (this.#sink.async ? THREAD_TURN_MS : WRITE_TURN_MS));
    // Grow by at most doubling: one slow commit (a checkpoint) must not be followed by a giant one.
    this.#chunkRows = Math.max(MIN_CHUNK_ROWS, Math.min(MAX_CHUNK_ROWS, fit, rows * 2));
  }

  #dropped(): void {
    this.droppedRows++;
    this.lastDropAt = Date.now();
  }

  /**
   * After a failed write (disk full): a committed WAL cannot be reused until it is checkpointed, and the
   * checkpoint needs room to grow the database file. Try it before writing more, so freed space goes to
   * the database first and the emptied WAL gives its space back, instead of the WAL taking it all.
   */
  #recover(): boolean | Promise<boolean> {
    if (this.lastFlush?.error == null) return false;
    const done = this.#checkpoint();
    return done ? done.then(() => true) : true;
  }

  #checkpoint(): Promise<void> | void {
    try {
      const done = this.#sink.checkpoint();
      // still full: the next write fails and reports it
      if (done) return done.catch(() => undefined);
    } catch {
      // as above
    }
  }

  #done(rows: number, started: number, error: string | null): FlushInfo {
    this.writtenRows += rows;
    this.lastFlush = { at: Date.now(), rows, ms: performance.now() - started, maxChunkMs: this.#maxChunkMs, error };
    this.#maxChunkMs = 0;
    return this.lastFlush;
  }

  /**
   * The next transaction's rows, oldest first; they leave the queue only once committed (#committed).
   * The last chunk of a flush commits with synchronous=FULL: one fsync of the WAL per flush makes
   * everything written so far survive a power cut, while the chunks before it cost no fsync at all.
   */
  #take(size: number, durable: boolean): WriteChunk {
    const flows = this.#flows.oldest(size);
    const devices = this.#devices.oldestValues(size - flows.length);
    const threats = this.#threats.oldestValues(size - flows.length - devices.length);
    return { flows, devices, threats, maxFlowId: this.#maxFlowId, durable };
  }

  /** Committed: drop what was written unless a newer version was queued meanwhile (same object = unchanged). */
  #committed(c: WriteChunk, ms: number): void {
    this.#maxChunkMs = Math.max(this.#maxChunkMs, ms);
    for (const row of c.flows) this.#flows.remove(row);
    for (const d of c.devices) if (this.#devices.get(d.id) === d) this.#devices.delete(d.id);
    for (const t of c.threats) if (this.#threats.get(t.id) === t) this.#threats.delete(t.id);
  }
}

function chunkRows(c: WriteChunk): number {
  return c.flows.length + c.devices.length + c.threats.length;
}

