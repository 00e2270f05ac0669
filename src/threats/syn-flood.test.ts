import { describe, expect, test } from "bun:test";
import { createSynFloodDetector, isHalfOpen } from "./syn-flood.ts";
import { fixture, flow, synObs } from "./testing.ts";

const spoofed = (i: number) => `${(i * 7919) % 223 + 1}.${(i >> 8) & 255}.${i & 255}.${(i * 31) & 255}`;

describe("SYN flood", () => {
  test("random spoofed sources aggregate by target; raised once their connections prove half-open", () => {
    const { store, settings } = fixture({ synFloodPerSecond: 100, floodWindowSeconds: 5 });
    const d = createSynFloodDetector(store, settings);
    for (let i = 0; i < 1000; i++) {
      d.observe!(synObs({ srcIp: spoofed(i), srcMac: "02:00:00:00:00:66", dstIp: "10.0.0.9", dstPort: 80, ts: 1000 + i / 500 }));
      if (i % 10 === 0) d.observe!(synObs({ srcIp: "10.0.0.9", dstIp: spoofed(i), srcPort: 80, ts: 1000 + i / 500 }, true));
    }
    // The SYN rate alone proves nothing yet: a busy server looks the same until the handshakes do (or do not) complete.
    expect(store.size).toBe(0);
    d.tick!(1010);
    for (let i = 0; i < 1000; i++) {
      d.flowUpdated!(flow({ id: `f${i}`, srcIp: spoofed(i), dstIp: "10.0.0.9", dstPort: 80, startTime: 1000 + i / 500, packetsSent: 1, packetsReceived: 1, tcpFlags: "SAR" }));
    }
    const [t] = store.list();
    expect(t.type).toBe("syn_flood");
    expect(t.targetIp).toBe("10.0.0.9");
    expect(t.sourceIp).toBeNull();
    expect(t.sourceMac).toBe("02:00:00:00:00:66");
    expect(t.evidence.spoofedOrDistributed).toBe(true);
    expect(t.evidence.distinctSources as number).toBeGreaterThan(100);
    expect(t.evidence.halfOpen as number).toBeGreaterThanOrEqual(100);
    expect(store.size).toBe(1);
  });

  test("500 clients opening connections at once that complete their handshakes are not a flood", () => {
    const { store, settings } = fixture({ synFloodPerSecond: 100 });
    const d = createSynFloodDetector(store, settings);
    for (let i = 0; i < 500; i++) d.observe!(synObs({ srcIp: "127.0.0.1", srcPort: 30000 + i, dstIp: "127.0.0.1", dstPort: 7000, ts: 1000 + i / 1000 }));
    d.tick!(1006);
    for (let i = 0; i < 500; i++) {
      const f = flow({ id: `e${i}`, srcIp: "127.0.0.1", dstIp: "127.0.0.1", dstPort: 7000, startTime: 1000 + i / 1000, packetsSent: 58, packetsReceived: 111, tcpState: "closed", tcpFlags: "SAFP" });
      d.flowUpdated!(f);
      d.flowEnded!(f, "closed");
    }
    d.tick!(1010);
    expect(store.size).toBe(0);
  });

  test("flows are judged once, and young flows wait for their handshake", () => {
    expect(isHalfOpen(flow({ packetsSent: 1 }))).toBe(true);
    expect(isHalfOpen(flow({ packetsSent: 2, tcpFlags: "SAR" }))).toBe(true);
    expect(isHalfOpen(flow({ packetsSent: 2, tcpFlags: "SA" }))).toBe(false);
    expect(isHalfOpen(flow({ packetsSent: 3, tcpFlags: "SAR" }))).toBe(false);
    const { store, settings } = fixture({ synFloodPerSecond: 100 });
    const d = createSynFloodDetector(store, settings);
    for (let i = 0; i < 600; i++) d.observe!(synObs({ srcIp: spoofed(i), dstIp: "10.0.0.9", dstPort: 80, ts: 1000 + i / 200 }));
    d.tick!(1003);
    // Updated while still young: not counted; the same 99 flows ending later count once.
    const young = Array.from({ length: 99 }, (_, i) => flow({ id: `y${i}`, dstIp: "10.0.0.9", startTime: 1002.5, packetsSent: 1 }));
    for (const f of young) d.flowUpdated!(f);
    for (const f of young) d.flowEnded!(f, "idle");
    for (const f of young) d.flowEnded!(f, "idle");
    expect(store.size).toBe(0);
    d.flowEnded!(flow({ id: "last", dstIp: "10.0.0.9", startTime: 1002.5, packetsSent: 1 }), "idle");
    expect(store.list()[0].evidence.halfOpen).toBe(100);
  });

  test("a flow counted at an update counts once at its end, however many flows the flood opened since", () => {
    const { store, settings } = fixture({ synFloodPerSecond: 100, maxTrackedKeys: 50 });
    const d = createSynFloodDetector(store, settings);
    for (let i = 0; i < 600; i++) d.observe!(synObs({ srcIp: spoofed(i), dstIp: "10.0.0.9", dstPort: 80, ts: 1000 + i / 200 }));
    d.tick!(1010);
    // 500 flows counted while going on: far more than the 50 keys the detector's maps keep.
    const flows = Array.from({ length: 500 }, (_, i) => flow({ id: `c${i}`, srcIp: spoofed(i), dstIp: "10.0.0.9", dstPort: 80, startTime: 1000, packetsSent: 1 }));
    for (const f of flows) d.flowUpdated!(f);
    for (const f of flows) d.flowEnded!(f, "idle");
    d.tick!(1020);
    expect(store.list()[0].evidence.halfOpen).toBe(500);
    expect(d.tracked()).toBeLessThanOrEqual(100);
  });

  test("silent below the rate, and for a fast port scan", () => {
    const { store, settings } = fixture({ synFloodPerSecond: 100, floodWindowSeconds: 5 });
    const d = createSynFloodDetector(store, settings);
    for (let i = 0; i < 250; i++) d.observe!(synObs({ dstIp: "10.0.0.9", dstPort: 443, ts: 1000 + i / 60 }));
    for (let i = 0; i < 1000; i++) d.observe!(synObs({ dstIp: "10.0.0.20", dstPort: 1 + i, ts: 2000 + i / 1000 }));
    for (let i = 0; i < 1000; i++) d.flowEnded!(flow({ id: `s${i}`, dstIp: i < 250 ? "10.0.0.9" : "10.0.0.20", startTime: 2000, packetsSent: 1 }), "idle");
    expect(store.size).toBe(0);
  });

  test("targets tracked stay under the cap", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 200 });
    const d = createSynFloodDetector(store, settings);
    for (let i = 0; i < 100_000; i++) d.observe!(synObs({ dstIp: spoofed(i), ts: 1000 }));
    expect(d.tracked()).toBeLessThanOrEqual(400);
  });
});
