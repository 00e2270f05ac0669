import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import { createDgaDetector } from "./dga.ts";
import { dnsMsg, fixture, meta, randomText } from "./testing.ts";
import { looksRandom } from "./util.ts";

const nx = (name: string, ts = 1000, client = "10.0.0.5"): Observation => ({
  kind: "dns",
  meta: meta({ ts, srcIp: "10.0.0.1", dstIp: client, srcPort: 53, fromInitiator: false }),
  msg: dnsMsg({ name, isResponse: true, rcode: 3 }),
});
const rnd = randomText(7);

describe("DGA", () => {
  test("NXDOMAIN for many random-looking names fires with the client as source", () => {
    const { store, settings } = fixture({ dgaNxdomains: 25 });
    const d = createDgaDetector(store, settings);
    for (let i = 0; i < 24; i++) d.observe!(nx(`${rnd(14)}.com`, 1000 + i));
    expect(store.size).toBe(0);
    d.observe!(nx(`${rnd(14)}.net`, 1030));
    const [t] = store.list();
    expect(t.type).toBe("dga");
    expect(t.sourceIp).toBe("10.0.0.5");
    expect(t.evidence.nxdomains).toBe(25);
  });

  test("typos and search-domain misses are not random; local names are ignored", () => {
    expect(looksRandom("wikipedia")).toBe(false);
    expect(looksRandom("facebook")).toBe(false);
    expect(looksRandom("x7kq2m9zpw4r")).toBe(true);
    const { store, settings } = fixture({ dgaNxdomains: 25 });
    const d = createDgaDetector(store, settings);
    const words = ["gooogle", "facebok", "amazn", "wikipeda", "netflx", "printer", "homeassistant", "nas", "router"];
    for (let i = 0; i < 100; i++) d.observe!(nx(`${words[i % words.length]}${i}.com`, 1000 + i));
    for (let i = 0; i < 100; i++) d.observe!(nx(`${rnd(12)}.local`, 1000 + i));
    expect(store.size).toBe(0);
  });

  test("bounded state", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 100 });
    const d = createDgaDetector(store, settings);
    for (let i = 0; i < 20_000; i++) d.observe!(nx("a.example.com", 1000, `10.1.${i >> 8 & 255}.${i & 255}`));
    expect(d.tracked()).toBeLessThanOrEqual(100);
  });
});
