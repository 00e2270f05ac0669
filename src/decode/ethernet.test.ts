import { describe, expect, test } from "bun:test";
import { decode, decodeAllPrefixes, hex } from "./testing/fixture.ts";
import { arp, ethernet, ipv4, udp } from "./testing/frames.ts";
import { DecodeError } from "./packet.ts";
import { arpMessage } from "./arp.ts";

// A DNS query from a real home network, byte by byte.
const DNS_QUERY = hex(`
  f0 9f c2 11 22 33   # destination MAC (the router)
  a4 83 e7 0a 0b 0c   # source MAC (an Apple laptop)
  08 00               # EtherType IPv4
  45 00 00 39 1c 46 40 00 40 11 00 00   # IPv4, IHL 5, total 57, id 0x1c46, DF, TTL 64, UDP
  c0 a8 01 17         # 192.168.1.23
  c0 a8 01 01         # 192.168.1.1
  d4 31 00 35 00 25 00 00   # UDP 54321 -> 53, length 37
  12 34 01 00 00 01 00 00 00 00 00 00   # DNS header: id 0x1234, RD, 1 question
  07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01   # example.com A IN
  00 00 00            # Ethernet padding beyond the IP total length
`);

describe("ethernet", () => {
  test("decodes MACs, IPv4, UDP ports and the payload bounds (padding excluded)", () => {
    const p = decode(DNS_QUERY);
    expect(p.error).toBe(DecodeError.None);
    expect(p.etherType).toBe(0x0800);
    expect(p.ipVersion).toBe(4);
    expect(p.src4).toBe(0xc0a80117);
    expect(p.dst4).toBe(0xc0a80101);
    expect(p.ttl).toBe(64);
    expect(p.dontFragment).toBe(true);
    expect(p.ipProtocol).toBe(17);
    expect([p.srcPort, p.dstPort]).toEqual([54321, 53]);
    expect(p.payloadLength).toBe(29);
    expect(p.bytes[p.payloadOff]).toBe(0x12);
  });

  test("802.1Q and QinQ tags give the outer and inner VLAN", () => {
    const inner = ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17 }, udp({ sport: 1, dport: 2 }));
    const single = decode(ethernet({ type: 0x0800, vlans: [42] }, inner));
    expect([single.vlan, single.innerVlan, single.ipVersion, single.dstPort]).toEqual([42, 0, 4, 2]);
    const qinq = decode(ethernet({ type: 0x0800, vlans: [100, 200] }, inner));
    expect([qinq.vlan, qinq.innerVlan, qinq.ipVersion]).toEqual([100, 200, 4]);
  });

  test("too many stacked tags is damage, not a loop", () => {
    const p = decode(ethernet({ type: 0x0800, vlans: [1, 2, 3, 4, 5, 6] }, new Uint8Array(20)));
    expect(p.error).toBe(DecodeError.BadHeader);
    expect(p.ipVersion).toBe(0);
  });

  test("802.3 LLC frames (STP) are non-IP, not errors", () => {
    const stp = hex("01 80 c2 00 00 00  00 1b 21 3a 4b 5c  00 26  42 42 03 00 00 00 00 00");
    const p = decode(stp);
    expect(p.error).toBe(DecodeError.None);
    expect(p.ipVersion).toBe(0);
  });

  test("ARP request is marked and read out", () => {
    const frame = ethernet({ type: 0x0806, src: "b8:27:eb:01:02:03" }, arp({ op: 1, senderMac: "b8:27:eb:01:02:03", senderIp: "192.168.1.50", targetIp: "192.168.1.1" }));
    const p = decode(frame);
    expect(p.arpOff).toBeGreaterThan(0);
    expect(arpMessage(p)).toEqual({ op: 1, senderMac: "b8:27:eb:01:02:03", senderIp: "192.168.1.50", targetMac: "00:00:00:00:00:00", targetIp: "192.168.1.1", gratuitous: false });
  });

  test("every truncation of a frame decodes without throwing and never reads past the end", () => {
    for (const p of decodeAllPrefixes(DNS_QUERY)) {
      if (p.payloadOff >= 0) expect(p.payloadOff + p.payloadLength).toBeLessThanOrEqual(p.end);
      if (p.end - p.start < 14) expect(p.error).toBe(DecodeError.Truncated);
    }
  });
});
