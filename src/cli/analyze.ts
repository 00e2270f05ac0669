/** `netinsight analyze FILE [--json] [--filter BPF]`: a report of one capture file. */
import { parseArgs } from "node:util";
import { analyzeFile } from "../engine/analyze.ts";
import { buildPipeline } from "../engine/pipeline.ts";
import {
  ANALYZE_FULL_GC_EVERY, ANALYZE_YOUNG_GC_NEW_FLOWS, ANALYZE_YOUNG_GC_PACKETS, DEFAULT_MAX_MEMORY_MB, MemoryGuard,
} from "../util/memory.ts";
import { buildReport, printHuman, writeJsonReport } from "./report.ts";
import { cliError } from "./errors.ts";
import { SpooledFlows } from "./flow-spool.ts";
import { ConfigError, loadExportConfig } from "../config.ts";
import { CollectorError } from "../export/collectors.ts";
import { attachExporter, exportSettings } from "../export/setup.ts";
import type { FlowExporter } from "../export/exporter.ts";

const HELP = `Usage: netinsight analyze FILE [options]

Reads a pcap or pcapng file and reports its flows (and devices, threats and protocols).

Options:
  --json            print one JSON object: { summary, flows, devices, threats, protocols }
  --filter BPF      only packets matching a BPF expression (tcpdump syntax)
  --max-flows N     flow table size (default 262144; the oldest idle flows are evicted beyond it)
  --max-memory-mb N collect garbage early to stay under this many MB (default 1024; the human
                    summary keeps every flow of the file whatever the cap, --json spools them
                    to a temporary file in TMPDIR)
  --blocklist FILE  an IP/CIDR or domain list for the blocklist detector (repeatable)
  --top N           flows listed in the human summary (default 20)
  --ipfix C         export every flow as IPFIX to collector C: HOST:PORT (UDP), udp://HOST:PORT or
                    tcp://HOST:PORT (repeatable; IPFIX_COLLECTORS)
  --netflow9 C      the same as NetFlow v9 (repeatable; NETFLOW9_COLLECTORS)
  --ipfix-biflow    IPFIX as RFC 5103 biflows instead of one record per direction (IPFIX_BIFLOW)
  -h, --help        show this help`;

/**
 * Packets between looks at the RSS: reading it after every batch of 2048 packets took ~0.1 ms a time
 * with a big file mapped, ~0.2 s over the 2.3 M-packet bench capture; the collections that keep it down come every
 * ANALYZE_YOUNG_GC_PACKETS anyway.
 */
const MEMORY_CHECK_PACKETS = 50_000;

/** Export queue per collector for a file, and how long the end of the run waits for it to go out. */
const EXPORT_QUEUE_BYTES = 1 << 30;
const EXPORT_DRAIN_MS = 120_000;

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean", default: false },
        filter: { type: "string" },
        "max-flows": { type: "string" },
        top: { type: "string" },
        blocklist: { type: "string", multiple: true },
        "max-memory-mb": { type: "string" },
        ipfix: { type: "string", multiple: true },
        netflow9: { type: "string", multiple: true },
        "ipfix-biflow": { type: "boolean" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    return cliError(`analyze: ${(e as Error).message}\n\n${HELP}`, 2);
  }
  const { values, positionals } = args;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) return cliError(`analyze: expected one capture file\n\n${HELP}`, 2);
  const maxFlows = values["max-flows"] === undefined ? undefined : Number(values["max-flows"]);
  if (maxFlows !== undefined && !(Number.isInteger(maxFlows) && maxFlows >= 16)) {
    return cliError("analyze: --max-flows must be a whole number of at least 16", 2);
  }
  const maxMemoryMb = values["max-memory-mb"] === undefined ? DEFAULT_MAX_MEMORY_MB : Number(values["max-memory-mb"]);
  if (!(Number.isInteger(maxMemoryMb) && maxMemoryMb >= 64)) return cliError("analyze: --max-memory-mb must be a whole number of at least 64", 2);
  const memory = new MemoryGuard({ capMb: maxMemoryMb });
  const top = values.top === undefined ? 20 : Number(values.top);
  if (!(Number.isInteger(top) && top >= 0)) return cliError("analyze: --top must be a whole number", 2);

  let exportConfig;
  try {
    exportConfig = loadExportConfig({
      flags: {
        IPFIX_COLLECTORS: values.ipfix?.join(","), NETFLOW9_COLLECTORS: values.netflow9?.join(","),
        IPFIX_BIFLOW: values["ipfix-biflow"] ? "true" : undefined,
      },
    });
  } catch (e) {
    if (e instanceof ConfigError) return cliError(`analyze: ${e.message}`, 2);
    throw e;
  }

  const showProgress = !values.json && process.stderr.isTTY;
  let lastProgress = 0;
  let nextMemoryCheck = 0;
  let spooled: SpooledFlows | null = null;
  try {
    const analysis = buildPipeline({ maxFlows, blocklists: values.blocklist });
    let exporter: FlowExporter | null = null;
    try {
      // A file may wait for its collectors (no capture to protect): a deep queue, drained at the end.
      const settings = await exportSettings(exportConfig, { queueBytes: EXPORT_QUEUE_BYTES });
      if (settings) exporter = await attachExporter(analysis.engine, settings);
    } catch (e) {
      if (e instanceof CollectorError) return cliError(`analyze: ${e.message}`, 2);
      throw e;
    }
    // --json keeps no flow: each one is spooled as JSON when it ends (the human summary keeps them).
    spooled = values.json ? new SpooledFlows(analysis.engine) : null;
    const result = await analyzeFile(positionals[0], {
      engine: analysis.engine,
      filter: values.filter,
      collectFlows: !spooled,
      gcEveryPackets: ANALYZE_YOUNG_GC_PACKETS,
      gcEveryNewFlows: ANALYZE_YOUNG_GC_NEW_FLOWS,
      gcFullEvery: ANALYZE_FULL_GC_EVERY,
      onProgress: (n) => {
        if (n >= nextMemoryCheck) {
          memory.check();
          nextMemoryCheck = n + MEMORY_CHECK_PACKETS;
        }
        if (showProgress && n - lastProgress >= 500_000) {
          lastProgress = n;
          process.stderr.write(`\r${n.toLocaleString("en")} packets...`);
        }
      },
    });
    if (lastProgress > 0) process.stderr.write("\r\x1b[K");
    if (exporter) {
      await exporter.close(EXPORT_DRAIN_MS);
      for (const p of exporter.problems()) console.error(`warning: ${p}`);
      for (const c of exporter.status()) if (!values.json) console.error(`exported ${c.records} ${c.format} records to ${c.collector}: ${c.sentMessages} messages sent, ${c.droppedMessages} dropped`);
    }
    if (spooled) {
      process.stdout.on("error", () => {}); // reported through writeStdout's callbacks
      await writeJsonReport(result, spooled, analysis, writeStdout);
    }
    else printHuman(buildReport(result, analysis), top);
    if (result.summary.readError) console.error(`warning: ${result.summary.readError} (the packets before it are in the report)`);
    return 0;
  } catch (e) {
    if (readerGone(e)) return 0;
    return cliError(`analyze: ${(e as Error).message}`, 1);
  } finally {
    spooled?.close();
  }
}

/**
 * Writes to stdout and waits until the chunk is written: the report is written in pieces and
 * reuses its byte array for the next one. Fails with EPIPE when the reader has gone (`| head`).
 */
function writeStdout(chunk: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (e) => (e ? reject(e) : resolve()));
  });
}

/** The reader of stdout closed it early: what it read was what it wanted, not an error. */
function readerGone(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === "EPIPE";
}
