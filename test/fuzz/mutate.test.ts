/** The mutator does what the fuzz report claims: lies land on the named fields, pointer loops loop, runs repeat. */
import { describe, expect, test } from "bun:test";
import { decodeDns } from "../../src/decode/dns.ts";
import { Builder } from "./builder.ts";
import { lieAbout, mutate, pointerLoop } from "./mutate.ts";
import { Rng } from "./prng.ts";

function dnsQuery() {
  const b = new Builder().u16(1).u16(0x0100).count(2, 1, "dns qdcount").count(2, 0, "an").count(2, 0, "ns").count(2, 0, "ar");
  return b.dnsName("www.example.com").u16(1).u16(1).done();
}

describe("fuzz mutator", () => {
  test("Builder records length fields with the lengths it wrote", () => {
    const { bytes, fields } = new Builder().u8(0x16).begin(2, "record").u8(1).begin(3, "handshake").u8(9, 9).end().end().done();
    expect(Array.from(bytes)).toEqual([0x16, 0, 6, 1, 0, 0, 2, 9, 9]);
    expect(fields).toEqual([{ off: 4, size: 3, what: "handshake" }, { off: 1, size: 2, what: "record" }]);
  });

  test("a length lie changes only its field, and a masked lie only its bits", () => {
    const rng = new Rng(3);
    let changed = 0;
    for (let i = 0; i < 200; i++) {
      const b = Uint8Array.of(0x45, 0xaa, 0x00, 0x1c, 0x55);
      lieAbout(rng, b, { off: 2, size: 2, what: "total length" });
      expect([b[0], b[1], b[4]]).toEqual([0x45, 0xaa, 0x55]);
      if (b[2] !== 0 || b[3] !== 0x1c) changed++;
      lieAbout(rng, b, { off: 0, size: 1, mask: 0x0f, what: "ihl" });
      expect(b[0] >> 4).toBe(4);
    }
    expect(changed).toBeGreaterThan(150);
  });

  test("a pointer loop points into the message, and the DNS decoder survives it", () => {
    const rng = new Rng(11);
    for (let i = 0; i < 200; i++) {
      const b = dnsQuery().bytes;
      pointerLoop(rng, b, 0);
      const ptr = b.findIndex((x, k) => k >= 12 && (x & 0xc0) === 0xc0);
      expect(ptr).toBeGreaterThanOrEqual(12);
      const target = ((b[ptr] & 0x3f) << 8) | b[ptr + 1];
      expect(target).toBeGreaterThanOrEqual(12);
      expect(target).toBeLessThan(b.length);
      decodeDns(b, 0, b.length); // must return, not hang or throw
    }
  });

  test("the same seed gives the same mutations", () => {
    const { bytes, fields } = dnsQuery();
    const run = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 50 }, () => Array.from(mutate(rng, bytes, { fields, dnsAt: 0 })).join(","));
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});
