import { describe, expect, test } from "bun:test";
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
