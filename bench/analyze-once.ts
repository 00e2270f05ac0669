/**
 * One timed `analyzeFile` run in its own process, so its peak RSS is the engine's alone.
 * Prints one JSON line: packets, flows, seconds, cpuSeconds, maxRssMB.
 */
import { analyzeFile } from "../src/engine/analyze.ts";

const [file, collect] = process.argv.slice(2);
const started = performance.now();
const cpuBefore = process.cpuUsage();
const { summary } = await analyzeFile(file, { collectFlows: collect === "collect" });
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
// CPU seconds of every thread (JIT and GC threads included): steadier than wall time on a busy machine.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
// resourceUsage().maxRSS is in kilobytes on Linux.
const maxRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ packets: summary.packets, flows: summary.flows, decodeErrors: summary.decodeErrors, seconds, cpuSeconds, maxRssMB }));
