/**
 * The writer's transactions on a writer thread (write-thread.ts): each chunk crosses as compact rows
 * and is committed on the thread's own connection while capture goes on; the answer (or the error,
 * a full disk) comes back to the writer, which drops rows from its queue only once committed.
 */
import type { Device } from "../devices/model.ts";
import type { Threat } from "../threats/model.ts";
import type { WriteChunk, WriteSink } from "./write-sink.ts";

export type WriteThreadRequest = { id: number } & (
  | { op: "open"; path: string }
  /** `flows`: the rows (FlowRowValues[]) as one JSON text, see ThreadSink.write. */
  | { op: "write"; flows: string; devices: Device[]; threats: Threat[]; maxFlowId: number; durable: boolean }
  | { op: "checkpoint" }
  | { op: "close" }
);

export type WriteThreadReply = { id: number; ok: true; result: number | null } | { id: number; ok: false; error: string };

type Request = WriteThreadRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

export class ThreadSink implements WriteSink {
  readonly async = true;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: number | null) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  /** Set once the thread is gone: every later write fails with it. */
  #dead: string | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.onmessage = (e: MessageEvent<WriteThreadReply>) => {
      const r = e.data;
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else p.reject(new Error(r.error));
    };
    worker.onerror = (e) => this.#fail((e as ErrorEvent).message || "it failed");
    worker.addEventListener("close", () => this.#fail("it exited"));
  }

  /** Starts the thread and opens the (already migrated) database there. */
  static async open(path: string): Promise<ThreadSink> {
    const sink = new ThreadSink(new Worker(new URL("./write-thread.ts", import.meta.url).href));
    try {
      await sink.#call({ op: "open", path });
    } catch (err) {
      sink.#worker.terminate();
      throw err;
    }
    return sink;
  }

  /**
   * The rows cross as one JSON text: a structured clone of thousands of small arrays cost both threads
   * ~4 us a row, JSON.stringify here and JSON.parse there about half (rows hold only finite numbers,
   * strings and nulls, which JSON keeps exactly).
   */
  async write(c: WriteChunk): Promise<number> {
    const flows = JSON.stringify(c.flows);
    return (await this.#call({ op: "write", flows, devices: c.devices, threats: c.threats, maxFlowId: c.maxFlowId, durable: c.durable })) ?? 0;
  }

  async checkpoint(): Promise<void> {
    await this.#call({ op: "checkpoint" });
  }

  /** Closes the thread's connection (its writes are all answered by then) and ends the thread. */
  async close(): Promise<void> {
    if (this.#dead === null) await this.#call({ op: "close" }).catch(() => undefined);
    this.#dead ??= "it was closed";
    this.#worker.terminate();
  }

  #call(req: Request): Promise<number | null> {
    if (this.#dead !== null) return Promise.reject(new Error(`the writer thread stopped (${this.#dead})`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...req, id });
    });
  }

  #fail(reason: string): void {
    this.#dead ??= reason;
    for (const p of this.#pending.values()) p.reject(new Error(`the writer thread stopped (${reason})`));
    this.#pending.clear();
  }
}
