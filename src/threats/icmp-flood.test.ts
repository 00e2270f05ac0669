import { describe, expect, test } from "bun:test";
import { createIcmpFloodDetector } from "./icmp-flood.ts";
import { fixture, flow, icmpObs } from "./testing.ts";

describe("ICMP flood", () => {
  test("echo flood to one target fires with the sender as source; a normal ping does not", () => {
    const { store, settings } = fixture({ icmpFloodPerSecond: 100 });
    const d = createIcmpFloodDetector(store, settings);
    for (let i = 0; i < 100; i++) d.observe!(icmpObs({ srcIp: "10.0.0.5", dstIp: "10.0.0.6", ts: 1000 + i }, 8));
    expect(store.size).toBe(0);
    for (let i = 0; i < 1000; i++) d.observe!(icmpObs({ srcIp: "10.0.0.66", dstIp: "10.0.0.9", ts: 2000 + i / 1000 }, 8));
    const [t] = store.list();
    expect(t.sourceIp).toBe("10.0.0.66");
    expect(t.targetIp).toBe("10.0.0.9");
    expect(t.evidence.packets as number).toBeGreaterThanOrEqual(200);
  });

  test("a one-way ICMP flow with a flood rate is rated when it ends", () => {
    const { store, settings } = fixture({ icmpFloodPerSecond: 100, floodMinPackets: 1000 });
    const d = createIcmpFloodDetector(store, settings);
    d.flowEnded!(flow({ protocol: "ICMP", packetsSent: 5000, startTime: 1000, lastSeen: 1002 }), "idle");
    d.flowEnded!(flow({ protocol: "ICMP", packetsSent: 500, startTime: 1000, lastSeen: 1001 }), "idle");
    expect(store.size).toBe(1);
    expect(store.list()[0].evidence.packetsPerSecond).toBe(2500);
  });

  test("bounded targets", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 50 });
    const d = createIcmpFloodDetector(store, settings);
    for (let i = 0; i < 10_000; i++) d.observe!(icmpObs({ dstIp: `10.1.${i >> 8}.${i & 255}`, ts: 1000 }, 8));
    expect(d.tracked()).toBeLessThanOrEqual(100); // targets and unanswered requests, 50 each
  });

  test("a ping flood's victim answering is not a flood against the attacker; replies nobody asked for are (smurf)", () => {
    const { store, settings } = fixture({ icmpFloodPerSecond: 100 });
    const d = createIcmpFloodDetector(store, settings);
    for (let i = 0; i < 1000; i++) {
      d.observe!(icmpObs({ srcIp: "10.0.0.66", dstIp: "10.0.0.10", ts: 1000 + i / 500 }, 8));
      d.observe!(icmpObs({ srcIp: "10.0.0.10", dstIp: "10.0.0.66", ts: 1000 + i / 500 }, 0));
    }
    expect(store.list().map((t) => `${t.sourceIp}->${t.targetIp}`)).toEqual(["10.0.0.66->10.0.0.10"]);
    for (let i = 0; i < 1000; i++) d.observe!(icmpObs({ srcIp: `10.0.1.${i % 200}`, dstIp: "10.0.0.20", ts: 1000 + i / 500 }, 0));
    expect(store.list().some((t) => t.targetIp === "10.0.0.20")).toBe(true);
  });
});
