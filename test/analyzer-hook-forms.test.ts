/**
 * The device tracker and the flow labeler have two forms of their flow hooks: the numeric ones the
 * engine calls (flowStartedAt / flowEndedAt, read from the flow table) and the FlowRecord ones
 * (tests, other callers). Both must say the same: on corpus captures, the devices and every flow's
 * labels come out equal whichever form the engine is given, and whether the numeric hooks label flows
 * by id text (labelFlow) or by table index (labelFlowAt, as the pipeline wires them).
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import path from "node:path";
import { FlowLabeler } from "../src/analytics/labeler.ts";
import { DeviceTracker } from "../src/devices/tracker.ts";
import { analyzeFile } from "../src/engine/analyze.ts";
import { Engine } from "../src/engine/engine.ts";
import type { Analyzer } from "../src/engine/events.ts";

const PCAPS = path.resolve(import.meta.dir, "..", "../shared/pcaps");
const present = existsSync(path.join(PCAPS, "MANIFEST.tsv"));
if (!present) console.warn(`analyzer-hook-forms skipped: ${PCAPS} is absent (CI provides ../shared/pcaps)`);

/** DHCP, DNS, TLS, HTTP, mDNS/SSDP, IPv6 and a gateway with many remote addresses between them. */
const CAPTURES = [
  "dhcp/ndpi_1kxun.pcap", "dhcp/ndpi_iphone.pcap", "dns/zeek_wikipedia.pcap", "dns/ndpi_dns_doh.pcap",
  "mdns_dnssd", "ssdp_upnp", "ipv6", "lan_mixed", "iot_devices",
];

/** The analyzer with only its record hooks (what the engine called before the numeric ones existed). */
function recordForm(a: DeviceTracker | FlowLabeler): Analyzer {
  return {
    name: a.name, wants: a.wants,
    observe: (o) => a.observe(o),
    flowStarted: (f) => a.flowStarted(f),
    flowEnded: (f, r) => a.flowEnded(f, r),
    tick: a instanceof DeviceTracker ? (now) => a.tick(now) : undefined,
  };
}

async function run(file: string, form: "record" | "numeric" | "index") {
  const engine = new Engine();
  const label = (id: string, patch: Parameters<Engine["flows"]["label"]>[1]) => { engine.flows.label(id, patch); };
  const labelAt = form === "index" ? (i: number, patch: Parameters<Engine["flows"]["labelAt"]>[1]) => { engine.flows.labelAt(i, patch); } : undefined;
  const devices = new DeviceTracker({ labelFlow: label, labelFlowAt: labelAt });
  const labeler = new FlowLabeler({ labelFlow: label, labelFlowAt: labelAt });
  for (const a of [devices, labeler]) engine.addAnalyzer(form === "record" ? recordForm(a) : a);
  const { flows } = await analyzeFile(file, { engine });
  devices.flush();
  return { devices: devices.list(), flows };
}

function captures(): string[] {
  const out: string[] = [];
  for (const c of CAPTURES) {
    const p = path.join(PCAPS, c);
    if (!existsSync(p)) continue;
    if (c.endsWith(".pcap")) out.push(p);
    else for (const f of new Bun.Glob("*.{pcap,pcapng}").scanSync(p)) out.push(path.join(p, f));
  }
  return out;
}

describe.skipIf(!present)("numeric and record flow hooks agree", () => {
  for (const file of present ? captures() : []) {
    test(path.relative(PCAPS, file), async () => {
      const numeric = await run(file, "numeric");
      const record = await run(file, "record");
      const index = await run(file, "index");
      expect(numeric.flows.length).toBeGreaterThan(0);
      expect(numeric.devices).toEqual(record.devices);
      expect(numeric.flows).toEqual(record.flows);
      expect(index.devices).toEqual(record.devices);
      expect(index.flows).toEqual(record.flows);
    }, 60_000);
  }
});
