import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import type { DhcpMessage } from "../decode/types.ts";
import { createDhcpStarvationDetector } from "./dhcp-starvation.ts";
import { createRogueDhcpDetector } from "./rogue-dhcp.ts";
import { fixture, meta } from "./testing.ts";

const dhcp = (p: Partial<DhcpMessage>, m: object = {}): Observation => ({
  kind: "dhcp",
  meta: meta({ srcPort: 67, dstPort: 68, ...m }),
  msg: { op: 2, messageType: 2, xid: 1, clientMac: "02:00:00:00:00:02", clientIp: "0.0.0.0", yourIp: "10.0.0.50",
    serverIp: "0.0.0.0", relayIp: "0.0.0.0", optionOrder: [], ...p },
});

describe("rogue DHCP", () => {
  test("learns the first server; another server's OFFER fires with that server as source", () => {
    const { store, settings } = fixture();
    const d = createRogueDhcpDetector(store, settings);
    d.observe!(dhcp({ serverId: "10.0.0.1" }, { srcIp: "10.0.0.1" }));
    d.observe!(dhcp({ serverId: "10.0.0.1", messageType: 5 }, { srcIp: "10.0.0.1" }));
    expect(store.size).toBe(0);
    d.observe!(dhcp({ serverId: "10.0.0.66", router: ["10.0.0.66"] }, { srcIp: "10.0.0.66", srcMac: "02:00:00:00:00:66" }));
    const [t] = store.list();
    expect(t.type).toBe("rogue_dhcp");
    expect(t.sourceIp).toBe("10.0.0.66");
    expect(t.sourceMac).toBe("02:00:00:00:00:66");
  });

  test("configured servers are trusted; client requests are ignored", () => {
    const { store, settings } = fixture({ dhcpServers: ["10.0.0.1", "10.0.0.2"] });
    const d = createRogueDhcpDetector(store, settings);
    d.observe!(dhcp({ op: 1, messageType: 1 }, { srcIp: "0.0.0.0" }));
    d.observe!(dhcp({ serverId: "10.0.0.2" }));
    d.observe!(dhcp({ serverId: "10.0.0.1" }));
    expect(store.size).toBe(0);
    d.observe!(dhcp({ serverId: "10.0.0.3" }));
    expect(store.list()[0].evidence.configured).toBe(true);
  });

  test("DHCP starvation: a flood of DISCOVERs from one MAC fires; a normal client does not", () => {
    const { store, settings } = fixture({ dhcpStarvationRequests: 100 });
    const d = createDhcpStarvationDetector(store, settings);
    for (let i = 0; i < 4; i++) d.observe!(dhcp({ op: 1, messageType: 1, xid: i }, { ts: 1000 + i }));
    expect(store.size).toBe(0);
    for (let i = 0; i < 500; i++) {
      d.observe!(dhcp({ op: 1, messageType: 1, xid: i, clientMac: `de:ad:00:00:${i >> 8}:${i & 255}` }, { srcMac: "de:ad:be:ef:aa:bb", ts: 2000 }));
    }
    d.tick!(2001);
    const [t] = store.list();
    expect(t.sourceMac).toBe("de:ad:be:ef:aa:bb");
    expect(t.evidence.requests).toBe(500);
  });
});
