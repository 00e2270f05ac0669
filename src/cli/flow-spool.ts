/**
 * `analyze --json`'s flows without keeping them: each flow's JSON goes to a spool as the flow
 * ends, and the protocol summary is counted on the way; the report reads them back in id order.
 */
import { toApiFlow } from "../api/convert.ts";
import { ProtocolSummary } from "../analytics/summary.ts";
import type { Engine } from "../engine/engine.ts";
import type { FlowRecord } from "../flows/record.ts";
import { TextSpool } from "../util/spool.ts";

/** The flows part of a JSON report: the protocol summary, and the flow objects' JSON joined by commas. */
export interface JsonFlows {
  protocols(): ReturnType<ProtocolSummary["result"]>;
  /** Byte chunks may share one array: `write` is done with a chunk when it returns or its promise settles. */
  writeJson(write: (chunk: string | Uint8Array) => void | Promise<void>): Promise<void>;
}

export class SpooledFlows implements JsonFlows {
  readonly #summary = new ProtocolSummary();
  readonly #spool: TextSpool;

  /** Call before the engine reads a packet, after its analyzers are added (they read flows first). */
  constructor(engine: Engine) {
    this.#spool = new TextSpool(engine.flows.nextId);
    engine.onFlowEnd((f) => this.#add(f));
  }

  protocols() {
    return this.#summary.result();
  }

  writeJson(write: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
    return this.#spool.writeJoined(",", write);
  }

  close(): void {
    this.#spool.close();
  }

  #add(f: FlowRecord): void {
    this.#summary.add(f);
    this.#spool.add(Number(f.id), JSON.stringify(toApiFlow(f)));
  }
}
