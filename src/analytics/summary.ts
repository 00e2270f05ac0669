/**
 * The protocol distribution of a set of flows without a database (`analyze --json` "protocols"):
 * the same shape as getProtocols, computed from FlowRecords. Percentages are of all bytes, so
 * flows without an application leave the application percentages short of 100.
 */
import type { FlowRecord } from "../flows/record.ts";
import { flowProtocolName } from "../flows/snapshot.ts";
import type { FlowTable } from "../flows/table.ts";
import type { ProtocolsAnswer } from "./model.ts";

interface Acc { bytes: number; packets: number; flows: number; category: string | null; categoryId: number }

/**
 * Counts flows one at a time, in any order (`analyze` adds each flow as it ends, keeping none):
 * the answer is the same as for the flows in id order, where a name's category is the one of its
 * lowest-id flow that has one.
 */
export class ProtocolSummary {
  readonly #services = new Map<string, Acc>();
  readonly #apps = new Map<string, Acc>();
  #total = 0;

  add(f: FlowRecord): void {
    this.#add(Number(f.id), f.service ?? f.protocol, f.application, f.category, f.packetsSent + f.packetsReceived, f.bytesSent + f.bytesReceived);
  }

  /** `add` read from the flow table: no record made. */
  addAt(t: FlowTable, i: number): void {
    const labels = t.labels;
    this.#add(t.ids[i], labels.textOf(i, "service") ?? flowProtocolName(t.ipProtocolOf(i)), labels.textOf(i, "application"),
      labels.textOf(i, "category"), t.packetsOf(i, 0) + t.packetsOf(i, 1), t.bytesOf(i, 0) + t.bytesOf(i, 1));
  }

  #add(id: number, service: string, application: string | null, category: string | null, packets: number, bytes: number): void {
    this.#total += bytes;
    count(this.#services, service, id, category, packets, bytes);
    if (application) count(this.#apps, application, id, category, packets, bytes);
  }

  result(): Omit<ProtocolsAnswer, "hours"> {
    const total = this.#total;
    const percent = (b: number) => (total > 0 ? Math.round((b / total) * 10000) / 100 : 0);
    return {
      services: ranked(this.#services).map(([service, a]) => ({ service, bytes: a.bytes, packets: a.packets, flows: a.flows, percent: percent(a.bytes) })),
      applications: ranked(this.#apps).map(([application, a]) => ({
        application, category: a.category, bytes: a.bytes, flows: a.flows, percent: percent(a.bytes),
      })),
    };
  }
}

function count(m: Map<string, Acc>, key: string, id: number, category: string | null, packets: number, bytes: number): void {
  let a = m.get(key);
  if (!a) m.set(key, (a = { bytes: 0, packets: 0, flows: 0, category: null, categoryId: Infinity }));
  a.bytes += bytes;
  a.packets += packets;
  a.flows += 1;
  if (category !== null && id < a.categoryId) {
    a.category = category;
    a.categoryId = id;
  }
}

function ranked(m: Map<string, Acc>): [string, Acc][] {
  return [...m].sort((x, y) => y[1].bytes - x[1].bytes || (x[0] < y[0] ? -1 : 1));
}

export function summarizeProtocols(flows: readonly FlowRecord[]): Omit<ProtocolsAnswer, "hours"> {
  const summary = new ProtocolSummary();
  for (const f of flows) summary.add(f);
  return summary.result();
}
