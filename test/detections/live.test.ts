/**
 * The detection matrix live: rows of CASES.tsv played in the lab (lab.ts, scenarios.ts) with the real
 * tools while openLive captures the lab's bridge into the same analysis `analyze` and `serve` run,
 * judged as the replay judges the recorded captures. Under root a short subset always runs (well
 * under two minutes); NI_MATRIX_LIVE=1 plays every recorded row (about twenty minutes), or
 * NI_MATRIX_LIVE=id,id the rows named. Needs root and the rows' tools; skipped otherwise.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { type LiveCapture, openLive } from "../../src/capture/live.ts";
import { buildPipeline } from "../../src/engine/pipeline.ts";
import { isKnownMiss, isRecorded, readCases } from "./cases.ts";
import { missingTools } from "./lab.ts";
import { play } from "./record.ts";
import { describeThreat, formatMatrix, judge, type Verdict } from "./verdict.ts";

/** Quick rows covering scans, floods, DNS, ARP, logins and a benign day. */
const SUBSET = ["nmap-sS", "syn-flood", "dga-60", "ssh-hydra-t16", "arpspoof", "web-sqli", "benign-browsing"];
const TOOLS = ["ip", "tcpdump", "dnsmasq", "socat", "curl", "dig", "nmap", "hping3", "hydra", "arpspoof", "sshd", "lighttpd"];

const env = process.env.NI_MATRIX_LIVE;
const wanted = env === "1" ? null : env ? env.split(",") : SUBSET;
const rows = readCases().filter((r) => isRecorded(r) && (wanted === null || wanted.includes(r.id)));
const missing = missingTools(TOOLS);
const canRun = process.getuid?.() === 0 && missing.length === 0;
if (!canRun) console.warn(`matrix live mode skipped: needs root and ${TOOLS.join(", ")} (missing: ${missing.join(", ") || "root"})`);

const verdicts: Verdict[] = [];

describe.skipIf(!canRun)("detection matrix, live in namespaces", () => {
  afterAll(() => {
    if (verdicts.length) console.log(`\nDetection matrix, live (${verdicts.length} rows)\n${formatMatrix(verdicts)}\n`);
  });

  rows.forEach((row, n) => {
    test(`${row.id} live: ${row.expect === "benign" ? "raises nothing" : `${row.expect} from ${row.source}`}`, async () => {
      const analysis = buildPipeline();
      const engine = analysis.engine;
      let cap: LiveCapture | undefined;
      let ticker: ReturnType<typeof setInterval> | undefined;
      await play(row, String(6000 + ((process.pid + n) % 3000)), {
        async start(lab) {
          cap = await openLive({ interface: lab.bridge });
          cap.start((batch, linkType) => engine.processBatch(batch, linkType));
          ticker = setInterval(() => engine.tickIdle(Date.now() / 1000), 250);
          await Bun.sleep(500);
        },
        async stop() {
          if (ticker) clearInterval(ticker);
          cap?.stop();
        },
      });
      engine.finish(); // what `analyze` does at the end of a file, and `serve` at the end of a --read
      analysis.threats.flush();
      const v = judge(row, analysis.threats.list());
      verdicts.push(v);
      expect(v.alarms.map(describeThreat)).toEqual([]);
      if (row.expect !== "benign" && !isKnownMiss(row)) {
        expect(v.hit ? "detected" : `missed; raised: ${v.threats.map(describeThreat).join("; ") || "nothing"}`).toBe("detected");
      }
    }, 600_000);
  });
});
