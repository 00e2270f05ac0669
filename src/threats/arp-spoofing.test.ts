import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import { createArpSpoofingDetector } from "./arp-spoofing.ts";
import { fixture, meta } from "./testing.ts";

const GW = "10.0.0.1", GW_MAC = "02:00:00:00:00:01", EVIL = "02:00:00:00:00:66";
const arp = (op: 1 | 2, senderIp: string, senderMac: string, targetIp: string, ts: number): Observation => ({
  kind: "arp",
  meta: meta({ ts, srcIp: null, dstIp: null, srcMac: senderMac }),
  msg: { op, senderIp, senderMac, targetIp, targetMac: "02:00:00:00:00:02", gratuitous: false },
});

describe("ARP spoofing", () => {
  test("unsolicited replies claiming an established IP fire with the spoofer's MAC as source", () => {
    const { store, settings } = fixture();
    const d = createArpSpoofingDetector(store, settings);
    d.observe!(arp(1, "10.0.0.2", "02:00:00:00:00:02", GW, 1000));
    d.observe!(arp(2, GW, GW_MAC, "10.0.0.2", 1000.01));
    for (let i = 0; i < 2; i++) d.observe!(arp(2, GW, EVIL, "10.0.0.2", 1010 + i * 2));
    expect(store.size).toBe(0); // two replies could still be a re-addressed device
    d.observe!(arp(2, GW, EVIL, "10.0.0.2", 1014));
    const [t] = store.list();
    expect(t.type).toBe("arp_spoofing");
    expect(t.sourceMac).toBe(EVIL);
    expect(t.targetIp).toBe(GW);
    expect(t.evidence.establishedMac).toBe(GW_MAC);
  });

  test("a known gateway claimed by an unsolicited reply fires at once, critical", () => {
    const { store, settings } = fixture({ gatewayIps: [GW] });
    const d = createArpSpoofingDetector(store, settings);
    d.observe!(arp(2, GW, GW_MAC, "10.0.0.2", 1000));
    d.observe!(arp(2, GW, EVIL, "10.0.0.2", 1010));
    expect(store.list()[0].severity).toBe("critical");
  });

  test("a binding that flaps between owner and another MAC fires", () => {
    const { store, settings } = fixture();
    const d = createArpSpoofingDetector(store, settings);
    d.observe!(arp(2, "10.0.0.7", "02:00:00:00:00:07", "10.0.0.2", 1000));
    d.observe!(arp(1, "10.0.0.2", "02:00:00:00:00:02", "10.0.0.7", 1001));
    d.observe!(arp(2, "10.0.0.7", EVIL, "10.0.0.2", 1001.1)); // solicited, racing the owner
    d.observe!(arp(2, "10.0.0.7", "02:00:00:00:00:07", "10.0.0.2", 1001.2));
    d.observe!(arp(1, "10.0.0.2", "02:00:00:00:00:02", "10.0.0.7", 1002));
    d.observe!(arp(2, "10.0.0.7", EVIL, "10.0.0.2", 1002.1));
    expect(store.list()[0].sourceMac).toBe(EVIL);
  });

  test("an address re-assigned after the owner left, and normal request/reply cycles, stay silent", () => {
    const { store, settings } = fixture({ arpBindingSeconds: 1800 });
    const d = createArpSpoofingDetector(store, settings);
    for (let i = 0; i < 50; i++) {
      d.observe!(arp(1, "10.0.0.2", "02:00:00:00:00:02", GW, 1000 + i * 60));
      d.observe!(arp(2, GW, GW_MAC, "10.0.0.2", 1000 + i * 60 + 0.01));
    }
    d.observe!(arp(2, "10.0.0.9", "02:00:00:00:00:09", "10.0.0.2", 1000));
    for (let i = 0; i < 5; i++) d.observe!(arp(2, "10.0.0.9", "02:00:00:00:00:10", "10.0.0.2", 5000 + i * 10));
    expect(store.size).toBe(0);
  });

  test("one MAC claiming many IPs fires; state is bounded", () => {
    const { store, settings } = fixture({ arpMacIps: 10, maxTrackedKeys: 300 });
    const d = createArpSpoofingDetector(store, settings);
    for (let i = 1; i <= 10; i++) d.observe!(arp(2, `10.0.0.${100 + i}`, EVIL, "10.0.0.2", 1000 + i));
    expect(store.list()[0].evidence.ips).toBe(10);
    for (let i = 0; i < 50_000; i++) d.observe!(arp(2, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `02:00:00:${(i >> 16) & 255}:${(i >> 8) & 255}:${i & 255}`, "10.0.0.2", 2000));
    expect(d.tracked()).toBeLessThanOrEqual(900);
  });
});
