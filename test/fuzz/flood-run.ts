/**
 * Runs a capture through the Engine with every analyzer, in its own process so RSS is its own:
 * `bun test/fuzz/flood-run.ts FILE MAX_FLOWS` prints one JSON line of peaks and counts.
 */
import { heapStats } from "bun:jsc";
import { openOffline } from "../../src/capture/offline.ts";
import { Engine } from "../../src/engine/engine.ts";
import { loadAnalyzers } from "./analyzers.ts";

const [file, maxFlowsArg] = process.argv.slice(2);
const maxFlows = Number(maxFlowsArg);
const set = await loadAnalyzers();
// FLOOD_ONLY=devices,threats.syn-flood keeps only those analyzers (finding which one grows).
const only = process.env.FLOOD_ONLY?.split(",");
const analyzers = only ? set.analyzers.filter((a) => only.some((n) => a.name.startsWith(n))) : set.analyzers;
const engine = new Engine({ analyzers, maxFlows });
set.bindEngine(engine);
const source = await openOffline(file);
Bun.gc(true);
const rssBefore = process.memoryUsage.rss();
let rssPeak = rssBefore, maxFlowsSeen = 0, maxDevices = 0, maxThreats = 0, batches = 0;
// FLOOD_GC_EVERY=n: a non-blocking GC every n batches (how much of the RSS peak is uncollected garbage).
const gcEvery = Number(process.env.FLOOD_GC_EVERY ?? 0);
const started = performance.now();
for (let batch = source.next(); batch; batch = source.next()) {
  engine.processBatch(batch, source.linkType);
  if (gcEvery > 0 && batches % gcEvery === 0) Bun.gc(false);
  maxFlowsSeen = Math.max(maxFlowsSeen, engine.flows.size);
  // Device and threat counts cost a list() each: sample them every few batches.
  if (batches++ % 8 === 0) {
    maxDevices = Math.max(maxDevices, set.deviceCount() ?? 0);
    maxThreats = Math.max(maxThreats, set.threatCount() ?? 0);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }
}
source.close();
const seconds = (performance.now() - started) / 1000;
maxDevices = Math.max(maxDevices, set.deviceCount() ?? 0);
maxThreats = Math.max(maxThreats, set.threatCount() ?? 0);
rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
const { stats } = engine;
Bun.gc(true);
const rssAfterGc = process.memoryUsage.rss();
const heapAfterGc = heapStats().heapSize;
engine.finish();
console.log(JSON.stringify({
  packets: stats.packets, seconds, flowsCreated: stats.flowsCreated, flowsEvicted: stats.flowsEvicted, maxFlows, maxFlowsSeen,
  devices: set.deviceCount(), maxDevicesSeen: maxDevices, deviceCap: set.maxDevices,
  threats: set.threatCount(), maxThreatsSeen: maxThreats, threatCap: set.maxThreats,
  analyzerErrors: stats.analyzerErrors + set.takeErrors().length, analyzers: set.names.length, missing: set.missing, broken: set.broken,
  rssBeforeMB: rssBefore / 2 ** 20, rssAfterGcMB: rssAfterGc / 2 ** 20, heapAfterGcMB: heapAfterGc / 2 ** 20, rssPeakMB: rssPeak / 2 ** 20, rssGrowthMB: (rssPeak - rssBefore) / 2 ** 20,
}));
