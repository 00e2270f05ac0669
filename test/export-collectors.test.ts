/**
 * IPFIX / NetFlow v9 export against real collectors: after `analyze FILE --json --ipfix ...`, the
 * collector holds every flow of the report with the same packets and bytes in each direction.
 * nfdump's nfcapd (uniflow, RFC 5103 biflow, NetFlow v9, IPFIX over TCP) and pmacct's nfacctd.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { corpusFile, corpusNote } from "./corpus.ts";
import { freePort } from "./support/net.ts";
import { analyzeJson, have, matchFlows, ROOT, startNfacctd, startNfcapd, type Collector } from "./export/collectors.ts";

const SAMPLE = join(ROOT, "samples", "home-lab.pcap");
/** Corpus captures: VLANs, IPv6, TLS, SLL link type, pcapng, a brute force, a web attack, thousands of connections. */
const CORPUS = [
  "vlan/ndpi_bot.pcap", "vlan/zeek_mixed-vlan-mpls.pcap", "ipv6/suri_rsmurf6.pcap", "lan_mixed/suri_tls-subjectaltname.pcap",
  "linktypes/ndpi_KakaoTalk_talk.pcap", "pcapng/zeek_pcapng-multi-interface.pcapng", "bruteforce/zeek_sshguess.pcap",
  "attacks/ndpi_WebattackRCE.pcap", "stress/zeek_echo-connections.pcap",
];
const TIMEOUT = 180_000;

interface Case { name: string; file: string }
function cases(): Case[] {
  const out: Case[] = [{ name: "home-lab.pcap", file: SAMPLE }];
  for (const rel of CORPUS) {
    const f = corpusFile(rel);
    if (f) out.push({ name: rel, file: f });
    else console.warn(`export: ${rel} skipped ${corpusNote || "(not in the corpus)"}`);
  }
  return out;
}

/** Runs every case through one collector kind and prints the match rate; returns [matched, total]. */
async function matchRate(label: string, start: (port: number) => Promise<Collector>, flags: (port: number) => string[], check?: (c: Collector) => void, only = cases()) {
  let matched = 0, total = 0;
  for (const c of only) {
    const port = await freePort();
    const collector = await start(port);
    const run = await analyzeJson(c.file, flags(port));
    const got = await collector.stop();
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("dropped");
    const m = matchFlows(run.flows, got);
    console.log(`export ${label}: ${c.name}: ${m.matched}/${m.total} flows match${m.misses.length ? `\n  ${m.misses.join("\n  ")}\n  exporter: ${run.stderr.trim()}\n  collector: ${collector.log().trim()}` : ""}`);
    matched += m.matched;
    total += m.total;
    check?.(collector);
  }
  console.log(`export ${label}: match rate ${matched}/${total} = ${((100 * matched) / Math.max(1, total)).toFixed(2)} %`);
  return [matched, total];
}

const nfdump = have("nfcapd") && have("nfdump");
const pmacct = have("nfacctd");
if (!nfdump) console.warn("export tests: nfcapd/nfdump not installed (Debian package nfdump): nfdump cases skipped");
if (!pmacct) console.warn("export tests: nfacctd not installed (Debian package pmacct): pmacct cases skipped");

/** nfcapd counts gaps in the IPFIX sequence numbers and says so when it stops. */
const noSequenceErrors = (c: Collector) => expect(c.log()).toMatch(/Sequence Errors: 0\b/);

describe.skipIf(!nfdump)("export to nfdump (nfcapd)", () => {
  test("IPFIX, one record per direction: nfdump shows every flow with the same packets and bytes each way", async () => {
    const [matched, total] = await matchRate("ipfix uniflow -> nfcapd", startNfcapd, (p) => ["--ipfix", `127.0.0.1:${p}`], noSequenceErrors);
    expect(total).toBeGreaterThan(300);
    expect(matched).toBe(total);
  }, TIMEOUT);

  test("IPFIX RFC 5103 biflows: nfdump shows the reverse counters as out packets / bytes", async () => {
    const [matched, total] = await matchRate("ipfix biflow -> nfcapd", startNfcapd, (p) => ["--ipfix", `127.0.0.1:${p}`, "--ipfix-biflow"], noSequenceErrors);
    expect(matched).toBe(total);
  }, TIMEOUT);

  test("NetFlow v9", async () => {
    const [matched, total] = await matchRate("netflow9 -> nfcapd", startNfcapd, (p) => ["--netflow9", `127.0.0.1:${p}`], noSequenceErrors);
    expect(matched).toBe(total);
  }, TIMEOUT);
});

describe.skipIf(!pmacct)("export to pmacct (nfacctd)", () => {
  test("IPFIX, one record per direction: nfacctd counts every flow's packets and bytes each way", async () => {
    const [matched, total] = await matchRate("ipfix uniflow -> nfacctd", startNfacctd, (p) => ["--ipfix", `127.0.0.1:${p}`]);
    expect(total).toBeGreaterThan(300);
    expect(matched).toBe(total);
  }, TIMEOUT);

  test("NetFlow v9 (the bundled sample)", async () => {
    const [matched, total] = await matchRate("netflow9 -> nfacctd", startNfacctd, (p) => ["--netflow9", `127.0.0.1:${p}`], undefined, cases().slice(0, 1));
    expect(total).toBeGreaterThan(300);
    expect(matched).toBe(total);
  }, TIMEOUT);
});
