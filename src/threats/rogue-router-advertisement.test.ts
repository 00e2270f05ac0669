import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import { createRogueRouterAdvertisementDetector } from "./rogue-router-advertisement.ts";
import { fixture, meta } from "./testing.ts";

const ROUTER = "fe80::1", ROUTER_MAC = "02:00:00:00:00:01", EVIL = "02:00:00:00:00:66";
const ra = (srcMac: string, routerLifetime: number, ts: number, ip = ROUTER): Observation => ({
  kind: "ndp",
  meta: meta({ ts, srcIp: ip, dstIp: "ff02::1", srcMac, ipVersion: 6, ipProtocol: 58 }),
  msg: { type: 134, routerLifetime, sourceLinkAddress: srcMac },
});

describe("rogue router advertisements", () => {
  test("lifetime 0 in a known router's name from another MAC fires (kill_router6), even when seen first", () => {
    const { store, settings } = fixture();
    const d = createRogueRouterAdvertisementDetector(store, settings);
    d.observe!(ra(EVIL, 0, 1000));
    expect(store.size).toBe(0);
    d.observe!(ra(ROUTER_MAC, 1800, 1001));
    d.observe!(ra(EVIL, 0, 1003));
    const [t] = store.list();
    expect(t.type).toBe("rogue_router_advertisement");
    expect(t.sourceMac).toBe(EVIL);
    expect(t.sourceIp).toBe(ROUTER);
    expect(t.count).toBe(2);
  });

  test("the router re-advertising, and a Thread border router's own lifetime-0 RAs, are silent", () => {
    const { store, settings } = fixture();
    const d = createRogueRouterAdvertisementDetector(store, settings);
    for (let i = 0; i < 10; i++) d.observe!(ra(ROUTER_MAC, 1800, 1000 + i * 200));
    for (let i = 0; i < 10; i++) d.observe!(ra("02:00:00:00:00:77", 0, 1000 + i * 200, "fe80::77"));
    expect(store.size).toBe(0);
  });

  test("a second router offering itself as default router once one is established is rogue (dnsmasq --enable-ra)", () => {
    const { store, settings } = fixture();
    const d = createRogueRouterAdvertisementDetector(store, settings);
    d.observe!(ra(ROUTER_MAC, 1800, 1000));
    d.observe!(ra(EVIL, 1800, 1008, "fe80::66"));
    const [t] = store.list();
    expect(t).toMatchObject({ type: "rogue_router_advertisement", sourceMac: EVIL, sourceIp: "fe80::66" });
    expect(t.evidence).toMatchObject({ routerMac: ROUTER_MAC, advertisedBy: EVIL });
    // A second router the user declared (gatewayIps) is not rogue.
    const ok = fixture({ gatewayIps: ["fe80::66"] });
    const d2 = createRogueRouterAdvertisementDetector(ok.store, ok.settings);
    d2.observe!(ra(ROUTER_MAC, 1800, 1000));
    d2.observe!(ra(EVIL, 1800, 1008, "fe80::66"));
    expect(ok.store.size).toBe(0);
  });
});
