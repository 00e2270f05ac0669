/**
 * Records the matrix's captures: for each recorded CASES.tsv row, a fresh lab (lab.ts), the row's
 * servers, tcpdump on the lab's bridge (snaplen and packet count from scenarios.ts keep each pcap
 * small), the real tool run in real time, and the pcap written to captures/<id>.pcap.
 *   sudo node_modules/.bin/bun test/detections/record.ts [id ...]    (no ids: every recorded row)
 * Needs root and the tools the rows name (see scripts/test-packages.txt).
 */
import { copyFileSync, existsSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CAPTURES, isRecorded, readCases } from "./cases.ts";
import { Lab, missingTools } from "./lab.ts";
import { prepare, type Row, runScenario, type Scenario, SCENARIOS } from "./scenarios.ts";

const MAX_BYTES = 300_000;

/** Something that watches the lab's bridge while a row plays: tcpdump (record) or openLive (live mode). */
export interface Watcher {
  start(lab: Lab, s: Scenario): Promise<void>;
  stop(): Promise<void>;
}

/** Plays one row in a fresh lab: servers up, the watcher on, the real tool run in real time, all torn down. */
export async function play(row: Row, tag: string, watcher: Watcher): Promise<void> {
  const s = SCENARIOS[row.id];
  if (!s) throw new Error(`${row.id}: no scenario in scenarios.ts`);
  const lab = new Lab(tag);
  try {
    lab.up();
    prepare(lab);
    await s.before?.(lab, row);
    await lab.start(s.servers);
    await watcher.start(lab, s);
    await runScenario(s)(lab, row);
    await Bun.sleep(1500);
  } finally {
    await watcher.stop().catch(() => undefined);
    lab.down();
  }
}

async function record(id: string, tag: string): Promise<void> {
  const row = readCases().find((r) => r.id === id);
  if (!row || !isRecorded(row)) throw new Error(`${id}: no recorded row of that name in CASES.tsv`);
  const tmp = join(tmpdir(), `matrix-record-${tag}.pcap`);
  rmSync(tmp, { force: true });
  let dump: ReturnType<typeof Bun.spawn> | null = null;
  let err = "";
  const t0 = Date.now();
  await play(row, tag, {
    async start(lab, s) {
      dump = Bun.spawn(["tcpdump", "-i", lab.bridge, "-s", String(s.snap), "-c", String(s.count), "-U", "-w", tmp],
        { stdout: "ignore", stderr: "pipe" });
      await Bun.sleep(1000);
    },
    async stop() {
      if (!dump) return;
      dump.kill("SIGINT");
      err = await new Response(dump.stderr as ReadableStream).text();
      await dump.exited;
    },
  });
  if (!existsSync(tmp)) throw new Error(`${id}: tcpdump wrote nothing: ${err}`);
  const out = join(CAPTURES, `${id}.pcap`);
  copyFileSync(tmp, out);
  rmSync(tmp, { force: true });
  const size = statSync(out).size;
  const packets = err.match(/(\d+) packets captured/)?.[1] ?? "?";
  console.log(`${id}: ${packets} packets, ${size} bytes, ${((Date.now() - t0) / 1000).toFixed(1)} s${size > MAX_BYTES ? "  (TOO BIG)" : ""}`);
}

if (import.meta.main) {
  if (process.getuid?.() !== 0) {
    console.error("record.ts needs root (network namespaces, tcpdump)");
    process.exit(2);
  }
  const missing = missingTools(["ip", "tcpdump", "dnsmasq", "socat", "curl", "dig"]);
  if (missing.length) {
    console.error(`record.ts needs: ${missing.join(", ")}`);
    process.exit(2);
  }
  const ids = process.argv.slice(2);
  const rows = ids.length ? ids : readCases().filter(isRecorded).map((r) => r.id);
  let failed = 0;
  for (const [n, id] of rows.entries()) {
    try {
      await record(id, String(4000 + ((process.pid + n) % 5000)));
    } catch (e) {
      failed++;
      console.error(`${id}: FAILED ${(e as Error).message}`);
    }
  }
  process.exit(failed ? 1 : 0);
}
