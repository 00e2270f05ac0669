/**
 * `serve --read` raises what `analyze --json` raises (issue 12, item 5): every matrix capture fed
 * through the service (its pipeline, storage and REST API) and read back from /api/threats must give
 * the same threats as the analyze report: same types, sources, targets and counts. At the end of the
 * file every open flow goes through the detectors and the device counters, and no flow stays active. The pipeline runs in the
 * test's thread (`serve --single-thread`): the same service code the worker runs, without a second copy
 * of libpcap loaded into this process.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toApiThreat } from "../../src/api/convert.ts";
import { ConfigSchema } from "../../src/config.ts";
import { analyzeFile } from "../../src/engine/analyze.ts";
import { buildPipeline } from "../../src/engine/pipeline.ts";
import { runService } from "../../src/server/run.ts";
import { CORPUS } from "../corpus.ts";
import { freePort } from "../support/net.ts";
import { corpusBenign, readCases } from "./cases.ts";

const TOKEN = "matrix-equality-token-0123456789";
const work = mkdtempSync(join(tmpdir(), "ni-matrix-serve-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type ApiThreat = ReturnType<typeof toApiThreat>;
/** What must agree: the threat, whom it names, and how often it was seen. */
const key = (t: ApiThreat) => [t.type, t.sourceIp ?? "-", t.sourceMac ?? "-", t.targetIp ?? "-", t.targetPort ?? "-", `x${t.count}`].join(" ");

/** Each device's traffic counters: a short file's flows must reach them in serve as in analyze. */
const counters = (d: { mac: string; packetsSent: number; bytesSent: number; packetsReceived: number; bytesReceived: number }) =>
  `${d.mac} ${d.packetsSent}/${d.bytesSent} ${d.packetsReceived}/${d.bytesReceived}`;

async function viaAnalyze(pcap: string): Promise<{ threats: string[]; devices: string[]; flowPackets: number; spanHours: number }> {
  const analysis = buildPipeline();
  const { flows } = await analyzeFile(pcap, { engine: analysis.engine });
  analysis.threats.flush();
  analysis.devices.flush();
  return {
    threats: analysis.threats.list().map(toApiThreat).map(key).sort(), devices: analysis.devices.list().map(counters).sort(),
    flowPackets: flows.reduce((n, f) => n + f.packetsSent + f.packetsReceived, 0),
    spanHours: flows.length === 0 ? 0 : (Math.max(...flows.map((f) => f.lastSeen)) - Math.min(...flows.map((f) => f.startTime))) / 3600,
  };
}

interface Served {
  threats: string[];
  devices: string[];
  activeFlows: number;
  rolledUpPackets: number;
  status: Record<string, unknown>;
  /** With `ws`: each threat's last state as the WebSocket told it, and the last stats message. */
  wsThreats?: string[];
  wsLastStats?: { activeFlows: number; packets: number };
}

async function viaServe(pcap: string, n: number, ws = false): Promise<Served> {
  const config = ConfigSchema.parse({
    DATABASE_PATH: join(work, `serve-${n}.db`), HOST: "127.0.0.1", PORT: String(await freePort()), API_TOKEN: TOKEN, LOG_LEVEL: "error",
  });
  const svc = await runService(config, { inProcess: true });
  const get = async (path: string) => {
    const r = await fetch(`${svc.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as Record<string, unknown>;
  };
  const wsThreats = new Map<string, ApiThreat>();
  let wsLastStats: Served["wsLastStats"];
  let socket: WebSocket | null = null;
  try {
    if (ws) {
      socket = new WebSocket(`${svc.url.replace(/^http/, "ws")}/ws?token=${TOKEN}&topics=threat,stats`);
      socket.addEventListener("message", (e) => {
        const m = JSON.parse(String(e.data));
        if (m.type === "threat") wsThreats.set(m.threat.id, m.threat);
        if (m.type === "stats") wsLastStats = m;
      });
      await new Promise((r, j) => {
        socket!.addEventListener("open", r);
        socket!.addEventListener("error", j);
      });
    }
    await svc.feedFile(pcap, 0);
    let status = await get("/api/capture/status");
    for (let i = 0; status.running && i < 600; i++) {
      await Bun.sleep(50);
      status = await get("/api/capture/status");
    }
    const { threats } = (await get("/api/threats?limit=1000")) as { threats: ApiThreat[] };
    const flows = (await get("/api/flows?status=active&limit=1")) as { total?: number; flows: unknown[] };
    const { devices } = (await get("/api/devices")) as { devices: Parameters<typeof counters>[0][] };
    // The traffic rollups (throughput, protocols) hold every packet of every flow, the last second's too.
    const { services } = (await get("/api/protocols")) as { services: { packets: number }[] };
    // The WebSocket coalesces threats per 500 ms window and sends stats every second: wait (boundedly)
    // until it has said what the API says, or give up and let the assertions show the difference.
    const apiKeys = JSON.stringify(threats.map(key).sort());
    const settled = () => wsLastStats?.activeFlows === 0 && JSON.stringify([...wsThreats.values()].map(key).sort()) === apiKeys;
    for (let waited = 0; ws && !settled() && waited < 10_000; waited += 100) await Bun.sleep(100);
    return {
      threats: threats.map(key).sort(), devices: devices.map(counters).sort(), activeFlows: flows.total ?? flows.flows.length,
      rolledUpPackets: services.reduce((n, x) => n + x.packets, 0), status,
      wsThreats: ws ? [...wsThreats.values()].map(key).sort() : undefined, wsLastStats,
    };
  } finally {
    socket?.close();
    await svc.stop();
  }
}

const cases = readCases();
/** Every matrix capture; with the corpus, its benign captures too (a detector must stay as silent in serve). */
const rows = [...cases.filter((r) => r.pcap.startsWith("captures/") || CORPUS), ...corpusBenign(cases, CORPUS)
  // malformed/ holds captures that must fail cleanly (test/golden/malformed.test.ts), not be compared.
  .filter((r) => !r.pcap.startsWith("corpus:malformed/"))];
const pathOf = (p: string) => (p.startsWith("corpus:") ? join(CORPUS!, p.slice(7)) : join(import.meta.dir, p));

describe("serve --read + /api/threats agrees with analyze --json on every matrix capture", () => {
  rows.forEach((row, n) => {
    const pcap = pathOf(row.pcap);
    test.skipIf(!existsSync(pcap))(`${row.id}`, async () => {
      const expected = await viaAnalyze(pcap);
      const got = await viaServe(pcap, n);
      expect(got.threats).toEqual(expected.threats);
      expect(got.devices).toEqual(expected.devices);
      // /api/protocols answers for the last 24 hours: some corpus captures carry timestamps years apart.
      if (expected.spanHours < 23) expect(got.rolledUpPackets).toBe(expected.flowPackets);
      expect(got.status.running).toBe(false);
      expect(got.activeFlows).toBe(0);
    }, 60_000);
  });
});

/** The example (a scan whose last burst was lost), a login guess, a DGA burst: what the WebSocket says last. */
const WS_ROWS = ["nmap-sS", "ssh-hydra-t4", "dga-300", "corpus-synscan"];

describe("the WebSocket ends a --read file where analyze ends it", () => {
  for (const row of rows.filter((r) => WS_ROWS.includes(r.id))) {
    const pcap = pathOf(row.pcap);
    test.skipIf(!existsSync(pcap))(`${row.id}: last threat states and stats over /ws`, async () => {
      const expected = await viaAnalyze(pcap);
      const got = await viaServe(pcap, 1000 + WS_ROWS.indexOf(row.id), true);
      expect(got.wsThreats).toEqual(expected.threats);
      expect(got.wsLastStats?.activeFlows).toBe(0);
    }, 60_000);
  }
});
