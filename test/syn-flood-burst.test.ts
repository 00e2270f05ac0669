/**
 * A SYN flood burst of a second or two that ends just before a flow update (hping3 --flood run for a
 * few seconds) is reported within seconds, not when its half-open flows time out. Each spoofed flow
 * sends one SYN, so the engine reports it at one update only; there it is still within its handshake
 * grace, and the detector judges it again at the first tick after the grace (by id, through the
 * flow table). Through the engine's numeric hooks, on a capture built here.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pcapBytes } from "../src/capture/pcapfile.ts";
import { ethernet, icmp, ipv4, SYN, tcp } from "../src/decode/testing/frames.ts";
import { analyzeFile } from "../src/engine/analyze.ts";
import { Engine } from "../src/engine/engine.ts";
import { FLOW_UPDATE_SECONDS } from "../src/engine/events.ts";
import { DEFAULT_TIMEOUTS } from "../src/flows/table.ts";
import { createThreatDetectors } from "../src/threats/index.ts";

const dir = mkdtempSync(join(tmpdir(), "ni-syn-burst-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ATTACKER = "02:13:50:00:00:66", VICTIM_MAC = "02:13:50:00:00:10", HOST = "02:13:50:00:00:20", GW = "02:13:50:00:00:01";
const T0 = 1_790_000_000;
/** The engine's first update comes FLOW_UPDATE_SECONDS after the first packet's whole second. */
const UPDATE = T0 + FLOW_UPDATE_SECONDS;
const BURST_START = UPDATE - 1.5, BURST_END = UPDATE - 0.1, SYNS = 2000;
const TRAILER_END = T0 + 14;

test("a SYN flood burst just before a flow update is reported within seconds of it, before its flows time out", async () => {
  expect(TRAILER_END - BURST_END).toBeLessThan(DEFAULT_TIMEOUTS.tcpAttempt); // no flow of the burst ends before the capture does
  const packets: { ts: number; data: Uint8Array }[] = [];
  // Time goes on in the capture: a host pings its gateway four times a second.
  for (let ts = T0; ts <= TRAILER_END; ts += 0.25) {
    packets.push({ ts, data: ethernet({ src: HOST, dst: GW, type: 0x0800 }, ipv4({ src: "10.213.50.20", dst: "10.213.50.1", proto: 1 }, icmp({ type: 8 }))) });
  }
  for (let i = 0; i < SYNS; i++) {
    const src = `${(i * 7919) % 200 + 20}.${(i >> 8) & 255}.${i & 255}.${(i * 31) & 255}`;
    packets.push({
      ts: BURST_START + ((BURST_END - BURST_START) * i) / SYNS,
      data: ethernet({ src: ATTACKER, dst: VICTIM_MAC, type: 0x0800 }, ipv4({ src, dst: "10.213.50.10", proto: 6 }, tcp({ sport: 1024 + i, dport: 80, flags: SYN }))),
    });
  }
  packets.sort((a, b) => a.ts - b.ts);
  const file = join(dir, "burst.pcap");
  writeFileSync(file, pcapBytes(1, packets));

  const { store, analyzers } = createThreatDetectors();
  const engine = new Engine();
  for (const a of analyzers) engine.addAnalyzer(a);
  // When the capture's clock first shows the threat (ticks come once per second of packet time).
  let reportedAt: number | null = null;
  engine.addAnalyzer({
    name: "probe",
    tick(now) {
      if (reportedAt === null && store.list().some((t) => t.type === "syn_flood")) reportedAt = now;
    },
  });
  const { summary } = await analyzeFile(file, { engine, collectFlows: false });
  expect(summary.analyzerErrors).toBe(0);

  const [t] = store.list().filter((x) => x.type === "syn_flood");
  expect(t).toMatchObject({ targetIp: "10.213.50.10", sourceIp: null, sourceMac: ATTACKER });
  // Judged once the grace (2 s) of the burst's flows has passed: long before the next update
  // (UPDATE + FLOW_UPDATE_SECONDS, which would not report them: they sent nothing since) or their end.
  expect(reportedAt).not.toBeNull();
  expect(reportedAt!).toBeLessThanOrEqual(BURST_END + 4);
  expect(t.evidence.halfOpen as number).toBeGreaterThanOrEqual(100);
});
