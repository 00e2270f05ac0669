import { describe, expect, test } from "bun:test";
import { createUdpFloodDetector } from "./udp-flood.ts";
import { fixture, flow } from "./testing.ts";

describe("UDP flood", () => {
  test("new UDP flows per second to one target (random ports) fire; DNS-rate traffic does not", () => {
    const { store, settings } = fixture({ udpFloodNewFlowsPerSecond: 200 });
    const d = createUdpFloodDetector(store, settings);
    for (let i = 0; i < 300; i++) d.flowStarted!(flow({ protocol: "UDP", dstIp: "10.0.0.53", dstPort: 53, srcPort: 1024 + i, startTime: 1000 + i / 10 }));
    expect(store.size).toBe(0);
    for (let i = 0; i < 1000; i++) d.flowStarted!(flow({ protocol: "UDP", srcIp: "10.0.0.66", dstIp: "10.0.0.9", dstPort: i, startTime: 2000 + i / 1000 }));
    expect(store.list()[0].sourceIp).toBe("10.0.0.66");
  });

  test("a one-way high-rate flow fires when it ends; a two-way stream does not", () => {
    const { store, settings } = fixture({ udpFloodPacketsPerSecond: 5000, floodMinPackets: 1000 });
    const d = createUdpFloodDetector(store, settings);
    d.flowEnded!(flow({ protocol: "UDP", packetsSent: 60_000, packetsReceived: 30_000, startTime: 1000, lastSeen: 1010 }), "idle");
    expect(store.size).toBe(0);
    d.flowEnded!(flow({ protocol: "UDP", packetsSent: 60_000, packetsReceived: 0, startTime: 1000, lastSeen: 1010 }), "idle");
    expect(store.list()[0].evidence.packetsPerSecond).toBe(6000);
  });

  test("bounded targets", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 50 });
    const d = createUdpFloodDetector(store, settings);
    for (let i = 0; i < 10_000; i++) d.flowStarted!(flow({ protocol: "UDP", dstIp: `10.1.${i >> 8}.${i & 255}` }));
    expect(d.tracked()).toBeLessThanOrEqual(50);
  });
});
