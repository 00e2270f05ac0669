import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import { createDnsTunnelDetector, NO_TLD } from "./dns-tunnel.ts";
import { dnsMsg, fixture, meta, randomText } from "./testing.ts";

const query = (name: string, ts = 1000, qtype = 1, client = "10.0.0.5"): Observation => ({
  kind: "dns", meta: meta({ ts, srcIp: client, dstIp: "10.0.0.1", dstPort: 53 }), msg: dnsMsg({ name, qtype }),
});
const rnd = randomText(11);
const hex = (_i: number, len: number) => rnd(len, "0123456789abcdef");

describe("DNS tunnelling", () => {
  test("many encoded-label queries under one domain fire with the client as source", () => {
    const { store, settings } = fixture({ dnsEncodedQueries: 10, dnsLongLabel: 60 });
    const d = createDnsTunnelDetector(store, settings);
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
    const d = createDnsTunnelDetector(store, settings);
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
    const d = createDnsTunnelDetector(store, settings);
    const names = ["www.google.com", "r3---sn-4g5e6nz7.googlevideo.com", "e1234.dscb.akamaiedge.net",
      "d3ag4hukkh62yn.cloudfront.net", "api.github.com", "ec2-54-12-9-1.compute-1.amazonaws.com"];
    for (let i = 0; i < 500; i++) d.observe!(query(names[i % names.length], 1000 + i));
    for (let i = 0; i < 300; i++) d.observe!(query(`${i & 255}.${(i >> 8) & 255}.168.192.in-addr.arpa`, 1000 + i, 12));
    expect(store.size).toBe(0);
  });

  test("bounded state", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 100 });
    const d = createDnsTunnelDetector(store, settings);
    for (let i = 0; i < 20_000; i++) d.observe!(query(`a.d${i}.example`, 1000, 1, `10.1.${i >> 8 & 255}.${i & 255}`));
    expect(d.tracked()).toBeLessThanOrEqual(100);
  });
});
