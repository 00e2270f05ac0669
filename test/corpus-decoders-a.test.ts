/**
 * Corpus test for the DHCP / DHCPv6 / DNS / mDNS / LLMNR / NBNS / NDP decoders: real captures from
 * ../shared/pcaps, walked by a tiny ad-hoc Ethernet/IP/UDP walker, checked against facts read with tshark.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { openOffline } from "../src/capture/offline.ts";
import { RECORD_HEADER, nextRecord } from "../src/capture/batch.ts";
import { decodeDhcp } from "../src/decode/dhcp.ts";
import { decodeDhcpv6 } from "../src/decode/dhcpv6.ts";
import { decodeDns, decodeDnsTcp } from "../src/decode/dns.ts";
import { decodeNetbios } from "../src/decode/netbios.ts";
import { decodeNdp } from "../src/decode/ndp.ts";
import type { DhcpMessage, Dhcpv6Message, DnsMessage, NdpMessage, NetbiosMessage } from "../src/decode/types.ts";

const PCAPS = path.resolve(import.meta.dir, "..", "../shared/pcaps");
const present = existsSync(path.join(PCAPS, "MANIFEST.tsv"));
if (!present) console.warn(`corpus-decoders-a skipped: ${PCAPS} is absent (CI provides ../shared/pcaps)`);

const MAX_VLAN_TAGS = 4;
const MAX_V6_EXTENSIONS = 8;
const V6_EXTENSIONS = new Set([0, 43, 60]); // hop-by-hop, routing, destination options

interface Decoded {
  dhcp: { frame: number; m: DhcpMessage }[];
  dhcpv6: Dhcpv6Message[];
  /** DNS by flavour: "dns" (53, UDP + TCP), "mdns" (5353), "llmnr" (5355). */
  dns: Record<"dns" | "mdns" | "llmnr", DnsMessage[]>;
  nbns: NetbiosMessage[];
  ndp: NdpMessage[];
  frames: number;
}

/** Offsets of the transport header for an Ethernet frame: [protocol, l4 offset, l4 end] or undefined. */
function transport(b: Uint8Array): [number, number, number] | undefined {
  let p = 12;
  let type = -1;
  for (let i = 0; i <= MAX_VLAN_TAGS && p + 2 <= b.length; i++, p += 4) {
    type = (b[p] << 8) | b[p + 1];
    if (type !== 0x8100 && type !== 0x88a8) break;
  }
  p += 2;
  if (type === 0x0800 && p + 20 <= b.length) {
    const ihl = (b[p] & 0xf) * 4;
    const total = (b[p + 2] << 8) | b[p + 3];
    const fragment = ((b[p + 6] & 0x1f) << 8) | b[p + 7];
    if (ihl < 20 || fragment !== 0) return undefined;
    return [b[p + 9], p + ihl, Math.min(p + total, b.length)];
  }
  if (type === 0x86dd && p + 40 <= b.length) {
    let next = b[p + 6];
    const end = Math.min(p + 40 + ((b[p + 4] << 8) | b[p + 5]), b.length);
    let q = p + 40;
    for (let i = 0; i < MAX_V6_EXTENSIONS && V6_EXTENSIONS.has(next) && q + 8 <= end; i++) {
      next = b[q];
      q += (b[q + 1] + 1) * 8;
    }
    return [next, q, end];
  }
  return undefined;
}

function decodeFrame(b: Uint8Array, frame: number, out: Decoded): void {
  const t = transport(b);
  if (!t) return;
  const [proto, l4, end] = t;
  if (proto === 58 && l4 + 4 <= end) {
    const m = decodeNdp(b, l4, end - l4);
    if (m) out.ndp.push(m);
    return;
  }
  const header = proto === 17 ? 8 : proto === 6 && l4 + 13 <= end ? (b[l4 + 12] >> 4) * 4 : -1;
  if (header < 0 || l4 + header > end) return;
  const sport = (b[l4] << 8) | b[l4 + 1];
  const dport = (b[l4 + 2] << 8) | b[l4 + 3];
  const on = (port: number) => sport === port || dport === port;
  const off = l4 + header;
  const len = end - off;
  if (proto === 6) {
    if (len === 0) return;
    if (on(53)) out.dns.dns.push(...decodeDnsTcp(b, off, len));
    else if (on(5355)) out.dns.llmnr.push(...decodeDnsTcp(b, off, len));
    return;
  }
  const push = <T>(list: T[], m: T | undefined) => m && list.push(m);
  if (on(67) || on(68)) {
    const m = decodeDhcp(b, off, len);
    if (m) out.dhcp.push({ frame, m });
  } else if (on(546) || on(547)) push(out.dhcpv6, decodeDhcpv6(b, off, len));
  else if (on(5353)) push(out.dns.mdns, decodeDns(b, off, len));
  else if (on(5355)) push(out.dns.llmnr, decodeDns(b, off, len));
  else if (on(53)) push(out.dns.dns, decodeDns(b, off, len));
  else if (on(137)) push(out.nbns, decodeNetbios(b, off, len));
}

const cache = new Map<string, Decoded>();
async function decodeFile(rel: string): Promise<Decoded> {
  const hit = cache.get(rel);
  if (hit) return hit;
  const out: Decoded = { dhcp: [], dhcpv6: [], dns: { dns: [], mdns: [], llmnr: [] }, nbns: [], ndp: [], frames: 0 };
  const src = await openOffline(path.join(PCAPS, rel));
  try {
    for (let batch = src.next(); batch; batch = src.next()) {
      let off = 0;
      for (let i = 0; i < batch.count; i++) {
        const caplen = batch.view.getUint32(off + 8, true);
        out.frames++;
        if (src.linkType === 1) decodeFrame(batch.bytes.subarray(off + RECORD_HEADER, off + RECORD_HEADER + caplen), out.frames, out);
        off = nextRecord(off, caplen);
      }
    }
  } finally {
    src.close();
  }
  cache.set(rel, out);
  return out;
}

const uniq = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort();

describe.skipIf(!present)("corpus: DHCP", () => {
  // Message counts and the hostnames / vendor classes tshark shows (dhcp.option.hostname, dhcp.option.vendor_class_id).
  const cases: [string, number, string[], string[]][] = [
    ["dhcp/ndpi_1kxun.pcap", 24, ["Joanna-PC", "MacBook-Air", "Shen", "android-f7ca0f571270c52d", "kevin-PC", "sanji-LIFEBOOK-LH531"], ["MSFT 5.0", "dhcpcd-5.5.6"]],
    ["dhcp/ndpi_android.pcap", 14, ["Lucas-iMac"], ["android-dhcp-9"]],
    ["dhcp/ndpi_gnutella.pcap", 2, ["MSEDGEWIN10"], ["MSFT 5.0"]],
    ["dhcp/ndpi_iphone.pcap", 9, ["Lucas-iMac", "Lucas-iPhone"], []],
    ["dhcp/ndpi_teams.pcap", 7, ["TL-SG116E", "pi3.ntop.org"], ["TL-SG116E", "dhcpcd-6.10.1:Linux-4.9.57-v7+:armv7l:BCM2835"]],
    ["dhcp/suri_dhcp-eve-extended.pcap", 2, ["nas1"], []],
    ["dhcp/suri_dhcp-option-52-overload.pcap", 8, [], ["udhcp 1.36.1"]],
    ["dhcp/zeek_dhcp_time_and_nameserver.pcap", 2, ["pop-os"], []],
    ["netbios_llmnr/suri_smb2-ntlmssp-negotiateflags.pcap", 12, ["DESKTOP-2AEFM7G", "DESKTOP-V1FA0UQ"], ["MSFT 5.0"]],
  ];
  for (const [rel, count, hostnames, vendors] of cases) {
    test(`${rel}: ${count} messages, hostnames and vendor classes`, async () => {
      const d = await decodeFile(rel);
      expect(d.dhcp).toHaveLength(count);
      expect(uniq(d.dhcp.map((x) => x.m.hostname))).toEqual([...hostnames].sort());
      expect(uniq(d.dhcp.map((x) => x.m.vendorClass))).toEqual([...vendors].sort());
    });
  }

  test("suri_dhcp-eve-extended: the NAS request and the ack", async () => {
    const [req, ack] = (await decodeFile("dhcp/suri_dhcp-eve-extended.pcap")).dhcp.map((x) => x.m);
    expect(req).toMatchObject({ op: 1, messageType: 3, xid: 0xef645744, clientMac: "00:11:32:17:49:f0", clientIp: "10.16.1.4", clientId: "010011321749f0" });
    expect(req.parameterList).toEqual([1, 28, 2, 3, 15, 6, 12]);
    expect(ack.messageType).toBe(5);
  });

  test("option 52: router and DNS from sname in frames 4 and 7, inline in frames 3 and 8", async () => {
    const byFrame = new Map((await decodeFile("dhcp/suri_dhcp-option-52-overload.pcap")).dhcp.map((x) => [x.frame, x.m]));
    for (const [frame, type, server] of [[4, 2, "10.100.0.2"], [7, 5, "10.100.0.2"], [3, 2, "10.100.0.1"], [8, 5, "10.100.0.1"]] as const) {
      const m = byFrame.get(frame)!;
      expect(m.messageType).toBe(type);
      expect(m.dnsServers?.[0]).toBe(server);
      expect(m.router?.[0]).toBe(server);
    }
  });

  test("gnutella REQUEST carries the Windows FQDN and requested address", async () => {
    const req = (await decodeFile("dhcp/ndpi_gnutella.pcap")).dhcp.find((x) => x.m.messageType === 3)!.m;
    expect(req).toMatchObject({ fqdn: "MSEDGEWIN10", requestedIp: "10.0.2.15", clientMac: "08:00:27:e6:e5:59" });
  });
});

describe.skipIf(!present)("corpus: DNS, mDNS, LLMNR", () => {
  // Messages counted by tshark (-Y "dns && !mdns && !llmnr" / mdns / llmnr, -e dns.id split on commas).
  const counts: [string, number, number, number][] = [
    ["dns/suri_dns-tcp-multirequest-buffer.pcap", 40, 0, 0],
    ["dns/tcpdump_dns_tcp.pcap", 2, 0, 0],
    ["dns/tcpdump_dns_udp.pcap", 2, 0, 0],
    ["dns/zeek_wikipedia.pcap", 28, 4, 8],
    ["mdns_dnssd/zeek_mdns.pcap", 0, 18, 0],
    ["mdns_dnssd/ndpi_telegram.pcap", 19, 282, 0],
    ["mdns_dnssd/ndpi_wechat.pcap", 33, 116, 12],
    ["netbios_llmnr/suri_llmnr-udp.pcap", 0, 0, 2],
    ["netbios_llmnr/suri_smb2-ntlmssp-negotiateflags.pcap", 357, 0, 154],
  ];
  for (const [rel, dns, mdns, llmnr] of counts) {
    test(`${rel}: ${dns} DNS, ${mdns} mDNS, ${llmnr} LLMNR messages`, async () => {
      const d = await decodeFile(rel);
      expect([d.dns.dns.length, d.dns.mdns.length, d.dns.llmnr.length]).toEqual([dns, mdns, llmnr]);
    });
  }

  test("DNS over TCP: 20 queries in one segment, 20 NXDOMAIN answers", async () => {
    const d = (await decodeFile("dns/suri_dns-tcp-multirequest-buffer.pcap")).dns.dns;
    expect(d.filter((m) => !m.isResponse).map((m) => m.questions[0].name)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}.google.com`));
    expect(d.filter((m) => m.isResponse && m.rcode === 3)).toHaveLength(20);
  });

  test("wikipedia: the queried names and the 4 NXDOMAIN answers for the search-domain name", async () => {
    const d = (await decodeFile("dns/zeek_wikipedia.pcap")).dns.dns;
    expect(uniq(d.flatMap((m) => m.questions.map((q) => q.name)))).toEqual(["meta.wikimedia.org", "upload.wikimedia.org", "upload.wikimedia.org.ncsa.uiuc.edu"]);
    const nx = d.filter((m) => m.isResponse && m.rcode === 3);
    expect(nx.map((m) => m.questions[0].name)).toEqual(Array(4).fill("upload.wikimedia.org.ncsa.uiuc.edu"));
  });

  test("mDNS service discovery: googlecast, the iMac's companion-link TXT and SRV", async () => {
    const wechat = (await decodeFile("mdns_dnssd/ndpi_wechat.pcap")).dns.mdns;
    expect(uniq(wechat.flatMap((m) => m.questions.map((q) => q.name)))).toContain("_googlecast._tcp.local");
    const telegram = (await decodeFile("mdns_dnssd/ndpi_telegram.pcap")).dns.mdns;
    const records = telegram.flatMap((m) => [...m.answers, ...m.additionals]);
    expect(records.some((r) => r.txt?.includes("model=iMac11,3"))).toBe(true);
    expect(records.find((r) => r.srv?.target === "Lucas-iMac.local")?.srv?.port).toBe(49157);
    expect(records.find((r) => r.type === 1 && r.name === "Lucas-iMac.local")?.data).toBe("192.168.1.77");
  });

  test("LLMNR names Windows hosts ask for", async () => {
    const d = (await decodeFile("netbios_llmnr/suri_llmnr-udp.pcap")).dns.llmnr;
    expect(d.map((m) => m.questions[0].name)).toEqual(["hs2011", "hs2011"]);
    expect(d[1].answers[0].data).toBe("192.168.10.101");
  });
});

describe.skipIf(!present)("corpus: NBNS, DHCPv6, NDP", () => {
  test("ndpi_netbios: 256 name-service messages; GUNNAR's node-status names", async () => {
    const d = (await decodeFile("netbios_llmnr/ndpi_netbios.pcap")).nbns;
    expect(d).toHaveLength(256);
    const names = d.flatMap((m) => m.names.map((n) => `${n.name}<${n.suffix.toString(16).padStart(2, "0")}>`));
    expect(names).toContain("XSTREAM_HY<00>");
    expect(names).toContain("GUNNAR<20>");
  });

  test("Windows registrations (opcode 5) name both desktops and the workgroup", async () => {
    const d = (await decodeFile("netbios_llmnr/suri_smb2-ntlmssp-negotiateflags.pcap")).nbns;
    expect(d).toHaveLength(84);
    const regs = d.filter((m) => m.opcode === 5);
    expect(regs).toHaveLength(40);
    expect(uniq(regs.flatMap((m) => m.names.map((n) => n.name)))).toEqual(["DESKTOP-2AEFM7G", "DESKTOP-V1FA0UQ", "WORKGROUP"]);
    expect(uniq(regs.flatMap((m) => m.addresses))).toContain("192.168.199.133");
  });

  test("DHCPv6: counts, DUID MACs and vendor class as tshark shows them", async () => {
    const smb = (await decodeFile("netbios_llmnr/suri_smb2-ntlmssp-negotiateflags.pcap")).dhcpv6;
    expect(smb).toHaveLength(52);
    expect(smb[0]).toMatchObject({ messageType: 1, transactionId: 0xca8e45, duidMac: "b8:88:e3:ab:83:79", vendorClass: { enterprise: 311, data: ["MSFT 5.0"] }, optionRequest: [24, 23, 17, 39] });
    const iana = (await decodeFile("ipv6/tcpdump_dhcpv6-ia-na.pcap")).dhcpv6;
    expect(iana.map((m) => m.messageType)).toEqual([1, 2, 3, 7]);
    expect(iana[3].serverId).toBe("000100011846488c001122334455");
    expect((await decodeFile("dhcp/ndpi_1kxun.pcap")).dhcpv6).toHaveLength(10);
    expect((await decodeFile("ipv6/tcpdump_dhcpv6-ia-pd.pcap")).dhcpv6).toHaveLength(4);
  });

  test("zeek_icmp6-nd-options: NDP types, the advertised prefix and router MAC", async () => {
    const d = (await decodeFile("ipv6/zeek_icmp6-nd-options.pcap")).ndp;
    expect(d.map((m) => m.type)).toEqual([135, 136, 134, 135, 136, 134, 134, 133, 135, 134, 135, 135]);
    const ra = d.filter((m) => m.type === 134);
    for (const m of ra) expect(m).toMatchObject({ routerLifetime: 1800, prefixes: ["2001:db8:0:1::/64"], sourceLinkAddress: "c2:00:54:f5:00:00" });
    expect(d.find((m) => m.type === 135 && m.targetAddress === "2001:db8:0:1:fd97:f9f0:a810:782e")).toBeDefined();
  });

  test("kill_router6: forged RAs with router lifetime 0", async () => {
    const ra = (await decodeFile("ipv6/suri_kill_router6.pcap")).ndp.filter((m) => m.type === 134);
    expect(ra.map((m) => m.routerLifetime).sort()).toEqual([0, 0, 0, 0, 30]);
    expect(ra.flatMap((m) => m.prefixes ?? [])).toEqual(["2001:db8:1::/64"]);
  });
});

describe.skipIf(!present)("corpus: malformed captures never make a decoder throw", () => {
  const dir = path.join(PCAPS, "malformed");
  const files = present ? readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)) : [];
  test(`${files.length} malformed captures`, async () => {
    let decoded = 0;
    for (const f of files) {
      try {
        const d = await decodeFile(`malformed/${f}`);
        decoded += d.dhcp.length + d.nbns.length + d.dns.dns.length + d.dns.mdns.length + d.dns.llmnr.length + d.dhcpv6.length + d.ndp.length;
      } catch (err) {
        // The file reader may refuse a damaged file; a decoder error would not be a CaptureFileError.
        expect((err as Error).name).toBe("CaptureFileError");
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });

  test("the fuzzed Wireshark capture still yields its DHCP host", async () => {
    const d = await decodeFile("malformed/ndpi_fuzz-2006-06-26-2594.pcap");
    expect(uniq(d.dhcp.map((x) => x.m.hostname))).toContain("d002465");
  });
});
