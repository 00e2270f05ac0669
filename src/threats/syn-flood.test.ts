import { describe, expect, test } from "bun:test";
import { createSynFloodDetector } from "./syn-flood.ts";
import { fixture, synObs } from "./testing.ts";

const spoofed = (i: number) => `${(i * 7919) % 223 + 1}.${(i >> 8) & 255}.${i & 255}.${(i * 31) & 255}`;

describe("SYN flood", () => {
  test("random spoofed sources aggregate by target; the attacker MAC is the one source left", () => {
    const { store, settings } = fixture({ synFloodPerSecond: 100, floodWindowSeconds: 5 });
    const d = createSynFloodDetector(store, settings);
    for (let i = 0; i < 1000; i++) {
      d.observe!(synObs({ srcIp: spoofed(i), srcMac: "02:00:00:00:00:66", dstIp: "10.0.0.9", dstPort: 80, ts: 1000 + i / 500 }));
      if (i % 10 === 0) d.observe!(synObs({ srcIp: "10.0.0.9", dstIp: spoofed(i), srcPort: 80, ts: 1000 + i / 500 }, true));
    }
    const [t] = store.list();
    expect(t.type).toBe("syn_flood");
    expect(t.targetIp).toBe("10.0.0.9");
    expect(t.sourceIp).toBeNull();
    expect(t.sourceMac).toBe("02:00:00:00:00:66");
    expect(t.evidence.spoofedOrDistributed).toBe(true);
    expect(t.evidence.distinctSources as number).toBeGreaterThan(100);
    expect(store.size).toBe(1);
  });

  test("silent below the rate, and for a fast port scan", () => {
    const { store, settings } = fixture({ synFloodPerSecond: 100, floodWindowSeconds: 5 });
    const d = createSynFloodDetector(store, settings);
    for (let i = 0; i < 250; i++) d.observe!(synObs({ dstIp: "10.0.0.9", dstPort: 443, ts: 1000 + i / 60 }));
    for (let i = 0; i < 1000; i++) d.observe!(synObs({ dstIp: "10.0.0.20", dstPort: 1 + i, ts: 2000 + i / 1000 }));
    expect(store.size).toBe(0);
  });

  test("targets tracked stay under the cap", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 200 });
    const d = createSynFloodDetector(store, settings);
    for (let i = 0; i < 100_000; i++) d.observe!(synObs({ dstIp: spoofed(i), ts: 1000 }));
    expect(d.tracked()).toBeLessThanOrEqual(200);
  });
});
