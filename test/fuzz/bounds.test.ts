/**
 * Bounded resources under a flood: ~200 k packets from ~200 k spoofed sources (SYN flood + random
 * UDP) through the Engine with every analyzer, in a subprocess so its memory is its own. The flow
 * table never passes its cap and counts evictions; devices and threats stay within their caps; the
 * heap kept after a full GC and the RSS peak stay below generous bounds. Long variant: bench/fuzz.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envNumber } from "./corpus.ts";
import { runFlood, writeFloodCapture } from "./flood.ts";

const PACKETS = envNumber("FLOOD_PACKETS", 200_000);
const SOURCES = envNumber("FLOOD_SOURCES", 200_000);
const MAX_FLOWS = 50_000;
/** Generous: the engine alone grows ~50 MB here; the analyzers' garbage lifts the peak to ~300-400 MB. */
const MAX_RSS_GROWTH_MB = 768;
/** What is still reachable after a full GC (the caps' worth of state), far below what the flood offered. */
const MAX_HEAP_AFTER_GC_MB = 160;

const dir = mkdtempSync(join(tmpdir(), "netinsight-flood-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bounded resources under a spoofed-source flood", () => {
  test(`${PACKETS} packets from ${SOURCES} sources, maxFlows ${MAX_FLOWS}, every analyzer`, async () => {
    const file = join(dir, "flood.pcap");
    await writeFloodCapture(file, PACKETS, SOURCES, 7);
    const r = await runFlood(file, MAX_FLOWS);
    console.log(
      `flood: ${r.packets} packets in ${r.seconds.toFixed(1)} s, flows created ${r.flowsCreated}, evicted ${r.flowsEvicted}, ` +
        `peak in table ${r.maxFlowsSeen}/${r.maxFlows}; devices peak ${r.maxDevicesSeen}/${r.deviceCap}; threats peak ${r.maxThreatsSeen}/${r.threatCap}; ` +
        `RSS ${r.rssBeforeMB.toFixed(0)} -> peak ${r.rssPeakMB.toFixed(0)} MB (+${r.rssGrowthMB.toFixed(0)}), heap after GC ${r.heapAfterGcMB.toFixed(0)} MB`,
    );
    expect(r.broken).toEqual([]);
    expect(r.packets).toBe(PACKETS);
    expect(r.analyzerErrors).toBe(0);
    expect(r.maxFlowsSeen).toBeLessThanOrEqual(MAX_FLOWS);
    expect(r.flowsCreated).toBeGreaterThan(MAX_FLOWS);
    expect(r.flowsEvicted).toBeGreaterThan(0);
    if (r.deviceCap !== null) {
      expect(r.maxDevicesSeen).toBeGreaterThan(0);
      expect(r.maxDevicesSeen).toBeLessThanOrEqual(r.deviceCap);
    }
    if (r.threatCap !== null) expect(r.maxThreatsSeen).toBeLessThanOrEqual(r.threatCap);
    expect(r.heapAfterGcMB).toBeLessThan(MAX_HEAP_AFTER_GC_MB);
    expect(r.rssGrowthMB).toBeLessThan(MAX_RSS_GROWTH_MB);
  }, 180_000);
});
