/** The default-route parsers on real /proc/net/route and /proc/net/ipv6_route text, and the device list. */
import { describe, expect, test } from "bun:test";
import { defaultIpv4, defaultIpv6, listInterfaces } from "./interfaces.ts";

const ROUTE = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
wlan0	00000000	0101A8C0	0003	0	0	600	00000000	0	0	0
eth0	00000000	0100000A	0003	0	0	100	00000000	0	0	0
eth0	0000000A	00000000	0001	0	0	100	00FFFFFF	0	0	0
docker0	000011AC	00000000	0001	0	0	0	0000FFFF	0	0	0
`;

// lo's "unreachable" default (flags 0x200 REJECT) must not win; wlan0's real default must.
const ROUTE6 = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003    wlan0
`;

describe("default interface", () => {
  test("IPv4: the default route with the lowest metric", () => {
    expect(defaultIpv4(ROUTE)).toBe("eth0");
  });

  test("IPv4: no default route, no answer", () => {
    expect(defaultIpv4(ROUTE.split("\n").filter((l) => !l.includes("\t00000000\t0")).join("\n"))).toBeUndefined();
    expect(defaultIpv4("")).toBeUndefined();
  });

  test("IPv6: the default route, skipping lo's unreachable entry", () => {
    expect(defaultIpv6(ROUTE6)).toBe("wlan0");
    expect(defaultIpv6(ROUTE6.split("\n").slice(0, 2).join("\n"))).toBeUndefined();
  });
});

describe("listInterfaces", () => {
  test("lists loopback as up, with 127.0.0.1", () => {
    const lo = listInterfaces().find((i) => i.name === "lo");
    expect(lo).toBeDefined();
    expect(lo!.loopback).toBe(true);
    expect(lo!.up).toBe(true);
    expect(lo!.addresses).toContain("127.0.0.1");
  });
});
