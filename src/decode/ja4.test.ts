import { describe, expect, test } from "bun:test";
import { isGrease, ja4, type Ja4Input } from "./ja4.ts";

// FoxIO's README example (Chrome): the sorted cipher and extension strings and their hashes.
const CHROME: Ja4Input = {
  transport: "t",
  version: 0x0303,
  supportedVersions: [0x0a0a, 0x0304, 0x0303],
  hasSni: true,
  alpn: ["h2", "http/1.1"],
  cipherSuites: [0x1a1a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
  extensions: [0x2a2a, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005, 0x000d, 0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x4469, 0x3a3a, 0x0015],
  signatureAlgorithms: [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601],
};

describe("ja4", () => {
  test("FoxIO README Chrome example", () => {
    expect(ja4(CHROME)).toBe("t13d1516h2_8daaf6152771_e5627efa2ab1");
  });
  test("QUIC prefix, no SNI, no ALPN", () => {
    const out = ja4({ ...CHROME, transport: "q", hasSni: false, alpn: [] });
    expect(out.startsWith("q13i151600_8daaf6152771_")).toBe(true);
  });
  test("version falls back to legacy_version without supported_versions", () => {
    expect(ja4({ ...CHROME, supportedVersions: [], version: 0x0301 }).slice(0, 3)).toBe("t10");
    expect(ja4({ ...CHROME, supportedVersions: [0x0304, 0xfb1a] }).slice(0, 3)).toBe("t00"); // unknown draft is highest
  });
  test("ALPN: first and last character; non-alphanumeric uses hex digits", () => {
    expect(ja4({ ...CHROME, alpn: ["http/1.1"] }).slice(8, 10)).toBe("h1");
    expect(ja4({ ...CHROME, alpn: ["x"], alpnFirstBytes: Uint8Array.of(0xab, 0xcd) }).slice(8, 10)).toBe("ad");
  });
  test("counts are capped at 99 and empty lists hash to zeros", () => {
    const many = Array.from({ length: 150 }, (_, i) => i + 1);
    expect(ja4({ ...CHROME, cipherSuites: many }).slice(4, 6)).toBe("99");
    expect(ja4({ ...CHROME, cipherSuites: [], extensions: [0x0000] })).toBe("t13d0001h2_000000000000_000000000000");
  });
  test("GREASE", () => {
    expect(isGrease(0x0a0a)).toBe(true);
    expect(isGrease(0xfafa)).toBe(true);
    expect(isGrease(0x0a1a)).toBe(false);
    expect(isGrease(0x1301)).toBe(false);
  });
});
