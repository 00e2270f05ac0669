import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import { createDnsTunnelingDetector, isHex, looksLikeDns, NO_TLD, plausibleTld } from "./dns-tunneling.ts";
import { entropy, hashName } from "./util.ts";
import { dnsMsg, flow, fixture, meta, randomText } from "./testing.ts";

const query = (name: string, ts = 1000, qtype = 1, client = "10.0.0.5"): Observation => ({
  kind: "dns", meta: meta({ ts, srcIp: client, dstIp: "10.0.0.1", dstPort: 53 }), msg: dnsMsg({ name, qtype }),
});
const rnd = randomText(11);
const hex = (_i: number, len: number) => rnd(len, "0123456789abcdef");

describe("DNS tunnelling", () => {
  test("many encoded-label queries under one domain fire with the client as source", () => {
    const { store, settings } = fixture({ dnsEncodedQueries: 10, dnsEncodedChars: 300, dnsLongLabel: 60 });
    const d = createDnsTunnelingDetector(store, settings);
    for (let i = 0; i < 9; i++) d.observe!(query(`${hex(i, 30)}.t.evil.example`, 1000 + i));
    expect(store.size).toBe(0);
    d.observe!(query(`${hex(99, 30)}.t.evil.example`, 1010));
    const [t] = store.list();
    expect(t.type).toBe("dns_tunneling");
    expect(t.sourceIp).toBe("10.0.0.5");
    expect(t.evidence.domain).toBe("evil.example");
    expect(t.evidence.encodedNames).toBe(10);
  });

  test("one very long random label is enough; TXT volume and names without a TLD count too", () => {
    const { store, settings } = fixture({ dnsLongLabel: 50, dnsTxtNullQueries: 20 });
    const d = createDnsTunnelingDetector(store, settings);
    d.observe!(query("H4sICN03a2QAA3Rlc3QudHh0AAvJyCxWAKJEheLU5KLUEoW0zJxULgAge.x.test.txt"));
    for (let i = 0; i < 20; i++) d.observe!(query(`s${i}.txt.example`, 1000 + i, 16, "10.0.0.6"));
    for (let i = 0; i < 60; i++) d.observe!(query(`${hex(i, 8)}.${hex(i + 1, 8)}`, 1000, 1, "10.0.0.7"));
    const bySource = Object.fromEntries(store.list().map((t) => [t.sourceIp, t]));
    expect(bySource["10.0.0.5"].evidence.longestEncodedLabel).toBe(57);
    expect(bySource["10.0.0.6"].evidence.txtNullQueries).toBe(20);
    expect(bySource["10.0.0.7"]?.evidence.domain ?? NO_TLD).toBe(NO_TLD);
  });

  test("ordinary browsing, reverse lookups and CDN names stay silent", () => {
    const { store, settings } = fixture();
    const d = createDnsTunnelingDetector(store, settings);
    const names = ["www.google.com", "r3---sn-4g5e6nz7.googlevideo.com", "e1234.dscb.akamaiedge.net",
      "d3ag4hukkh62yn.cloudfront.net", "api.github.com", "ec2-54-12-9-1.compute-1.amazonaws.com"];
    for (let i = 0; i < 500; i++) d.observe!(query(names[i % names.length], 1000 + i));
    for (let i = 0; i < 300; i++) d.observe!(query(`${i & 255}.${(i >> 8) & 255}.168.192.in-addr.arpa`, 1000 + i, 12));
    expect(store.size).toBe(0);
  });

  test("bounded state", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 100 });
    const d = createDnsTunnelingDetector(store, settings);
    for (let i = 0; i < 20_000; i++) d.observe!(query(`a.d${i}.example`, 1000, 1, `10.1.${i >> 8 & 255}.${i & 255}`));
    expect(d.tracked()).toBeLessThanOrEqual(100);
  });

  test("NULL-record queries are a tunnel's on their own (iodine's default type); A and AAAA are not", () => {
    const { store, settings } = fixture({ dnsNullQueries: 2 });
    const d = createDnsTunnelingDetector(store, settings);
    for (let i = 0; i < 100; i++) d.observe!(query(`www${i % 5}.example.com`, 1000 + i, i % 2 ? 1 : 28));
    d.observe!(query("yrbd03.t.tunnel.test", 1200, 10));
    expect(store.size).toBe(0);
    d.observe!(query("vaaaakauply.t.tunnel.test", 1201, 10));
    expect(store.list()[0].evidence).toMatchObject({ domain: "tunnel.test", nullQueries: 2 });
  });

  test("port 53 carrying something that is not DNS (iodine raw mode) is a tunnel; damaged DNS now and then is not", () => {
    // A DNS query header: id, flags 0x0100 (standard query, RD), 1 question.
    expect(looksLikeDns(Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]))).toBe(true);
    // iodine's raw packet: "\x10\xd1\x9e" magic then data (as a DNS header: opcode 3, unassigned).
    const raw = Uint8Array.from([0x10, 0xd1, 0x9e, 0x20, 0x78, 0xda, 0x63, 0x60, 0xe0, 0x60, 0x70, 0x65, 0x60, 0x08]);
    expect(looksLikeDns(raw)).toBe(false);
    expect(looksLikeDns(raw.subarray(0, 4))).toBe(false);
    const { store, settings } = fixture({ dnsNotDnsPackets: 5 });
    const d = createDnsTunnelingDetector(store, settings);
    const f = flow({ protocol: "UDP", ipProtocol: 17, srcIp: "10.0.0.66", dstIp: "10.0.0.53", dstPort: 53 });
    const dns = Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    const fuzzed = flow({ protocol: "UDP", ipProtocol: 17, srcIp: "10.0.0.7", dstIp: "10.0.0.1", dstPort: 53 });
    for (let i = 0; i < 40; i++) d.payload!(fuzzed, i % 4 === 0 ? raw : dns, true, 1000 + i);
    expect(store.size).toBe(0);
    for (let i = 0; i < 5; i++) d.payload!(f, raw, i % 2 === 0, 1000 + i);
    const [t] = store.list();
    expect(t).toMatchObject({ type: "dns_tunneling", sourceIp: "10.0.0.66", targetIp: "10.0.0.53" });
    expect(t.evidence).toMatchObject({ nonDnsPackets: 5, samplePayload: "10d19e2078da6360" });
  });

  test("TLS without SNI to a public resolver's address on 443 is DNS hidden in HTTPS; with a name (a browser's DoH) it is not", () => {
    const { store, settings } = fixture();
    const d = createDnsTunnelingDetector(store, settings);
    const hello = (dstIp: string, sni?: string, dstPort = 443): Observation => ({
      kind: "tlsClientHello", meta: meta({ srcIp: "10.0.0.5", dstIp, dstPort, ipProtocol: 6 }),
      msg: { version: 0x0303, supportedVersions: [0x0304], sni, alpn: ["h2"], cipherSuites: [], extensions: [], signatureAlgorithms: [], ja4: "t13d1910h2_x_y" },
    });
    d.observe!(hello("1.1.1.1", "mozilla.cloudflare-dns.com"));
    d.observe!(hello("8.8.8.8", undefined, 853)); // DNS over TLS without a name: systemd-resolved's opportunistic mode
    d.observe!(hello("93.184.216.34"));
    expect(store.size).toBe(0);
    d.observe!(hello("1.1.1.1"));
    expect(store.list()[0]).toMatchObject({ type: "dns_tunneling", sourceIp: "10.0.0.5", targetIp: "1.1.1.1", severity: "medium" });
  });

  test("an ad server's 32-hex frame ids are unique and encoded but carry no data: silent by default", () => {
    const { store, settings } = fixture();
    const d = createDnsTunnelingDetector(store, settings);
    for (let i = 0; i < 60; i++) d.observe!(query(`${hex(i, 32)}.safeframe.googlesyndication.com`, 1000 + i * 5));
    expect(store.size).toBe(0);
  });
});

describe("name facts read in place", () => {
  // The in-place readers answer what their regexes and the slice-based originals answered.
  const texts = ["", "a", "ab", "com", "xn--", "xn--p1ai", "xn--a-b", "xn---", "XN--ab", "c0m", "co-m", "abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwxy",
    `xn--${"a".repeat(59)}`, `xn--${"a".repeat(60)}`, "deadbeef", "DEADBEEF", "0f9", "g0", "é", "aé"];
  test("plausibleTld and isHex match their regexes on every suffix and range", () => {
    for (const t of texts) {
      for (let from = 0; from <= t.length; from++) {
        expect(plausibleTld(t, from)).toBe(/^(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})$/.test(t.slice(from)));
        for (let to = from; to <= t.length; to++) expect(isHex(t, from, to)).toBe(/^[0-9a-f]+$/.test(t.slice(from, to)));
      }
    }
  });
  test("entropy and hashName of a range are those of its slice", () => {
    for (const t of [...texts, "x1y2.z3-dd.ex", "ÄäÖö.ab"]) {
      for (let from = 0; from <= t.length; from++) {
        for (let to = from; to <= t.length; to++) {
          expect(entropy(t, from, to)).toBe(entropy(t.slice(from, to)));
          expect(hashName(t, from, to)).toBe(hashName(t.slice(from, to)));
        }
      }
    }
  });
});

describe("DNS tunnelling: two domains whose hashes collide", () => {
  test("keep a state each for one client (the second takes a text key), however their queries interleave", () => {
    // Two registered domains with the same 32-bit hash, found by a birthday search (the same pair every run).
    const byHash = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const domain = `c${i}.com`, h = hashName(domain);
      const other = byHash.get(h);
      if (other !== undefined) pair = [other, domain];
      else byHash.set(h, domain);
    }
    const [a, b] = pair;
    expect(hashName(a)).toBe(hashName(b));
    const { store, settings } = fixture({ dnsTxtNullQueries: 20 });
    const d = createDnsTunnelingDetector(store, settings);
    // 20 TXT queries for a, 19 for b, alternating: a shared state would mix or reset their counts.
    for (let i = 0; i < 20; i++) {
      d.observe!(query(`s${i}.${a}`, 1000 + i, 16));
      if (i < 19) d.observe!(query(`s${i}.${b}`, 1000 + i, 16));
    }
    expect(store.list().map((t) => [t.evidence.domain, t.evidence.txtNullQueries, t.evidence.queries])).toEqual([[a, 20, 20]]);
    d.observe!(query(`s19.${b}`, 1020, 16));
    expect(store.list().map((t) => [t.evidence.domain, t.evidence.txtNullQueries]).sort()).toEqual([[a, 20], [b, 20]].sort());
  });
});
