import { describe, expect, test } from "bun:test";
import { decode, hex } from "./testing/fixture.ts";
import { concat, ipv4, ipv6, udp } from "./testing/frames.ts";
import { linkDecoder, UnsupportedLinkTypeError } from "./linktype.ts";
import { macAt } from "./addr.ts";

const IP = ipv4({ src: "10.1.1.1", dst: "10.1.1.2", proto: 17 }, udp({ sport: 123, dport: 123 }, new Uint8Array(48)));
const IP6 = ipv6({ src: "2001:db8::1", dst: "2001:db8::2", next: 17 }, udp({ sport: 53, dport: 53 }));

describe("link types", () => {
  test("RAW (12, 101), IPV4 (228) and IPV6 (229)", () => {
    for (const lt of [12, 101, 228]) expect(decode(IP, lt).dstPort).toBe(123);
    expect(decode(IP6, 101).ipVersion).toBe(6);
    expect(decode(IP6, 229).srcPort).toBe(53);
  });

  test("Linux SLL keeps the source MAC", () => {
    const sll = hex(`
      00 00          # packet type: to us
      00 01          # ARPHRD_ETHER
      00 06          # address length
      00 1a 2b 3c 4d 5e 00 00   # address
      08 00          # protocol IPv4
    `);
    const p = decode(concat(sll, IP), 113);
    expect(p.dstPort).toBe(123);
    expect(macAt(p.bytes, p.srcMacOff)).toBe("00:1a:2b:3c:4d:5e");
  });

  test("Linux SLL2", () => {
    const sll2 = hex(`
      86 dd          # protocol IPv6
      00 00          # reserved
      00 00 00 02    # interface index
      00 01          # ARPHRD_ETHER
      04             # packet type: outgoing
      06             # address length
      00 1a 2b 3c 4d 5e 00 00
    `);
    expect(decode(concat(sll2, IP6), 276).ipVersion).toBe(6);
  });

  test("BSD NULL in either byte order, and LOOP", () => {
    expect(decode(concat(hex("02 00 00 00"), IP), 0).ipVersion).toBe(4);
    expect(decode(concat(hex("00 00 00 02"), IP), 0).ipVersion).toBe(4);
    expect(decode(concat(hex("1e 00 00 00"), IP6), 0).ipVersion).toBe(6);
    expect(decode(concat(hex("00 00 00 18"), IP6), 108).ipVersion).toBe(6);
  });

  test("PPP with and without address/control", () => {
    expect(decode(concat(hex("ff 03 00 21"), IP), 9).dstPort).toBe(123);
    expect(decode(concat(hex("00 57"), IP6), 9).ipVersion).toBe(6);
  });

  test("an unsupported link type is one clear error", () => {
    expect(() => linkDecoder(160)).toThrow(UnsupportedLinkTypeError);
    expect(() => linkDecoder(160)).toThrow(/link type 160 is not supported; NetInsight decodes .*EN10MB \(1\)/);
  });
});
