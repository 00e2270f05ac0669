/**
 * The writer thread: its own connection to the database, and the writer's transactions on it
 * (flows, devices, threats), so SQLite's work runs beside capture instead of inside its thread.
 * Spoken to by thread-sink.ts; every message gets one reply.
 */
import { openStorage, type Storage } from "./index.ts";
import { checkpoint, transact, writeEntities } from "./write-sink.ts";
import type { FlowRowValues } from "./flows.ts";
import type { WriteThreadReply, WriteThreadRequest } from "./thread-sink.ts";

declare const self: Worker;

/**
 * This connection's page cache (KiB; SQLite's default is 2 MB): the flows table's five indexes take
 * rows at scattered places, and with 2 MB their pages were read back from the file again and again
 * (half the thread's system time); 8 MB keeps the hot ones.
 */
const WRITER_CACHE_KB = 8 * 1024;

let storage: Storage | null = null;

function handle(m: WriteThreadRequest): number | null {
  switch (m.op) {
    case "open":
      storage = openStorage(m.path);
      storage.db.exec(`PRAGMA cache_size = -${WRITER_CACHE_KB}`);
      return null;
    case "write": {
      const s = opened();
      const flows = JSON.parse(m.flows) as FlowRowValues[];
      return transact(s, m.durable, () => {
        for (const row of flows) s.flows.upsertRow(row);
        writeEntities(s, m);
      });
    }
    case "checkpoint":
      checkpoint(opened());
      return null;
    case "close":
      storage?.close();
      storage = null;
      return null;
    default: {
      const unknown: never = m;
      throw new Error(`writer thread: unknown request ${JSON.stringify(unknown)}`);
    }
  }
}

function opened(): Storage {
  if (!storage) throw new Error("the writer thread has no database open");
  return storage;
}

self.onmessage = (e: MessageEvent<WriteThreadRequest>) => {
  const m = e.data;
  let reply: WriteThreadReply;
  try {
    reply = { id: m.id, ok: true, result: handle(m) };
  } catch (err) {
    reply = { id: m.id, ok: false, error: (err as Error)?.message ?? String(err) };
  }
  self.postMessage(reply);
};
