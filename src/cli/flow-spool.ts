/**
 * `analyze --json`'s flows without keeping them: each flow's JSON goes to a spool as the flow
 * ends, and the protocol summary is counted on the way; the report reads them back in id order.
 */
import { ProtocolSummary } from "../analytics/summary.ts";
import type { Engine } from "../engine/engine.ts";
import type { EndReason, FlowTable } from "../flows/table.ts";
import { TextSpool } from "../util/spool.ts";
import { FlowJsonWriter } from "./flow-json.ts";

/** The flows part of a JSON report: the protocol summary, and the flow objects' JSON joined by commas. */
export interface JsonFlows {
  protocols(): ReturnType<ProtocolSummary["result"]>;
  /** Byte chunks may share one array: `write` is done with a chunk when it returns or its promise settles. */
  writeJson(write: (chunk: string | Uint8Array) => void | Promise<void>): Promise<void>;
}

export class SpooledFlows implements JsonFlows {
  readonly #summary = new ProtocolSummary();
  readonly #spool: TextSpool;
  readonly #json = new FlowJsonWriter();

  /**
   * Call before the engine reads a packet. Each flow is read from the table as it ended, before
   * the analyzers' end hooks (which may still label it): what the end record shows.
   */
  constructor(engine: Engine) {
    this.#spool = new TextSpool(engine.flows.nextId);
    engine.onFlowEndFirstAt((flows, i, reason) => this.#add(flows, i, reason));
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

  #add(flows: FlowTable, i: number, reason: EndReason): void {
    this.#summary.addAt(flows, i);
    this.#flows = flows;
    this.#index = i;
    this.#ended = reason !== "shutdown";
    this.#spool.addWritten(flows.ids[i], this.#json.maxBytes(flows, i), this.#writeFlow);
  }

  // The flow being spooled, for #writeFlow (one function for every flow, not a closure each).
  #flows: FlowTable | null = null;
  #index = 0;
  #ended = false;
  readonly #writeFlow = (bytes: Uint8Array, at: number): number => this.#json.writeInto(this.#flows!, this.#index, this.#ended, bytes, at);
}
