import { describe, expect, test } from "bun:test";
import { ipv4FromNumber, ipv6FromWords, macFromNumber, macNumberAt } from "./addr.ts";

describe("addr", () => {
  test("MACs survive the number round trip", () => {
    for (const mac of ["00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "b8:27:eb:01:02:03", "02:42:ac:11:00:09"]) {
      const bytes = Uint8Array.from(mac.split(":"), (h) => parseInt(h, 16));
      expect(macFromNumber(macNumberAt(bytes, 0))).toBe(mac);
    }
  });

  test("IPv4 from numbers and IPv6 from words", () => {
    expect(ipv4FromNumber(0xc0a80101)).toBe("192.168.1.1");
    expect(ipv6FromWords(0x20010db8, 0, 0, 1)).toBe("2001:db8::1");
    expect(ipv6FromWords(0, 0, 0xffff, 0x0a000001)).toBe("::ffff:10.0.0.1");
  });
});
