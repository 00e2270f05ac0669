import { describe, expect, test } from "bun:test";
import { AddressMatcher, ipv4Number, ipv6Hex } from "./address-applications.ts";

describe("AddressMatcher", () => {
  const m = new AddressMatcher();

  test("finds an application by IPv4 and IPv6 prefix", () => {
    expect(m.matchAddress("91.108.8.8")?.application).toBe("Telegram");
    expect(m.matchAddress("149.154.167.91")?.application).toBe("Telegram");
    expect(m.matchAddress("52.114.250.153")?.application).toBe("Microsoft Teams");
    expect(m.matchAddress("2a00:1450:4001:803::1017")?.application).toBe("Google");
    expect(m.matchAddress("2001:67c:4e8:f004::a")?.application).toBe("Telegram");
  });

  test("prefix edges are exact", () => {
    expect(m.matchAddress("91.108.3.255")).toBeUndefined(); // just below 91.108.4.0/22
    expect(m.matchAddress("149.154.159.255")).toBeUndefined();
    expect(m.matchAddress("149.154.175.255")?.application).toBe("Telegram");
    expect(m.matchAddress("149.154.176.0")).toBeUndefined();
  });

  test("the longest prefix wins", () => {
    const custom = new AddressMatcher([
      { app: "Wide", category: "web", prefixes: ["10.0.0.0/8"] },
      { app: "Narrow", category: "web", prefixes: ["10.1.2.0/24"] },
    ], []);
    expect(custom.matchAddress("10.1.2.3")?.application).toBe("Narrow");
    expect(custom.matchAddress("10.1.3.3")?.application).toBe("Wide");
  });

  test("LAN discovery ports name their application in either direction", () => {
    expect(m.matchPort(17, 17500, 17500)?.application).toBe("Dropbox");
    expect(m.matchPort(17, 57621, 57621)?.application).toBe("Spotify");
    expect(m.matchPort(6, 11095, 50000)?.application).toBe("Google Nest");
    expect(m.matchPort(6, 17500, 1)).toBeUndefined();
  });

  test("IPv6 written with short or upper-case groups, and numeric IPv4, match as their text does", () => {
    expect(m.matchAddress("2001:67c:4e8:1::2")?.application).toBe("Telegram");
    expect(m.matchAddress("2001:B28:F23D::1")?.application).toBe("Telegram");
    expect(m.matchAddress("2001:0b28:f23e::1")).toBeUndefined();
    expect(m.matchAddress("2001:db8::1")).toBeUndefined();
    expect(m.matchIpv4(ipv4Number("91.108.4.9")!)?.application).toBe("Telegram");
    expect(m.matchIpv4(ipv4Number("8.8.8.8")!)).toBeUndefined();
  });

  test("malformed addresses match nothing", () => {
    for (const bad of ["", "1.2.3", "1.2.3.256", "a.b.c.d", "1::2::3", "12345::", "::g"]) {
      expect(m.matchAddress(bad)).toBeUndefined();
    }
    expect(ipv4Number("10.0.0.1")).toBe(0x0a000001);
    expect(ipv6Hex("::1")).toBe("0".repeat(31) + "1");
    expect(ipv6Hex("fe80::1%eth0")).toBe("fe80" + "0".repeat(27) + "1");
  });
});

describe("AddressMatcher.matchIpv4 and matchPort (typed-array filters before the lookups)", () => {
  /** The longest matching prefix by a scan of the whole table. */
  function naive(table: { app: string; prefixes: string[] }[], n: number): string | undefined {
    let best: string | undefined, bestBits = -1;
    for (const row of table) {
      for (const p of row.prefixes) {
        if (p.includes(":")) continue;
        const [addr, b] = p.split("/");
        const bits = Number(b), base = ipv4Number(addr!)!;
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        if (((n & mask) >>> 0) === ((base & mask) >>> 0) && bits > bestBits) {
          best = row.app;
          bestBits = bits;
        }
      }
    }
    return best;
  }

  test("answers as a scan of every prefix does, for short and long prefixes and addresses at their edges", async () => {
    const { ADDRESS_APPLICATIONS } = await import("./address-applications.ts");
    const custom = [
      { app: "Short", category: "web" as const, prefixes: ["96.0.0.0/5", "200.0.0.0/13"] },
      { app: "Long", category: "web" as const, prefixes: ["200.7.255.128/25", "99.1.2.3/32"] },
    ];
    let seed = 5;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (const table of [ADDRESS_APPLICATIONS, custom, [{ app: "All", category: "web" as const, prefixes: ["0.0.0.0/0"] }]]) {
      const m = new AddressMatcher(table, []);
      const probes: number[] = [];
      for (const row of table) {
        for (const p of row.prefixes) {
          if (p.includes(":")) continue;
          const [addr, b] = p.split("/");
          const base = ipv4Number(addr!)!, size = 2 ** (32 - Number(b));
          probes.push(base, (base + size - 1) >>> 0, (base - 1) >>> 0, (base + size) >>> 0);
        }
      }
      for (let k = 0; k < 20000; k++) probes.push(rand());
      for (const n of probes) expect(m.matchIpv4(n)?.application).toBe(naive(table, n));
    }
  });

  test("a port no application uses answers nothing; one that is used answers on either end", () => {
    const m = new AddressMatcher([], [{ app: "Dropbox", category: "storage", ipProtocol: 17, port: 17500 }]);
    expect(m.matchPort(17, 40000, 17500)?.application).toBe("Dropbox");
    expect(m.matchPort(17, 17500, 40000)?.application).toBe("Dropbox");
    expect(m.matchPort(6, 17500, 40000)).toBeUndefined();
    expect(m.matchPort(17, 40000, 40001)).toBeUndefined();
  });
});

test("matchAddress answers dotted quads and IPv6 outside the table's /32s without its cache, as the lookup does", () => {
  const m = new AddressMatcher();
  for (const [ip, app] of [["142.250.1.1", "Google"], ["10.0.0.1", undefined], ["2001:db8::1", undefined], ["2a00:1450:4001:803::1017", "Google"], ["2A00:1450::1", "Google"]] as const) {
    expect(m.matchAddress(ip)?.application).toBe(app);
    expect(m.matchAddress(ip)?.application).toBe(app); // a second time (cached or not) says the same
  }
  expect(m.matchAddress("142.250.1.1")).toBe(m.matchIpv4(ipv4Number("142.250.1.1")!));
});
