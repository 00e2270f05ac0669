import { describe, expect, test } from "bun:test";
import { createBeaconingDetector, periodicity } from "./beaconing.ts";
import { fixture, flow } from "./testing.ts";

describe("beaconing", () => {
  test("connections every 60 s with small jitter fire after beaconMinIntervals intervals", () => {
    const { store, settings } = fixture({ beaconMinIntervals: 8, beaconMaxJitter: 0.1 });
    const d = createBeaconingDetector(store, settings);
    const jitter = [0.4, -0.8, 1.1, -0.3, 0.9, -1.2, 0.2, 0.6, -0.5];
    for (let i = 0; i < 8; i++) d.flowStarted!(flow({ srcIp: "10.0.0.5", dstIp: "203.0.113.9", dstPort: 8443, startTime: 1000 + i * 60 + jitter[i] }));
    expect(store.size).toBe(0);
    d.flowStarted!(flow({ srcIp: "10.0.0.5", dstIp: "203.0.113.9", dstPort: 8443, startTime: 1000 + 8 * 60 + jitter[8] }));
    const [t] = store.list();
    expect(t.type).toBe("beaconing");
    expect(t.sourceIp).toBe("10.0.0.5");
    expect(t.targetIp).toBe("203.0.113.9");
    expect(Math.round(t.evidence.periodSeconds as number)).toBe(60);
  });

  test("irregular browsing, DNS and sub-period bursts stay silent", () => {
    const { store, settings } = fixture();
    const d = createBeaconingDetector(store, settings);
    const gaps = [3, 40, 7, 120, 15, 2, 60, 33, 9, 80, 4, 26];
    let t = 1000;
    for (const g of gaps) d.flowStarted!(flow({ dstIp: "203.0.113.10", dstPort: 443, startTime: (t += g) }));
    for (let i = 0; i < 20; i++) d.flowStarted!(flow({ protocol: "UDP", dstPort: 53, startTime: 1000 + i * 30 }));
    for (let i = 0; i < 20; i++) d.flowStarted!(flow({ dstIp: "203.0.113.11", startTime: 1000 + i * 1 }));
    expect(store.size).toBe(0);
    expect(periodicity([1, 2], 8)).toBeUndefined();
  });

  test("bounded state", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 100 });
    const d = createBeaconingDetector(store, settings);
    for (let i = 0; i < 20_000; i++) d.flowStarted!(flow({ dstIp: `203.0.${i >> 8 & 255}.${i & 255}` }));
    expect(d.tracked()).toBeLessThanOrEqual(100);
  });
});
