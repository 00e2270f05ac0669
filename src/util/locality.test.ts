import { describe, expect, test } from "bun:test";
import { canonicalIpv4, ipv4Number, isHostAddress, isLinkLocal, isLocalAddress, isLoopback } from "./locality.ts";

describe("isLocalAddress", () => {
  const local = [
    "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.23",
    "127.0.0.1", "127.255.255.254", // loopback 127/8
    "100.64.0.1", "100.127.255.254", // CGNAT 100.64/10
    "169.254.10.20", // IPv4 link-local
    "fc00::1", "fd12:3456:789a::1", "FD00::1", // ULA fc00::/7
    "fe80::1", "fe80::1c2b:3aff:fe4d:5e6f%eth0", "febf::1", // link-local fe80::/10
    "::1", "0:0:0:0:0:0:0:1",
  ];
  const remote = [
    "8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "192.169.0.1", "11.0.0.1",
    "100.63.255.255", "100.128.0.0", // just outside CGNAT
    "128.0.0.1", "169.253.0.1", "2001:db8::1", "2a00:1450:4001::200e",
    "fbff::1", "fe00::1", "fe7f::1", "fec0::1", // just outside ULA and link-local
    "::", "::2", "ff02::1",
  ];
  const malformed = ["", "10.0.0", "10.0.0.1.5", "10.0.0.256", "10..0.1", "a.b.c.d", "fd12345::1", "localhost", " 10.0.0.1"];

  test.each(local)("%s is local", (ip) => expect(isLocalAddress(ip)).toBe(true));
  test.each(remote)("%s is not", (ip) => expect(isLocalAddress(ip)).toBe(false));
  test.each(malformed)("malformed %p is not", (ip) => expect(isLocalAddress(ip)).toBe(false));
});

test("loopback and link-local on their own", () => {
  expect(["127.0.0.1", "127.9.9.9", "::1"].map(isLoopback)).toEqual([true, true, true]);
  expect(["128.0.0.1", "10.0.0.1", "::2", "fe80::1"].map(isLoopback)).toEqual([false, false, false, false]);
  expect(["169.254.1.1", "fe80::1", "FEBF::1"].map(isLinkLocal)).toEqual([true, true, true]);
  expect(["169.255.1.1", "fec0::1", "fd00::1", "10.0.0.1"].map(isLinkLocal)).toEqual([false, false, false, false]);
});

test("host addresses: not unspecified, loopback, multicast or broadcast", () => {
  expect(["192.168.1.2", "8.8.8.8", "fe80::1", "2001:db8::1"].map(isHostAddress)).toEqual([true, true, true, true]);
  expect(["0.0.0.0", "127.0.0.1", "224.0.0.251", "255.255.255.255", "::", "ff02::1"].map(isHostAddress))
    .toEqual([false, false, false, false, false, false]);
});

test("ipv4Number reads dotted quads only", () => {
  expect(ipv4Number("192.168.1.23")).toBe(0xc0a80117);
  expect(ipv4Number("255.255.255.255")).toBe(0xffffffff);
  expect(["", "1.2.3", "1.2.3.4.", ".1.2.3", "1.2.3.x", "256.1.1.1"].map(ipv4Number)).toEqual([-1, -1, -1, -1, -1, -1]);
});

describe("canonicalIpv4", () => {
  test("takes the capture path's text and agrees with ipv4Number on it", () => {
    for (const ip of ["0.0.0.0", "10.0.0.1", "192.168.1.23", "255.255.255.255", "8.8.4.4"]) {
      expect(canonicalIpv4(ip)).toBe(ipv4Number(ip));
    }
    expect(canonicalIpv4("192.168.1.23")).toBe(0xc0a80117);
  });
  test("refuses any other spelling of an address (devices key it by text too, so it must not alias)", () => {
    for (const ip of ["010.0.0.1", "10.0.0.01", "0010.0.0.1", "10.0.0", "10.0.0.1.2", "256.0.0.1", "10..0.1", "fe80::1", "", "1.2.3.4 "]) {
      expect(canonicalIpv4(ip)).toBe(-1);
    }
    expect(ipv4Number("010.0.0.1")).toBe(0x0a000001);
  });
});
