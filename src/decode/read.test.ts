import { describe, expect, test } from "bun:test";
import { hex, ipv4String, ipv6String, latin1Text, macString, u16, u32, u8, utf8, wireName } from "./read.ts";

const b = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const v6 = (h: string) => ipv6String(b(h), 0);

describe("integer readers", () => {
  const bytes = b("01 02 03 04 ff");
  test("read big-endian values inside the bounds", () => {
    expect(u8(bytes, 4, 5)).toBe(0xff);
    expect(u16(bytes, 0, 5)).toBe(0x0102);
    expect(u32(bytes, 1, 5)).toBe(0x020304ff);
    expect(u32(b("ffffffff"), 0, 4)).toBe(0xffffffff); // unsigned, not -1
  });
  test("return undefined past end, past the buffer, or at a negative offset", () => {
    expect(u8(bytes, 5, 5)).toBeUndefined();
    expect(u16(bytes, 3, 4)).toBeUndefined(); // end bound tighter than buffer
    expect(u32(bytes, 2, 100)).toBeUndefined(); // end larger than buffer
    expect(u8(bytes, -1, 5)).toBeUndefined();
  });
});

describe("address formatters", () => {
  test("macString", () => {
    expect(macString(b("00 0c 29 ab CD ef 99"), 0)).toBe("00:0c:29:ab:cd:ef");
    expect(macString(b("00 0c 29 ab cd"), 0)).toBe("");
  });
  test("ipv4String", () => {
    expect(ipv4String(b("00 c0 a8 01 fe"), 1)).toBe("192.168.1.254");
    expect(ipv4String(b("c0 a8 01"), 0)).toBe("");
  });
  test("ipv6String follows RFC 5952", () => {
    expect(v6("20010db8000000000000000000000001")).toBe("2001:db8::1");
    expect(v6("00000000000000000000000000000000")).toBe("::");
    expect(v6("00000000000000000000000000000001")).toBe("::1");
    expect(v6("fe800000000000000000000000000000")).toBe("fe80::");
    expect(v6("fe80000000000000020c29fffeabcdef")).toBe("fe80::20c:29ff:feab:cdef");
    expect(v6("ff020000000000000000000000000001")).toBe("ff02::1");
    // a single zero group is not shortened
    expect(v6("20010db8000000010001000100010001")).toBe("2001:db8:0:1:1:1:1:1");
    // the longest run wins; the first on a tie
    expect(v6("20010000000000010000000000000001")).toBe("2001:0:0:1::1");
    expect(v6("20010db8000000010000000000000001")).toBe("2001:db8:0:1::1");
    expect(v6("20010db8000000000001000000000001")).toBe("2001:db8::1:0:0:1");
    expect(v6("00000000000000000000ffffc0000201")).toBe("::ffff:192.0.2.1");
    expect(v6("20010db800000000000000000000")).toBe(""); // 14 bytes
  });
  test("hex and utf8 clip to the buffer", () => {
    expect(hex(b("01aabbccddeeff"), 0, 7)).toBe("01aabbccddeeff");
    expect(hex(b("01aa"), 1, 10)).toBe("aa");
    expect(utf8(b("6e617331 00"), 0, 5)).toBe("nas1"); // trailing NUL dropped
    expect(utf8(b("6e61"), 0, 8)).toBe("na");
    expect(utf8(b("00"), 0, 1)).toBe("");
    expect(utf8(b("4c756361e2809973"), 0, 8)).toBe("Luca’s"); // non-ASCII takes the decoder path
  });
  test("utf8 is TextDecoder('utf-8') of the range without trailing NULs, for short, long, ASCII and other text", () => {
    const utf8Decoder = new TextDecoder("utf-8");
    const enc = new TextEncoder();
    const texts = ["living-room", "Küche-Lautsprecher", "a".repeat(255), "é".repeat(200), "x".repeat(300), "\ufeffbom", "tab\there"];
    for (const t of texts) {
      const bytes = Uint8Array.from([0x41, ...enc.encode(t), 0, 0, 0x42]);
      // utf8(bytes, offset, length): the text and its two NULs, not the bytes around them.
      expect(utf8(bytes, 1, bytes.length - 2)).toBe(utf8Decoder.decode(bytes.subarray(1, bytes.length - 3)));
    }
  });
  test("wireName: labels to a zero byte or the end, never past a bad length", () => {
    expect(wireName(b("04686f7374 076578616d706c65 00 ff"), 0, 15)).toBe("host.example");
    expect(wireName(b("0b4d534544474557494e3130"), 0, 12)).toBe("MSEDGEWIN10"); // partial name, no root
    expect(wireName(b("05 6162"), 0, 3)).toBe("ab"); // clipped at end
    expect(wireName(b("c00c"), 0, 2)).toBe(""); // no compression here
  });
});

describe("latin1Text", () => {
  const decoder = new TextDecoder("latin1");
  test("is TextDecoder('latin1') (windows-1252) of the range, whether cached, colliding or too long to cache", () => {
    const bytes = new Uint8Array(4096);
    let seed = 7;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    bytes.set([0x80, 0x9f, 0xa0, 0xff, 0x00, 0x41], 100); // € Ÿ NBSP ÿ NUL A
    for (let round = 0; round < 3; round++) {
      for (let start = 0; start < 3000; start += 37) {
        for (const n of [0, 1, 5, 127, 128, 129, 300]) {
          expect(latin1Text(bytes, start, start + n)).toBe(decoder.decode(bytes.subarray(start, start + n)));
        }
      }
    }
    expect(latin1Text(bytes, 4090, 5000)).toBe(decoder.decode(bytes.subarray(4090))); // end past the buffer
    expect(latin1Text(bytes, 100, 106)).toBe("\u20ac\u0178\u00a0\u00ff\u0000A");
  });

  test("a cached text is not returned for other bytes of the same length and slot", () => {
    const a = new TextEncoder().encode("host-a.example"), c = new TextEncoder().encode("host-c.example");
    expect(latin1Text(a, 0, a.length)).toBe("host-a.example");
    expect(latin1Text(c, 0, c.length)).toBe("host-c.example");
    a[5] = 0x62; // the array the text was read from changes: the cache compares bytes, not the array
    expect(latin1Text(a, 0, a.length)).toBe("host-b.example");
  });
});
