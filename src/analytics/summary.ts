/**
 * The protocol distribution of a set of flows without a database (`analyze --json` "protocols"):
 * the same shape as getProtocols, computed from FlowRecords. Percentages are of all bytes, so
 * flows without an application leave the application percentages short of 100.
 */
import type { FlowRecord } from "../flows/record.ts";
import type { ProtocolsAnswer } from "./model.ts";

interface Acc { bytes: number; packets: number; flows: number; category: string | null }

export function summarizeProtocols(flows: readonly FlowRecord[]): Omit<ProtocolsAnswer, "hours"> {
  const services = new Map<string, Acc>();
  const apps = new Map<string, Acc>();
  let total = 0;
  const add = (m: Map<string, Acc>, key: string, f: FlowRecord, bytes: number) => {
    const a = m.get(key) ?? { bytes: 0, packets: 0, flows: 0, category: f.category };
    a.bytes += bytes;
    a.packets += f.packetsSent + f.packetsReceived;
    a.flows += 1;
    a.category ??= f.category;
    m.set(key, a);
  };
  for (const f of flows) {
    const bytes = f.bytesSent + f.bytesReceived;
    total += bytes;
    add(services, f.service ?? f.protocol, f, bytes);
    if (f.application) add(apps, f.application, f, bytes);
  }
  const percent = (b: number) => (total > 0 ? Math.round((b / total) * 10000) / 100 : 0);
  const ranked = (m: Map<string, Acc>) => [...m].sort((x, y) => y[1].bytes - x[1].bytes || (x[0] < y[0] ? -1 : 1));
  return {
    services: ranked(services).map(([service, a]) => ({ service, bytes: a.bytes, packets: a.packets, flows: a.flows, percent: percent(a.bytes) })),
    applications: ranked(apps).map(([application, a]) => ({
      application, category: a.category, bytes: a.bytes, flows: a.flows, percent: percent(a.bytes),
    })),
  };
}
