import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { analyzeFile } from "../engine/analyze.ts";
import { buildPipeline } from "../engine/pipeline.ts";
import { SpooledFlows } from "./flow-spool.ts";
import { buildReport, keptFlows, writeJsonReport } from "./report.ts";

const SAMPLE = join(import.meta.dir, "..", "..", "samples", "home-lab.pcap");

async function reportText(spool: boolean, gcEveryPackets?: number): Promise<string> {
  const analysis = buildPipeline();
  const spooled = spool ? new SpooledFlows(analysis.engine) : null;
  const result = await analyzeFile(SAMPLE, { engine: analysis.engine, collectFlows: !spooled, gcEveryPackets });
  const parts: (string | Uint8Array)[] = [];
  await writeJsonReport(result, spooled ?? keptFlows(result.flows), analysis, (c) => { parts.push(typeof c === "string" ? c : Uint8Array.from(c)); });
  spooled?.close();
  return Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p))).toString("utf8");
}

describe("writeJsonReport", () => {
  test("kept or spooled flows: the bytes of JSON.stringify(buildReport(...)) + newline", async () => {
    const analysis = buildPipeline();
    const whole = JSON.stringify(buildReport(await analyzeFile(SAMPLE, { engine: analysis.engine }), analysis)) + "\n";
    const kept = await reportText(false);
    const spooled = await reportText(true);
    expect(JSON.parse(whole).flows.length).toBeGreaterThan(10);
    expect(kept).toBe(whole);
    expect(spooled).toBe(whole);
    expect(await reportText(true, 100)).toBe(whole); // collecting garbage on the way changes nothing
  });
});
