/**
 * One timed `analyzeFile` run in its own process, so its peak RSS is the engine's alone.
 * Prints one JSON line: packets, flows, seconds, cpuSeconds, maxRssMB.
 * `bun bench/analyze-once.ts FILE [collect|full|records]`
 */
import { analyzeFile } from "../src/engine/analyze.ts";
import type { Analyzer } from "../src/engine/events.ts";

// mode: "" flows only; "collect" keep every FlowRecord; "full" every analyzer (devices, labels, threats);
// "records" one empty analyzer taking a FlowRecord at every flow start and end (what a record costs)
const [file, mode = ""] = process.argv.slice(2);
// Imported only for "full": loading every analyzer module (zod, crypto, ...) cost flows only ~0.1 s CPU, 0.2 s wall.
const engine = mode === "full" ? (await import("../src/engine/pipeline.ts")).buildPipeline().engine : undefined;
const analyzers: Analyzer[] = mode === "records" ? [{ name: "records", flowStarted() {}, flowEnded() {} }] : [];
const started = performance.now();
const cpuBefore = process.cpuUsage();
const { summary } = await analyzeFile(file, { engine, analyzers, collectFlows: mode === "collect" });
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
// CPU seconds of every thread (JIT and GC threads included): steadier than wall time on a busy machine.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
// resourceUsage().maxRSS is in kilobytes on Linux.
const maxRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ packets: summary.packets, flows: summary.flows, decodeErrors: summary.decodeErrors, seconds, cpuSeconds, maxRssMB }));
