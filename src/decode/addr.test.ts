import { describe, expect, test } from "bun:test";
import { ipv4FromNumber, ipv4Name, ipv6FromWords, ipv6Name, macFromNumber, macNumberAt } from "./addr.ts";

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

describe("cached address names", () => {
  test("IPv6 names are the same as made fresh, also for many addresses (hash collisions, cache resets)", () => {
    let seed = 5;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 200_000; i++) {
      const w = [0x20010db8, i % 7 === 0 ? 0 : rnd(), rnd() & 0xffff, i % 5];
      expect(ipv6Name(w[0], w[1], w[2], w[3])).toBe(ipv6FromWords(w[0], w[1], w[2], w[3]));
      const v4 = rnd();
      if (i % 50 === 0) expect(ipv4Name(v4)).toBe(ipv4FromNumber(v4));
    }
  });
});
