import { describe, expect, test } from "bun:test";
import { createPortScanDetector, stealthKind } from "./port-scan.ts";
import { fixture, flow, icmpObs } from "./testing.ts";

describe("port scan", () => {
  test("fires when one source probes portScanPorts ports of one host, with the scanner as source", () => {
    const { store, settings } = fixture({ portScanPorts: 20 });
    const d = createPortScanDetector(store, settings);
    for (let p = 1; p <= 19; p++) d.flowStarted!(flow({ srcIp: "10.0.0.66", dstIp: "10.0.0.9", dstPort: p, startTime: 1000 + p / 10 }));
    expect(store.size).toBe(0);
    d.flowStarted!(flow({ srcIp: "10.0.0.66", dstIp: "10.0.0.9", dstPort: 20, startTime: 1003 }));
    const [t] = store.list();
    expect(t.type).toBe("port_scan");
    expect(t.sourceIp).toBe("10.0.0.66");
    expect(t.targetIp).toBe("10.0.0.9");
    expect(t.evidence.ports).toBe(20);
    // Growth after the first raise is reported on the next tick, not per probe.
    for (let p = 21; p <= 120; p++) d.flowStarted!(flow({ srcIp: "10.0.0.66", dstIp: "10.0.0.9", dstPort: p, startTime: 1004 }));
    expect(store.get(t.id)!.evidence.ports).toBe(20);
    d.tick!(1005);
    expect(store.get(t.id)!.evidence.ports).toBe(120);
    expect(store.get(t.id)!.severity).toBe("high");
  });

  test("silent for many connections to one port, and for ports spread beyond the window", () => {
    const { store, settings } = fixture({ portScanPorts: 20, portScanWindowSeconds: 60 });
    const d = createPortScanDetector(store, settings);
    for (let i = 0; i < 200; i++) d.flowStarted!(flow({ srcPort: 30000 + i, dstPort: 443, startTime: 1000 + i }));
    for (let p = 1; p <= 40; p++) d.flowStarted!(flow({ dstIp: "10.0.0.50", dstPort: p, startTime: 2000 + p * 10 }));
    expect(store.size).toBe(0);
  });

  test("FIN / NULL / Xmas probes count as a stealth scan", () => {
    expect(stealthKind("")).toBe("NULL");
    expect(stealthKind("F")).toBe("FIN");
    expect(stealthKind("FPU")).toBe("Xmas");
    expect(stealthKind("S")).toBeUndefined();
    expect(stealthKind("A")).toBeUndefined();
    const { store, settings } = fixture({ stealthScanProbes: 3 });
    const d = createPortScanDetector(store, settings);
    for (const [port, flags] of [[1, "F"], [2, ""], [3, "FPU"]] as const) d.flowStarted!(flow({ dstPort: port, tcpFlags: flags }));
    const [t] = store.list();
    expect(t.evidence.stealthProbes).toBe(3);
    expect(t.evidence.scanTypes).toEqual(expect.arrayContaining(["FIN", "NULL", "Xmas"]));
  });

  test("UDP scan: ICMP port unreachable replies point at the scanner", () => {
    const { store, settings } = fixture({ udpScanUnreachables: 10 });
    const d = createPortScanDetector(store, settings);
    for (let i = 0; i < 9; i++) d.observe!(icmpObs({ srcIp: "10.0.0.9", dstIp: "10.0.0.66", ts: 1000 + i }, 3, 3));
    d.observe!(icmpObs({ srcIp: "10.0.0.9", dstIp: "10.0.0.66", ts: 1000 }, 3, 1)); // host unreachable: not a closed port
    expect(store.size).toBe(0);
    d.observe!(icmpObs({ srcIp: "10.0.0.9", dstIp: "10.0.0.66", ts: 1010 }, 3, 3));
    expect(store.list()[0].sourceIp).toBe("10.0.0.66");
  });

  test("state stays bounded under a million spoofed sources", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 500 });
    const d = createPortScanDetector(store, settings);
    for (let i = 0; i < 1_000_000; i++) {
      d.flowStarted!(flow({ srcIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dstPort: 80, startTime: 1000 }));
    }
    expect(d.tracked()).toBeLessThanOrEqual(500);
    expect(store.size).toBe(0);
  }, 60_000); // a million flows: ~1.5 s alone, over the default 5 s on a loaded machine (not a speed check)
});
