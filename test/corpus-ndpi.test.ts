/**
 * Agreement with nDPI on the corpus: every capture with an `.ndpi.out` beside it is analysed with
 * the analytics labeler; flows are matched to nDPI's by 5-tuple and their service and application
 * compared where nDPI identifies them. Prints both rates and the most common disagreements.
 */
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { attachAnalytics } from "../src/analytics/index.ts";
import { getAnalytics, getProtocols } from "../src/storage/analytics.ts";
import { openDatabase } from "../src/storage/db.ts";
import { RollupStore } from "../src/storage/rollups.ts";
import { analyzeFile } from "../src/engine/analyze.ts";
import { mapNdpiProtocol, serviceAgrees } from "../src/analytics/ndpi-names.ts";
import { biflowKey, parseNdpiOutput } from "../src/analytics/ndpi-reference.ts";
import { Engine } from "../src/engine/engine.ts";
import type { FlowRecord } from "../src/flows/record.ts";

const PCAPS = path.resolve(import.meta.dir, "..", "../shared/pcaps");
if (!existsSync(PCAPS)) console.warn(`corpus-ndpi: skipped, no corpus at ${PCAPS}`);

/** Floors from what the labeler reaches today (goal: 90% services, 70% applications). */
const SERVICE_FLOOR = 93;
const APPLICATION_FLOOR = 91;
const TOP_REASONS = 20;

function findNdpiOutputs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findNdpiOutputs(p));
    else if (name.endsWith(".ndpi.out") && existsSync(p.slice(0, -".ndpi.out".length))) out.push(p);
  }
  return out.sort();
}

/** nDPI prints no ports for ICMP/IGMP; our flows may key them by id or type. */
function portsOf(protocol: string, a: number, b: number): [number, number] {
  const p = protocol.toUpperCase();
  return p === "TCP" || p === "UDP" ? [a, b] : [0, 0];
}

function keyOf(f: FlowRecord): string {
  const [sp, dp] = portsOf(f.protocol, f.srcPort, f.dstPort);
  return biflowKey(f.protocol, f.srcIp, sp, f.dstIp, dp);
}

/** Our service; ICMP and IGMP flows carry no payload service, their protocol is the service. */
function ourService(f: FlowRecord): string | null {
  if (f.service) return f.service;
  return f.protocol === "ICMP" || f.protocol === "ICMPv6" || f.protocol === "IGMP" ? f.protocol : null;
}

/** analyzeFile with the analytics attached to the engine before the first packet. */
async function analyzeWithLabeler(file: string, db?: Database): Promise<FlowRecord[]> {
  const engine = new Engine();
  const analytics = attachAnalytics(engine, { store: db ? new RollupStore(db) : undefined });
  const { flows } = await analyzeFile(file, { engine });
  analytics.close();
  return flows;
}

interface Tally { agree: number; total: number }
const tally = (): Tally => ({ agree: 0, total: 0 });
const pct = (t: Tally) => (t.total === 0 ? 100 : (100 * t.agree) / t.total);

describe.skipIf(!existsSync(PCAPS))("agreement with nDPI on the corpus", () => {
  test("service and application agreement", async () => {
    const services = tally();
    const apps = tally();
    // nDPI guesses payload-less flows (scans, lone SYNs) by port; kept apart to explain the rate.
    const servicesByPort = tally();
    let unmatched = 0;
    const reasons = new Map<string, number>();
    const note = (r: string) => reasons.set(r, (reasons.get(r) ?? 0) + 1);
    const perFile: string[] = [];

    for (const outFile of findNdpiOutputs(PCAPS)) {
      const capture = outFile.slice(0, -".ndpi.out".length);
      const reference = parseNdpiOutput(await Bun.file(outFile).text());
      const ours = new Map<string, FlowRecord>();
      for (const f of await analyzeWithLabeler(capture)) {
        const k = keyOf(f);
        const had = ours.get(k);
        if (!had || f.startTime < had.startTime) ours.set(k, f);
      }
      const s = tally();
      const a = tally();
      for (const n of reference) {
        if (n.proto === "Unknown") continue;
        const label = mapNdpiProtocol(n.proto);
        const [sp, dp] = portsOf(n.protocol, n.srcPort, n.dstPort);
        const f = ours.get(biflowKey(n.protocol, n.srcIp, sp, n.dstIp, dp));
        if (!f) {
          unmatched++;
          note(`no matching flow (${n.protocol})`);
          continue;
        }
        if (label.services.length > 0) {
          s.total++;
          const mine = ourService(f);
          const agrees = serviceAgrees(mine, label);
          if (n.confidence === "Match by port") {
            servicesByPort.total++;
            if (agrees) servicesByPort.agree++;
          }
          if (agrees) s.agree++;
          else note(`service: nDPI ${label.services[0]} / ours ${mine ?? "none"}${f.serviceBy ? ` (${f.serviceBy})` : ""}`);
        }
        if (label.application) {
          a.total++;
          if (f.application === label.application) a.agree++;
          else note(`application: nDPI ${label.application} / ours ${f.application ?? "none"}${f.hostname ? "" : " (no hostname)"}`);
        }
      }
      services.agree += s.agree; services.total += s.total;
      apps.agree += a.agree; apps.total += a.total;
      perFile.push(`${path.relative(PCAPS, capture).padEnd(52)} services ${s.agree}/${s.total}  apps ${a.agree}/${a.total}`);
    }

    const top = [...reasons].sort((x, y) => y[1] - x[1]).slice(0, TOP_REASONS);
    console.log([
      ...perFile,
      `service agreement: ${pct(services).toFixed(1)}% (${services.agree}/${services.total})`,
      `  of which nDPI matched by port: ${pct(servicesByPort).toFixed(1)}% (${servicesByPort.agree}/${servicesByPort.total})`,
      `application agreement: ${pct(apps).toFixed(1)}% (${apps.agree}/${apps.total})`,
      `nDPI-identified flows with no matching flow: ${unmatched}`,
      "top disagreements:",
      ...top.map(([r, n]) => `  ${String(n).padStart(5)}  ${r}`),
    ].join("\n"));

    expect(services.total).toBeGreaterThan(0);
    expect(apps.total).toBeGreaterThan(0);
    expect(pct(services)).toBeGreaterThanOrEqual(SERVICE_FLOOR);
    expect(pct(apps)).toBeGreaterThanOrEqual(APPLICATION_FLOOR);
  });
});

describe.skipIf(!existsSync(PCAPS))("rollups from real captures", () => {
  test("per-minute rollups add up to the flows, and the queries rank what the labels say", async () => {
    const db = openDatabase(":memory:");
    const flows = await analyzeWithLabeler(path.join(PCAPS, "tls/ndpi_reddit.pcap"), db);
    const bytes = flows.reduce((s, f) => s + f.bytesSent + f.bytesReceived, 0);
    const packets = flows.reduce((s, f) => s + f.packetsSent + f.packetsReceived, 0);
    const last = Math.max(...flows.map((f) => f.lastSeen));
    const first = Math.min(...flows.map((f) => f.startTime));
    const hours = Math.ceil((last - first) / 3600) + 1;
    const a = getAnalytics(db, { hours, now: last + 60 });
    expect(a.totals).toMatchObject({ bytes, packets, flows: flows.length });
    expect(a.throughput.reduce((s, p) => s + p.bytes, 0)).toBe(bytes);
    const reddit = flows.filter((f) => f.application === "Reddit");
    expect(reddit.length).toBeGreaterThan(0);
    const redditBytes = reddit.reduce((s, f) => s + f.bytesSent + f.bytesReceived, 0);
    expect(a.topApplications.find((x) => x.application === "Reddit")?.bytes).toBe(redditBytes);
    const p = getProtocols(db, { hours, now: last + 60 });
    const tls = flows.filter((f) => f.service === "TLS").reduce((s, f) => s + f.bytesSent + f.bytesReceived, 0);
    expect(p.services.find((x) => x.service === "TLS")?.bytes).toBe(tls);
    console.log(`reddit capture: ${flows.length} flows, ${bytes} bytes; top applications: ${a.topApplications.slice(0, 5).map((x) => `${x.application} ${x.bytes}`).join(", ")}`);
  });
});
