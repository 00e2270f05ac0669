import { describe, expect, test } from "bun:test";
import { decode, hex } from "./testing/fixture.ts";
import { concat, ethernet, ipv6, udp } from "./testing/frames.ts";
import { DecodeError } from "./packet.ts";
import { ipv6At } from "./addr.ts";

describe("ipv6", () => {
  test("addresses, hop limit and UDP", () => {
    const p = decode(ethernet({ type: 0x86dd }, ipv6({ src: "fe80::1", dst: "ff02::fb", next: 17, hopLimit: 255 }, udp({ sport: 5353, dport: 5353 }, new Uint8Array(12)))));
    expect(p.error).toBe(DecodeError.None);
    expect(ipv6At(p.view, p.src6Off)).toBe("fe80::1");
    expect(ipv6At(p.view, p.dst6Off)).toBe("ff02::fb");
    expect([p.ttl, p.ipProtocol, p.dstPort, p.payloadLength]).toEqual([255, 17, 5353, 12]);
  });

  test("hop-by-hop and destination options are walked to the transport header", () => {
    const ext = hex(`
      3c 00 05 02 00 00 01 00   # hop-by-hop: next = destination options (60), len 0, router alert + padN
      11 00 01 04 00 00 00 00   # destination options: next = UDP (17), len 0, padN
    `);
    const p = decode(ethernet({ type: 0x86dd }, ipv6({ src: "2001:db8::1", dst: "2001:db8::2", next: 0 }, concat(ext, udp({ sport: 546, dport: 547 })))));
    expect([p.ipProtocol, p.srcPort, p.dstPort]).toEqual([17, 546, 547]);
  });

  test("fragment header: the first fragment has ports, later ones not", () => {
    const frag = (offset: number, more: boolean) => hex(`11 00 ${((offset >> 8) & 0xff).toString(16).padStart(2, "0")} ${((offset & 0xf8) | (more ? 1 : 0)).toString(16).padStart(2, "0")} 00 00 ab cd`);
    const first = decode(ethernet({ type: 0x86dd }, ipv6({ src: "2001:db8::1", dst: "2001:db8::2", next: 44 }, concat(frag(0, true), udp({ sport: 53, dport: 4000 }, new Uint8Array(24))))));
    expect([first.ipProtocol, first.srcPort, first.moreFragments, first.fragId]).toEqual([17, 53, true, 0xabcd]);
    const later = decode(ethernet({ type: 0x86dd }, ipv6({ src: "2001:db8::1", dst: "2001:db8::2", next: 44 }, concat(frag(32, false), new Uint8Array(24)))));
    expect([later.ipProtocol, later.fragOffset, later.l4Off]).toEqual([17, 32, -1]);
  });

  test("an endless chain of extension headers stops at the cap", () => {
    const hop = hex("00 00 00 00 00 00 00 00"); // hop-by-hop pointing at another hop-by-hop
    const chain = concat(...Array(20).fill(hop));
    const p = decode(ethernet({ type: 0x86dd }, ipv6({ src: "::1", dst: "::2", next: 0 }, chain)));
    expect(p.error).toBe(DecodeError.BadHeader);
  });
});
