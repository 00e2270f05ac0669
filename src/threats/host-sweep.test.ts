import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import { createHostSweepDetector } from "./host-sweep.ts";
import { fixture, flow, icmpObs, meta } from "./testing.ts";

const whoHas = (sender: string, target: string, ts: number): Observation => ({
  kind: "arp",
  meta: meta({ ts, srcIp: null, dstIp: null }),
  msg: { op: 1, senderMac: "02:00:00:00:00:66", senderIp: sender, targetMac: "00:00:00:00:00:00", targetIp: target, gratuitous: false },
});

describe("host sweep", () => {
  test("ARP who-has for sweepHosts hosts fires with the sweeper as source; fewer stays silent", () => {
    const { store, settings } = fixture({ sweepHosts: 30 });
    const d = createHostSweepDetector(store, settings);
    for (let i = 1; i < 30; i++) d.observe!(whoHas("192.168.1.66", `192.168.1.${i}`, 1000 + i / 100));
    for (let i = 0; i < 100; i++) d.observe!(whoHas("192.168.1.66", "192.168.1.1", 1001)); // repeats of one host
    expect(store.size).toBe(0);
    d.observe!(whoHas("192.168.1.66", "192.168.1.200", 1002));
    const [t] = store.list();
    expect(t.type).toBe("host_sweep");
    expect(t.sourceIp).toBe("192.168.1.66");
    expect(t.evidence.method).toBe("ARP");
    expect(t.evidence.hosts).toBe(30);
  });

  test("ICMP echo sweep and TCP sweep of one port on the LAN", () => {
    const { store, settings } = fixture({ sweepHosts: 10 });
    const d = createHostSweepDetector(store, settings);
    for (let i = 1; i <= 10; i++) d.observe!(icmpObs({ srcIp: "10.0.0.66", dstIp: `10.0.1.${i}`, ts: 1000 }, 8));
    for (let i = 1; i <= 10; i++) d.flowStarted!(flow({ srcIp: "10.0.0.77", dstIp: `10.0.2.${i}`, dstPort: 22, startTime: 1000 }));
    const methods = store.list().map((t) => `${t.sourceIp} ${t.evidence.method}`).sort();
    expect(methods).toEqual(["10.0.0.66 ICMP", "10.0.0.77 TCP/22"]);
  });

  test("browsing many internet hosts is not a sweep; failed attempts to them are", () => {
    const { store, settings } = fixture({ sweepHosts: 10 });
    const d = createHostSweepDetector(store, settings);
    for (let i = 1; i <= 50; i++) {
      const f = flow({ srcIp: "10.0.0.5", dstIp: `93.184.${i}.1`, dstPort: 443, tcpState: "closed", packetsReceived: 10 });
      d.flowStarted!(f);
      d.flowEnded!(f, "closed");
    }
    expect(store.size).toBe(0);
    for (let i = 1; i <= 10; i++) {
      d.flowEnded!(flow({ srcIp: "10.0.0.8", dstIp: `45.1.${i}.9`, dstPort: 23, tcpState: "attempt" }), "idle");
    }
    expect(store.list()[0].evidence.method).toBe("TCP/23");
  });

  test("ARP probes / announcements and multicast destinations are ignored; state is bounded", () => {
    const { store, settings } = fixture({ sweepHosts: 5, maxTrackedKeys: 100 });
    const d = createHostSweepDetector(store, settings);
    for (let i = 1; i <= 20; i++) d.observe!(whoHas("0.0.0.0", `10.0.0.${i}`, 1000));
    for (let i = 1; i <= 20; i++) d.flowStarted!(flow({ protocol: "UDP", dstIp: `239.255.255.${i}`, dstPort: 1900 }));
    expect(store.size).toBe(0);
    for (let i = 0; i < 100_000; i++) d.observe!(whoHas(`10.${(i >> 8) & 255}.${i & 255}.1`, "10.0.0.1", 1000));
    expect(d.tracked()).toBeLessThanOrEqual(100);
  });
});
