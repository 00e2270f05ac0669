/**
 * The threat detectors have two forms of their flow hooks: the numeric ones the engine calls
 * (flowStartedAt / flowUpdatedAt / flowEndedAt / payloadAt, read from the flow table) and the
 * FlowRecord ones their unit tests call. Both must say the same: on corpus captures (scans, brute
 * force, floods, tunnels, web attacks, a busy LAN), the threats come out equal whichever form the
 * engine is given. Skipped when ../shared/pcaps is absent.
 */
import { describe, expect, test } from "bun:test";
import { analyzeFile } from "../src/engine/analyze.ts";
import { Engine } from "../src/engine/engine.ts";
import type { Analyzer } from "../src/engine/events.ts";
import { createThreatDetectors } from "../src/threats/index.ts";
import { corpusFile, corpusNote, CORPUS } from "./corpus.ts";

/** Attack captures (each raises at least one threat), then captures that raise none. */
const ATTACKS = [
  "scan/ndpi_synscan.pcap", "scan/zeek_nmap-vsn.pcap", "bruteforce/zeek_sshguess.pcap", "bruteforce/zeek_ftp_bruteforce.pcap",
  "attacks/suri_denial6-6.pcap", "attacks/ndpi_WebattackSQLinj.pcap", "attacks/ndpi_emotet.pcap",
  "dns_tunnel/ndpi_dns-tunnel-iodine.pcap", "dns_tunnel/ndpi_dns2tcp_tunnel.pcap",
];
const QUIET = ["icmp/zeek_icmp-destunreach-udp.pcap", "icmp/ndpi_icmp-tunnel.pcap"];

/** The detector with its record hooks only, where it has them (what the engine called before the numeric ones). */
function recordForm(a: Analyzer): Analyzer {
  const r: Analyzer = { ...a };
  if (a.flowStarted) r.flowStartedAt = undefined;
  if (a.flowUpdated) r.flowUpdatedAt = undefined;
  if (a.flowEnded) r.flowEndedAt = undefined;
  if (a.payload) r.payloadAt = undefined;
  return r;
}

async function threats(file: string, numeric: boolean) {
  const { store, analyzers } = createThreatDetectors();
  const engine = new Engine();
  for (const a of analyzers) engine.addAnalyzer(numeric ? a : recordForm(a));
  const { summary } = await analyzeFile(file, { engine, collectFlows: false });
  expect(summary.analyzerErrors).toBe(0);
  return store.list();
}

describe.skipIf(!CORPUS)(`threat detectors: numeric and record flow hooks agree ${corpusNote}`, () => {
  for (const rel of [...ATTACKS, ...QUIET]) {
    const file = corpusFile(rel);
    test.skipIf(!file)(rel, async () => {
      const numeric = await threats(file!, true);
      const record = await threats(file!, false);
      expect(numeric.length > 0).toBe(ATTACKS.includes(rel));
      expect(numeric).toEqual(record);
    }, 60_000);
  }

  test("the record form really is a different path (a detector with both forms loses its numeric hook)", () => {
    const { analyzers } = createThreatDetectors();
    const slow = analyzers.find((a) => a.name === "threats.slow-scan")!;
    expect(slow.flowEndedAt).toBeDefined();
    expect(recordForm(slow).flowEndedAt).toBeUndefined();
  });
});
