import { describe, expect, test } from "bun:test";
import { ipv6FromWords } from "../decode/addr.ts";
import { HOST, KNOWN_LOCAL, LOCAL, Locality, v6Prefix64 } from "./locality.ts";

describe("v6Prefix64", () => {
  test("first four groups, zeros dropped, :: expanded", () => {
    expect(v6Prefix64("2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:0:1");
    expect(v6Prefix64("2001:db8::1")).toBe("2001:db8:0:0");
    expect(v6Prefix64("2001:db8:1:2::")).toBe("2001:db8:1:2");
    expect(v6Prefix64("::1")).toBe("0:0:0:0");
    expect(v6Prefix64("::")).toBe("0:0:0:0");
    expect(v6Prefix64("fe80::1:2:3:4:5")).toBe("fe80:0:0:1");
  });

  test("zone ids, prefix lengths and upper case are cleaned first", () => {
    expect(v6Prefix64("FE80::1%eth0")).toBe("fe80:0:0:0");
    expect(v6Prefix64("2001:DB8:1::/64")).toBe("2001:db8:1:0");
  });

  test("not an IPv6 prefix", () => {
    expect(v6Prefix64("a:b:c")).toBeUndefined();
    expect(v6Prefix64("1::2::3")).toBeUndefined();
  });
});

describe("Locality", () => {
  const ip4 = (text: string) => text.split(".").reduce((n, o) => n * 256 + Number(o), 0);

  test("IPv4 by number answers as by text", () => {
    const loc = new Locality();
    loc.learnAddress("203.0.113.7");
    for (const ip of ["203.0.113.9", "203.0.114.9", "192.168.1.2", "169.254.3.4", "8.8.8.8", "0.0.0.0", "127.0.0.1", "224.0.0.251", "100.64.0.1"]) {
      expect(loc.flags4(ip4(ip))).toBe(loc.flags(ip));
    }
    expect(loc.flags("203.0.113.9")).toBe(HOST | LOCAL | KNOWN_LOCAL);
    expect(loc.flags("192.168.1.2")).toBe(HOST | LOCAL);
    expect(loc.flags("8.8.8.8")).toBe(HOST);
    expect(loc.flags("224.0.0.251")).toBe(0);
  });

  test("a learned prefix changes the answer for its addresses at once", () => {
    const loc = new Locality();
    expect(loc.isKnownLocal("10.1.2.3")).toBe(false);
    expect(loc.isKnownLocal("2001:db8:0:1::5")).toBe(false);
    expect(loc.learnAddress("10.1.2.1")).toBe(true);
    expect(loc.learnAddress("10.1.2.9")).toBe(false);
    loc.learnPrefix("2001:db8:0:1::/64");
    expect(loc.isKnownLocal("10.1.2.3")).toBe(true);
    expect(loc.flags4(ip4("10.1.2.3")) & KNOWN_LOCAL).toBe(KNOWN_LOCAL);
    expect(loc.isKnownLocal("2001:db8:0:1::5")).toBe(true);
    expect(loc.isLocal("2001:db8:0:2::5")).toBe(false);
  });

  test("text that is not a canonical dotted quad keeps the text rules", () => {
    const loc = new Locality();
    loc.learnAddress("10.1.2.1");
    // "010.1.2.3" is not how the capture path writes 10.1.2.3: its /24 text differs, as before.
    expect(loc.flags("010.1.2.3") & KNOWN_LOCAL).toBe(0);
  });
});

describe("flags6 (an IPv6 address by its words)", () => {
  test("answers what flags answers for the address's text, before and after /64s are learned", () => {
    let seed = 11;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    // First groups that sit on every boundary the answer turns on (ff.., fe80::/10, fc00::/7, zero, mapped).
    const firsts = [0, 1, 0xff, 0xfe, 0xff0, 0xfff, 0xff00, 0xffff, 0xfe80, 0xfebf, 0xfec0, 0xfc00, 0xfdff, 0xfe00, 0x2001, 0x2a00];
    const words: number[][] = [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0xffff, 0xc0a80001], [0, 0, 0, 2]];
    for (let n = 0; n < 3000; n++) {
      const g = firsts[n % firsts.length]!;
      const pick = () => (rand() % 3 === 0 ? 0 : rand());
      words.push([((g << 16) | (rand() % 4 === 0 ? 0 : rand() & 0xffff)) >>> 0, n % 5 === 0 ? 1 : pick(), pick(), pick()]);
    }
    const loc = new Locality();
    const check = () => {
      for (const [a, b, c, d] of words) expect(loc.flags6(a!, b!, c!, d!)).toBe(loc.flags(ipv6FromWords(a!, b!, c!, d!)));
    };
    check();
    loc.learnAddress("2001:db8:0:1::5");
    loc.learnPrefix("2a00:1450:4001:81c::/64");
    for (const [a, b] of words.slice(0, 40)) loc.learnAddress(ipv6FromWords(a!, b!, 0, 7));
    words.push([0x20010db8, 1, 0, 9], [0x2a001450, 0x4001081c, 5, 6]);
    check();
    expect(loc.flags6(0x20010db8, 1, 0, 9) & KNOWN_LOCAL).toBe(KNOWN_LOCAL);
  });
});
