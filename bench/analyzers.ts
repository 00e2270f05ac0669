/**
 * Where the full pipeline's time goes: every analyzer hook is timed (wall clock per call, summed
 * per analyzer and hook) while one capture runs through `buildPipeline`. For finding hot spots;
 * the timer adds its own cost to every call, so compare rows, not totals.
 * `bun bench/analyzers.ts FILE`
 */
import { analyzeFile } from "../src/engine/analyze.ts";
import { Engine } from "../src/engine/engine.ts";
import type { Analyzer } from "../src/engine/events.ts";
import { buildPipeline } from "../src/engine/pipeline.ts";

const HOOKS = [
  "observe", "flowStarted", "flowEnded", "flowUpdated", "payload", "tick",
  "flowStartedAt", "flowEndedAt", "flowUpdatedAt", "payloadAt",
] as const;
const spent = new Map<string, { ms: number; calls: number }>();

const add = Engine.prototype.addAnalyzer;
Engine.prototype.addAnalyzer = function (a: Analyzer) {
  // A plain object (not Object.create(a)): hooks run on `a` itself, so #private fields stay reachable.
  const timed: Record<string, unknown> = {
    name: a.name, wants: a.wants, updateFilter: a.updateFilter, payloadFilter: a.payloadFilter,
  };
  for (const hook of HOOKS) {
    const fn = (a as unknown as Record<string, ((...args: unknown[]) => void) | undefined>)[hook];
    if (!fn) continue;
    const row = { ms: 0, calls: 0 };
    spent.set(`${a.name}.${hook}`, row);
    timed[hook] = (...args: unknown[]) => {
      const t = performance.now();
      try {
        fn.apply(a, args);
      } finally {
        row.ms += performance.now() - t;
        row.calls++;
      }
    };
  }
  add.call(this, timed as unknown as Analyzer);
};

const file = process.argv[2];
const started = performance.now();
const { summary } = await analyzeFile(file, { engine: buildPipeline().engine, collectFlows: false });
const total = performance.now() - started;
const rows = [...spent].filter(([, r]) => r.calls > 0).sort((a, b) => b[1].ms - a[1].ms);
console.log(`${summary.packets} packets, ${summary.flows} flows, ${total.toFixed(0)} ms in all`);
for (const [name, r] of rows) console.log(`${r.ms.toFixed(0).padStart(7)} ms ${String(r.calls).padStart(9)} calls  ${name}`);
