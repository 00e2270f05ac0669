import { describe, expect, test } from "bun:test";
import { decode, hex } from "./testing/fixture.ts";
import { ethernet, ipv4, tcp, udp } from "./testing/frames.ts";
import { DecodeError } from "./packet.ts";

describe("ipv4", () => {
  test("options are skipped by IHL", () => {
    // IHL 6: one 4-byte option (router alert 94 04 00 00) before the UDP header.
    const frame = hex(`
      ff ff ff ff ff ff 02 00 00 00 00 01 08 00
      46 00 00 24 00 01 00 00 01 11 00 00 0a 00 00 01 e0 00 00 16   # IHL 6, total 36, TTL 1, UDP
      94 04 00 00                                                   # router alert option
      04 00 08 00 00 08 00 00                                       # UDP 1024 -> 2048, length 8
    `);
    const p = decode(frame);
    expect(p.error).toBe(DecodeError.None);
    expect([p.srcPort, p.dstPort, p.ttl]).toEqual([1024, 2048, 1]);
  });

  test("a first fragment carries ports; a later fragment has none", () => {
    const first = decode(ethernet({ type: 0x0800 }, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17, id: 77, mf: true }, udp({ sport: 5000, dport: 53 }, new Uint8Array(16)))));
    expect([first.moreFragments, first.fragOffset, first.srcPort, first.fragId]).toEqual([true, 0, 5000, 77]);
    const later = decode(ethernet({ type: 0x0800 }, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17, id: 77, fragOffset: 24 }, new Uint8Array(16))));
    expect([later.fragOffset, later.l4Off, later.srcPort]).toEqual([24, -1, 0]);
  });

  test("IHL below 5, a wrong version or a total length below the header are bad headers", () => {
    const good = ethernet({ type: 0x0800 }, ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 6 }, tcp({ sport: 1, dport: 2, flags: 2 })));
    const badIhl = good.slice(); badIhl[14] = 0x44;
    const badVersion = good.slice(); badVersion[14] = 0x65;
    const badTotal = good.slice(); badTotal[16] = 0; badTotal[17] = 10;
    for (const f of [badIhl, badVersion, badTotal]) expect(decode(f).error).toBe(DecodeError.BadHeader);
  });

  test("a total length beyond the capture uses what was captured", () => {
    const f = ethernet({ type: 0x0800 }, ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 17 }, udp({ sport: 1, dport: 2 }, new Uint8Array(100))));
    const cut = decode(f.subarray(0, 14 + 20 + 8 + 10));
    expect(cut.error).toBe(DecodeError.None);
    expect(cut.payloadLength).toBe(10);
  });

  test("IP-in-IP: the inner packet makes the flow", () => {
    const inner = ipv4({ src: "192.168.9.1", dst: "192.168.9.2", proto: 17 }, udp({ sport: 7, dport: 9 }));
    const p = decode(ethernet({ type: 0x0800 }, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 4 }, inner)));
    expect([p.src4, p.dst4, p.srcPort, p.dstPort]).toEqual([0xc0a80901, 0xc0a80902, 7, 9]);
  });
});
