/**
 * What the analyzers keep alive: runs a capture through the full pipeline with only the analyzers
 * whose names start with one of the given prefixes (none given: every analyzer; "-": none, flows
 * only), and after a full collection at a packet count and at the end prints the JavaScript heap,
 * its live cells by kind (strings, objects, arrays, maps) and the RSS. Compare rows, one prefix at
 * a time, to see whose state holds what.
 *   bun bench/heap.ts FILE [PREFIX,PREFIX...|-] [--at PACKETS] [--top N]
 *   e.g. bun bench/heap.ts bench/out/bench-v2.pcap threats.port-scan --at 1500000
 */
import { heapStats } from "bun:jsc";
import { analyzeFile } from "../src/engine/analyze.ts";
import { Engine } from "../src/engine/engine.ts";
import type { Analyzer } from "../src/engine/events.ts";
import { buildPipeline } from "../src/engine/pipeline.ts";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const at = Number(opt("--at") ?? 1_500_000);
const top = Number(opt("--top") ?? 0);
const [file, which = ""] = args;
if (!file) throw new Error("usage: bun bench/heap.ts FILE [PREFIX,PREFIX...|-] [--at PACKETS] [--top N]");
const prefixes = which === "-" ? [] : which.split(",").filter(Boolean);
const all = which === "";

const add = Engine.prototype.addAnalyzer;
Engine.prototype.addAnalyzer = function (this: Engine, a: Analyzer) {
  if (all || prefixes.some((p) => a.name.startsWith(p))) add.call(this, a);
};
const { engine } = buildPipeline();
Engine.prototype.addAnalyzer = add;

const label = all ? "every analyzer" : prefixes.length ? prefixes.join(",") : "flows only";
function report(when: string): void {
  Bun.gc(true);
  const h = heapStats();
  const c = h.objectTypeCounts;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  console.log(
    `${label} @ ${when}: objects ${mb(h.heapSize - h.extraMemorySize)} MB, array buffers ${mb(h.extraMemorySize)} MB, ` +
      `${h.objectCount} cells (string ${c.string ?? 0}, Object ${c.Object ?? 0}, Array ${c.Array ?? 0}, Map ${c.Map ?? 0}, Set ${c.Set ?? 0}), ` +
      `rss ${mb(process.memoryUsage().rss)} MB`,
  );
  if (top > 0) {
    const rows = Object.entries(c).sort((x, y) => y[1] - x[1]).slice(0, top);
    console.log("  " + rows.map(([k, v]) => `${k} ${v}`).join(", "));
  }
}

let reported = false;
const { summary } = await analyzeFile(file, {
  engine, collectFlows: false,
  onProgress: (n) => {
    if (!reported && n >= at) {
      reported = true;
      report(`${n} packets`);
    }
  },
});
report(`end (${summary.packets} packets, ${summary.flows} flows)`);
