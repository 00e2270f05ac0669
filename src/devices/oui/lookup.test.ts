import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import ouiFile from "./oui.tsv.gz" with { type: "file" };
import { OUI_DATA_DATE, isLocallyAdministered, lookupVendor, macHex, ouiSize } from "./lookup.ts";

describe("OUI vendor lookup", () => {
  test("loads the full registry (MA-L + MA-M + MA-S)", () => {
    expect(ouiSize()).toBeGreaterThan(40000);
    expect(OUI_DATA_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
  test("prefixes the IEEE assigned after Debian's 2022 ieee-data are known (oui-data)", () => {
    expect(OUI_DATA_DATE >= "2026-01-01").toBe(true);
    expect(lookupVendor("00:66:dc:12:34:56")).toBe("Apple");
    expect(lookupVendor("00:4b:12:00:00:01")).toBe("Espressif");
  });
  test("24-bit MA-L prefixes", () => {
    expect(lookupVendor("b8:27:eb:12:34:56")).toBe("Raspberry Pi Foundation");
    expect(lookupVendor("00:1A:11:00:00:01")).toBe("Google");
    expect(lookupVendor("5c-cf-7f-07-ae-fb")).toBe("Espressif");
    expect(lookupVendor("d8:30:62:56:00:1c")).toBe("Apple");
  });
  test("longest prefix wins: 28-bit MA-M and 36-bit MA-S inside IEEE RA blocks", () => {
    // 70:b3:d5 is an IEEE Registration Authority MA-L split into MA-S (36-bit) blocks.
    expect(lookupVendor("70:b3:d5:f2:f0:01")).toBe("TELEPLATFORMS");
    expect(lookupVendor("70:b3:d5:71:90:01")).toBe("2M Technology");
    // 20:85:93 is split into MA-M (28-bit) blocks: 208593B = IOG Products.
    expect(lookupVendor("20:85:93:b0:00:00")).toBe("IOG Products");
    expect(lookupVendor("70:b3:d5:00:00:00")).not.toBe("IEEE Registration Authority");
  });
  test("locally administered and malformed MACs have no vendor", () => {
    expect(isLocallyAdministered("92:dd:a4:8d:5f:de")).toBe(true);
    expect(isLocallyAdministered("b8:27:eb:00:00:00")).toBe(false);
    expect(lookupVendor("92:dd:a4:8d:5f:de")).toBeUndefined();
    expect(lookupVendor("zz")).toBeUndefined();
    expect(macHex("B8:27:EB:00:00:0")).toBeUndefined();
  });
});

describe("the compact table", () => {
  test("answers as a plain map per prefix length would, for MACs under every kind of prefix and random ones", () => {
    // The reference: the registry file read into one Map per prefix length, longest prefix first.
    const rows = new TextDecoder().decode(Bun.gunzipSync(readFileSync(ouiFile))).split("\n").filter(Boolean).map((l) => l.split("\t") as [string, string]);
    const maps = new Map<number, Map<string, string>>([[9, new Map()], [7, new Map()], [6, new Map()]]);
    for (const [hex, name] of rows) maps.get(hex.length)?.set(hex, name);
    const reference = (hex: string) => {
      if (parseInt(hex.slice(0, 2), 16) & 0x02) return undefined;
      for (const n of [9, 7, 6]) {
        const name = maps.get(n)!.get(hex.slice(0, n));
        if (name !== undefined) return name;
      }
      return undefined;
    };
    let seed = 7;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const hexDigits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join("");
    const macs: string[] = [];
    for (let k = 0; k < rows.length; k += 7) macs.push(rows[k]![0] + hexDigits(12 - rows[k]![0].length));
    for (let k = 0; k < 2000; k++) macs.push(hexDigits(12));
    let named = 0;
    for (const hex of macs) {
      const expected = reference(hex);
      if (expected !== undefined) named++;
      expect(lookupVendor(hex.match(/../g)!.join(":"))).toBe(expected);
    }
    expect(named).toBeGreaterThan(5000);
    expect(ouiSize()).toBe(rows.length);
  });
});
