/**
 * Where the writer's transactions run. LocalSink writes on the calling thread (tests, --single-thread);
 * ThreadSink (thread-sink.ts) hands each chunk to a writer thread, so SQLite's work leaves the capture thread.
 */
import type { Device } from "../devices/model.ts";
import type { Threat } from "../threats/model.ts";
import type { FlowRowValues } from "./flows.ts";
import type { Storage } from "./index.ts";

/** One transaction's rows; `durable` commits with synchronous=FULL (the last chunk of a flush). */
export interface WriteChunk {
  /** As rows (flowRow): what crosses to a writer thread, and what the statement binds. */
  flows: FlowRowValues[];
  devices: Device[];
  threats: Threat[];
  /** The highest flow id queued so far: next_flow_id is stored as one more. */
  maxFlowId: number;
  durable: boolean;
}

export interface WriteSink {
  /** True when write and checkpoint answer with promises (another thread does the work). */
  readonly async: boolean;
  /** Commits the chunk in one transaction; answers how long the transaction took (ms). Throws when it failed. */
  write(c: WriteChunk): number | Promise<number>;
  /** PRAGMA wal_checkpoint(TRUNCATE) (after a failed write: give the WAL's space back first). */
  checkpoint(): void | Promise<void>;
}

/**
 * Runs `body` in one transaction and answers the ms it took. `durable`: commit with synchronous=FULL
 * (one fsync of the WAL makes everything written so far survive a power cut; other commits cost none).
 */
export function transact(s: Storage, durable: boolean, body: () => void): number {
  const t0 = performance.now();
  if (durable) s.db.exec("PRAGMA synchronous = FULL");
  try {
    s.db.transaction(body)();
  } finally {
    if (durable) s.db.exec("PRAGMA synchronous = NORMAL");
  }
  return performance.now() - t0;
}

/** A chunk's devices, threats and next flow id (its flows are written by the caller, as records or rows). */
export function writeEntities(s: Storage, c: Pick<WriteChunk, "devices" | "threats" | "maxFlowId">): void {
  for (const d of c.devices) s.devices.upsert(d);
  for (const t of c.threats) s.threats.upsert(t);
  if (c.maxFlowId > 0) s.meta.set("next_flow_id", String(c.maxFlowId + 1));
}

export function checkpoint(s: Storage): void {
  s.db.query("PRAGMA wal_checkpoint(TRUNCATE)").get();
}

/** Transactions on this thread's connection. */
export class LocalSink implements WriteSink {
  readonly async = false;
  constructor(private readonly storage: Storage) {}

  write(c: WriteChunk): number {
    const s = this.storage;
    return transact(s, c.durable, () => {
      for (const row of c.flows) s.flows.upsertRow(row);
      writeEntities(s, c);
    });
  }

  checkpoint(): void {
    checkpoint(this.storage);
  }
}
