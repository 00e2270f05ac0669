/**
 * Golden threat tests on the shared corpus: attack captures raise the expected threat with the right
 * source (Zeek's notice.log names it for the brute-force captures); benign captures raise no scan,
 * flood, brute-force, spoofing or tunnel threat. Skipped when ../shared/pcaps is absent.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFile } from "../src/engine/analyze.ts";
import { createThreatDetectors, type Threat } from "../src/threats/index.ts";
import { CORPUS, corpusNote } from "./corpus.ts";

async function threatsOf(rel: string, blocklists: string[] = []): Promise<Threat[]> {
  const { store, analyzers } = createThreatDetectors({ blocklists });
  const { summary } = await analyzeFile(join(CORPUS!, rel), { analyzers });
  expect(summary.analyzerErrors).toBe(0);
  return store.list();
}

const ofType = (ts: Threat[], type: string) => ts.filter((t) => t.type === type);

/** The `src` column of Zeek's notice.log (the attacker Zeek named). */
function zeekNoticeSources(rel: string): string[] {
  const lines = readFileSync(join(CORPUS!, rel), "utf8").split("\n");
  const fields = lines.find((l) => l.startsWith("#fields"))!.split("\t").slice(1);
  const src = fields.indexOf("src");
  return lines.filter((l) => l && !l.startsWith("#")).map((l) => l.split("\t")[src]);
}

/** The threats a benign capture must never raise. */
const ATTACK_TYPES = ["port_scan", "host_sweep", "syn_flood", "icmp_flood", "udp_flood", "brute_force", "dns_tunneling",
  "dga", "arp_spoofing", "rogue_dhcp", "dhcp_starvation", "rogue_router_advertisement"];

describe.skipIf(!CORPUS)(`threats on the corpus ${corpusNote}`, () => {
  test("scan/ndpi_synscan: a 1000-port SYN scan, reported as a scan (not a SYN flood)", async () => {
    const ts = await threatsOf("scan/ndpi_synscan.pcap");
    const [scan] = ofType(ts, "port_scan");
    expect(scan).toMatchObject({ sourceIp: "172.16.0.8", targetIp: "64.13.134.52", severity: "high" });
    expect(scan.evidence.ports as number).toBeGreaterThanOrEqual(900);
    expect(ofType(ts, "syn_flood")).toEqual([]);
  });

  test("scan/ndpi_tcp_scan: FIN, NULL and Xmas probes make a stealth scan", async () => {
    const [scan] = ofType(await threatsOf("scan/ndpi_tcp_scan.pcapng"), "port_scan");
    expect(scan).toMatchObject({ sourceIp: "192.168.1.178", targetIp: "192.168.1.2" });
    expect(scan.evidence.scanTypes).toEqual(expect.arrayContaining(["FIN", "NULL", "Xmas"]));
  });

  test("scan/zeek_nmap-vsn: nmap's ARP sweep of a /24", async () => {
    const [sweep] = ofType(await threatsOf("scan/zeek_nmap-vsn.pcap"), "host_sweep");
    expect(sweep).toMatchObject({ sourceIp: "192.168.1.71", sourceMac: "c4:2c:03:3b:6c:aa" });
    expect(sweep.evidence.method).toBe("ARP");
    expect(sweep.evidence.hosts as number).toBeGreaterThanOrEqual(200);
  });

  test("bruteforce/zeek_sshguess: SSH password guessing from the source Zeek names", async () => {
    const [zeekSrc] = zeekNoticeSources("bruteforce/zeek_sshguess.pcap.zeek.notice.log");
    const [bf] = ofType(await threatsOf("bruteforce/zeek_sshguess.pcap"), "brute_force");
    expect(bf).toMatchObject({ sourceIp: zeekSrc, targetIp: "192.168.56.103", targetPort: 22 });
    expect(bf.evidence.service).toBe("SSH");
    // Zeek saw 10 guessing connections (its limit); the capture has 11 sessions.
    expect(bf.evidence.shortConnections as number).toBeGreaterThanOrEqual(10);
  });

  test("bruteforce/zeek_ftp_bruteforce: FTP failed logins from the source Zeek names", async () => {
    const [zeekSrc] = zeekNoticeSources("bruteforce/zeek_ftp_bruteforce.pcap.zeek.notice.log");
    const ts = await threatsOf("bruteforce/zeek_ftp_bruteforce.pcap");
    const [bf] = ofType(ts, "brute_force");
    expect(bf).toMatchObject({ sourceIp: zeekSrc, targetIp: "192.168.56.101", targetPort: 21 });
    expect(bf.evidence.failedLogins as number).toBeGreaterThanOrEqual(20); // "had 20 failed logins"
    // Zeek's ftp.log has one row per login session, with the user name (and the password hidden).
    const ftpLog = readFileSync(join(CORPUS!, "bruteforce/zeek_ftp_bruteforce.pcap.zeek.ftp.log"), "utf8")
      .split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split("\t"));
    const [creds] = ofType(ts, "cleartext_credentials");
    expect(creds).toMatchObject({ sourceIp: zeekSrc, count: ftpLog.length });
    expect(creds.evidence.user).toBe(ftpLog[0][6]);
    expect(Object.keys(creds.evidence).sort()).toEqual(["protocol", "user"]); // never the secret
  });

  test.each([
    ["dns_tunnel/ndpi_bad-dns-traffic.pcap", "192.168.43.91", "skullseclabs.org"],
    ["dns_tunnel/ndpi_dns-tunnel-iodine.pcap", "10.0.2.30", "pirate.sea"],
    ["dns_tunnel/ndpi_dns_exfiltration.pcap", "192.168.220.56", null],
    ["dns_tunnel/ndpi_dns-exf.pcap", "192.168.2.225", null],
  ])("%s: DNS tunnel from %s", async (rel, src, domain) => {
    const tunnels = ofType(await threatsOf(rel), "dns_tunneling");
    expect(tunnels.length).toBe(1);
    expect(tunnels[0].sourceIp).toBe(src);
    if (domain) expect(tunnels[0].evidence.domain).toBe(domain);
  });

  test("dns_tunnel/ndpi_dns2tcp_tunnel: the capture holds only DNS-over-HTTPS to 1.1.1.1 by address, without SNI", async () => {
    const [t] = ofType(await threatsOf("dns_tunnel/ndpi_dns2tcp_tunnel.pcap"), "dns_tunneling");
    expect(t).toMatchObject({ sourceIp: "192.168.20.211", targetIp: "1.1.1.1", severity: "medium" });
  });

  test.each([
    ["attacks/ndpi_WebattackSQLinj.pcap", "sql_injection", "172.16.0.1", "192.168.10.50"],
    ["attacks/ndpi_xss.pcap", "xss", "192.168.3.109", "192.168.3.107"],
    ["attacks/ndpi_WebattackRCE.pcap", "command_injection", "127.0.0.1", "127.0.0.1"],
    ["attacks/ndpi_WebattackRCE.pcap", "path_traversal", "127.0.0.1", "127.0.0.1"],
    ["attacks/ndpi_log4j-webapp-exploit.pcap", "log4shell", "172.16.238.1", "172.16.238.10"],
  ])("%s: HTTP request risk %s from %s to %s", async (rel, type, src, dst) => {
    const [t] = ofType(await threatsOf(rel), type);
    expect(t).toMatchObject({ sourceIp: src, targetIp: dst });
    expect((t.evidence.rules as string[]).length).toBeGreaterThan(0);
  });

  test("attacks/zeek_heartbleed-success: the attacker and server Zeek's notice names; the 16 KB answer marks a probable leak", async () => {
    const [zeekSrc] = zeekNoticeSources("attacks/zeek_heartbleed-success.pcap.zeek.notice-heartbleed-success.log");
    const [t] = ofType(await threatsOf("attacks/zeek_heartbleed-success.pcap"), "heartbleed");
    expect(t).toMatchObject({ sourceIp: zeekSrc, targetIp: "107.170.241.107", targetPort: 443, severity: "critical" });
    expect(t.evidence).toMatchObject({ largestRequestBytes: 16368, largestResponseBytes: 16384 }); // Zeek: record 16368, message 16384
  });

  test("attacks/ndpi_emotet: the two DLL downloads nDPI flags as binary transfers, from the infected hosts", async () => {
    const rows = ofType(await threatsOf("attacks/ndpi_emotet.pcap"), "malware_download").map((t) => `${t.sourceIp} ${t.targetIp}`).sort();
    expect(rows).toEqual(["10.4.20.102 107.161.178.210", "10.4.25.101 77.105.36.156"]);
  });

  test("attacks/ndpi_trickbot: the POST check-in to a bare IP on port 7080 with an MSIE 7 on Windows 10 agent", async () => {
    const [t] = ofType(await threatsOf("attacks/ndpi_trickbot.pcap"), "malware_c2");
    expect(t).toMatchObject({ sourceIp: "10.12.29.101", targetIp: "82.118.225.196", targetPort: 7080 });
    expect(t.evidence.traits).toEqual(expect.arrayContaining(["impossible-user-agent", "non-standard-port"]));
  });

  test("attacks/suri_zerologon-bug-5162: Netlogon authentications with all-zero credentials, all denied", async () => {
    const [t] = ofType(await threatsOf("attacks/suri_zerologon-bug-5162.pcap"), "zerologon");
    expect(t).toMatchObject({ sourceIp: "192.168.56.104", targetIp: "192.168.56.102", targetPort: 49674 });
    expect(t.evidence.zeroCredentials as number).toBeGreaterThanOrEqual(5);
    expect(t.evidence.accepted).toBe(0);
  });

  test("stress/zeek_echo-connections: 500 echo clients connecting at once complete their handshakes: no SYN flood", async () => {
    expect(ofType(await threatsOf("stress/zeek_echo-connections.pcap"), "syn_flood")).toEqual([]);
  });

  test("attacks/suri_denial6-6: THC denial6 flood against 2001:db8:1::1", async () => {
    const [flood] = ofType(await threatsOf("attacks/suri_denial6-6.pcap"), "icmp_flood");
    expect(flood).toMatchObject({ sourceIp: "2001:db8:1::2", targetIp: "2001:db8:1::1" });
    expect(flood.evidence.packets as number).toBeGreaterThan(10_000);
  });

  test("attacks/suri_dhcp-request-flood: DHCP starvation from de:ad:be:ef:aa:bb", async () => {
    const [st] = ofType(await threatsOf("attacks/suri_dhcp-request-flood.pcap"), "dhcp_starvation");
    expect(st.sourceMac).toBe("de:ad:be:ef:aa:bb");
    expect(st.evidence.requests).toBe(10_000);
  });

  describe("blocklist fixture on attacks/ndpi_emotet", () => {
    const dir = mkdtempSync(join(tmpdir(), "ni-threat-corpus-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    test("the Emotet C2 address and payload host match with the infected host as source", async () => {
      const list = join(dir, "emotet.txt");
      // Indicators taken from the capture's nDPI reference (flows 3 and 5), not shipped with the product.
      writeFileSync(list, "# fixture\n138.197.147.0/24\nfilmmogzivota.rs\n");
      const hits = ofType(await threatsOf("attacks/ndpi_emotet.pcap", [list]), "blocklist");
      const rows = hits.map((t) => `${t.sourceIp} ${t.evidence.indicator}`).sort();
      expect(rows).toEqual(["10.4.25.101 138.197.147.101", "10.4.25.101 filmmogzivota.rs"]);
    });
    test("abuse.ch SSLBL's JA3 line for the Emotet client matches its TLS sessions to the C2", async () => {
      const list = join(dir, "sslbl-ja3.csv");
      writeFileSync(list, "# ja3_md5,Firstseen,Lastseen,Listingreason\n51c64c77e60f3980eea90869b68c58a8,2017-07-14 18:08:47,2019-07-27 20:42:54,Emotet\n");
      const [hit] = ofType(await threatsOf("attacks/ndpi_emotet.pcap", [list]), "blocklist");
      expect(hit).toMatchObject({ sourceIp: "10.4.25.101", targetIp: "138.197.147.101" });
      expect(hit.evidence).toMatchObject({ matchedBy: "TLS fingerprint (JA3)", listLabel: "emotet" });
    });
  });

  test("ipv6/suri_kill_router6: forged lifetime-0 RAs in the router's name, from the attacker's MAC", async () => {
    const [ra] = ofType(await threatsOf("ipv6/suri_kill_router6.pcap"), "rogue_router_advertisement");
    expect(ra).toMatchObject({ sourceIp: "fe80::6600:6aff:fe5b:8eb3", sourceMac: "00:50:b6:19:e6:50", severity: "high" });
    expect(ra.evidence.routerMac).toBe("64:00:6a:5b:8e:b3");
  });

  test("ipv6/suri_rsmurf6: 1000 echo requests to ff02::1 in 8 ms", async () => {
    const [flood] = ofType(await threatsOf("ipv6/suri_rsmurf6.pcap"), "icmp_flood");
    expect(flood.targetIp).toBe("ff02::1");
    expect(flood.evidence.packets).toBe(1000);
  });

  test.each(["icmp/suri_icmpv4-ping.pcap", "icmp/ndpi_icmp-tunnel.pcap", "arp/tcpdump_arp-oobr.pcap",
    "arp/ndpi_nest_log_sink.pcap", "ipv6/zeek_icmp6-nd-options.pcap", "attacks/ndpi_WebattackRCE.pcap"])(
    "%s: ordinary pings, ARP, NDP and web requests raise no flood, scan or spoofing", async (rel) => {
      const ts = await threatsOf(rel);
      expect(ts.filter((t) => ATTACK_TYPES.includes(t.type)).map((t) => `${t.type} ${t.sourceIp}`)).toEqual([]);
    });

  /** Every capture of the attack folders, with the threat type that fits what its packets show and the source. */
  const ATTACK_CAPTURES: [rel: string, type: string, source: string][] = [
    ["attacks/ndpi_WebattackRCE.pcap", "command_injection", "127.0.0.1"],
    ["attacks/ndpi_WebattackSQLinj.pcap", "sql_injection", "172.16.0.1"],
    ["attacks/ndpi_emotet.pcap", "malware_download", "10.4.25.101"],
    ["attacks/ndpi_log4j-webapp-exploit.pcap", "log4shell", "172.16.238.1"],
    ["attacks/ndpi_trickbot.pcap", "malware_c2", "10.12.29.101"],
    ["attacks/ndpi_xss.pcap", "xss", "192.168.3.109"],
    ["attacks/suri_denial6-6.pcap", "icmp_flood", "2001:db8:1::2"],
    ["attacks/suri_dhcp-request-flood.pcap", "dhcp_starvation", "de:ad:be:ef:aa:bb"],
    ["attacks/suri_zerologon-bug-5162.pcap", "zerologon", "192.168.56.104"],
    ["attacks/zeek_heartbleed-success.pcap", "heartbleed", "173.203.79.216"],
    ["bruteforce/zeek_ftp_bruteforce.pcap", "brute_force", "192.168.56.1"],
    ["bruteforce/zeek_sshguess.pcap", "brute_force", "192.168.56.1"],
    ["scan/ndpi_synscan.pcap", "port_scan", "172.16.0.8"],
    ["scan/ndpi_tcp_scan.pcapng", "port_scan", "192.168.1.178"],
    ["scan/zeek_nmap-vsn.pcap", "host_sweep", "192.168.1.71"],
    ["dns_tunnel/ndpi_bad-dns-traffic.pcap", "dns_tunneling", "192.168.43.91"],
    ["dns_tunnel/ndpi_dns-exf.pcap", "dns_tunneling", "192.168.2.225"],
    ["dns_tunnel/ndpi_dns-tunnel-iodine.pcap", "dns_tunneling", "10.0.2.30"],
    ["dns_tunnel/ndpi_dns2tcp_tunnel.pcap", "dns_tunneling", "192.168.20.211"],
    ["dns_tunnel/ndpi_dns_exfiltration.pcap", "dns_tunneling", "192.168.220.56"],
  ];
  /** Attack captures filed under other folders (they must raise their threat, not stay silent). */
  const ATTACKS_ELSEWHERE = ["ipv6/suri_kill_router6.pcap", "ipv6/suri_rsmurf6.pcap", "fragments/suri_defrag-af-confusion-spray-h8.pcap"];
  /** Notices, not alarms: a password in cleartext is worth knowing on a benign network too. */
  const NOTICES = ["cleartext_credentials", "new_device"];

  test("every capture in attacks/, bruteforce/, scan/ and dns_tunnel/ is in the table", () => {
    const onDisk = ["attacks", "bruteforce", "scan", "dns_tunnel"].flatMap((d) =>
      readdirSync(join(CORPUS!, d)).filter((f) => /\.(pcap|pcapng)$/.test(f)).map((f) => `${d}/${f}`)).sort();
    expect(ATTACK_CAPTURES.map(([rel]) => rel).sort()).toEqual(onDisk);
  });

  test.each(ATTACK_CAPTURES)("every attack capture is flagged: %s raises %s from %s", async (rel, type, source) => {
    const ts = ofType(await threatsOf(rel), type);
    expect(ts.map((t) => t.sourceIp ?? t.sourceMac)).toContain(source);
    for (const t of ts) expect(Object.keys(t.evidence).length).toBeGreaterThan(0);
  });

  const benign = CORPUS
    ? readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory() && !["attacks", "bruteforce", "scan", "dns_tunnel"].includes(d.name))
      .flatMap((d) => readdirSync(join(CORPUS!, d.name)).filter((f) => /\.(pcap|pcapng)$/.test(f)).map((f) => `${d.name}/${f}`))
      .filter((rel) => !ATTACKS_ELSEWHERE.includes(rel))
    : [];
  test.each(benign)("every benign capture is silent: %s raises no alarm", async (rel) => {
    let ts: Threat[];
    try {
      ts = await threatsOf(rel);
    } catch (e) {
      // A link type NetInsight does not decode is refused with a clear error, never a false alarm.
      expect((e as Error).message).toContain("not supported");
      return;
    }
    expect(ts.filter((t) => !NOTICES.includes(t.type)).map((t) => `${t.type} ${t.sourceIp ?? t.sourceMac}`)).toEqual([]);
  });
});
