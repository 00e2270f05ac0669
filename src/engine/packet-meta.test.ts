import { describe, expect, test } from "bun:test";
import { decodeFrame, linkDecoder } from "../decode/linktype.ts";
import { Packet } from "../decode/packet.ts";
import { ethernet, ipv4, ipv6, SYN, tcp, udp } from "../decode/testing/frames.ts";
import { LazyPacketMeta } from "./packet-meta.ts";

const ETHERNET = 1;

function decoded(frame: Uint8Array): Packet {
  const p = new Packet();
  p.reset(frame, new DataView(frame.buffer, frame.byteOffset, frame.byteLength), 0, frame.length, 1700000000.5, frame.length);
  decodeFrame(p, linkDecoder(ETHERNET));
  return p;
}

describe("LazyPacketMeta", () => {
  test("IPv4: the fields an eager meta had, made from numbers on first read", () => {
    const frame = ethernet({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", type: 0x0800 },
      ipv4({ src: "192.168.1.10", dst: "8.8.8.8", proto: 17, ttl: 63 }, udp({ sport: 40000, dport: 53 }, new Uint8Array(12))));
    const meta = new LazyPacketMeta().fill(decoded(frame), 7, 1, 42);
    const length = frame.length;
    frame.fill(0xee); // the next batch overwrites the buffer before anyone reads a string
    expect(meta.toJSON()).toEqual({
      ts: 1700000000.5, srcMac: "02:00:00:00:00:01", dstMac: "02:00:00:00:00:02", srcIp: "192.168.1.10", dstIp: "8.8.8.8",
      srcPort: 40000, dstPort: 53, ipProtocol: 17, ipVersion: 4, ttl: 63, vlan: 0, length, flowId: "42", flowIndex: 7,
      fromInitiator: false,
    });
  });

  test("IPv6: the addresses copied out as numbers, named on first read", () => {
    const frame = ethernet({ src: "02:00:00:00:00:0a", dst: "02:00:00:00:00:0b", type: 0x86dd },
      ipv6({ src: "fe80::1", dst: "2001:db8::53", next: 6 }, tcp({ sport: 50000, dport: 443, flags: SYN })));
    const meta = new LazyPacketMeta().fill(decoded(frame), 3, 0, 9);
    frame.fill(0xee); // the next batch overwrites the buffer
    expect([meta.srcMac, meta.dstMac, meta.srcIp, meta.dstIp, meta.flowId, meta.fromInitiator]).toEqual(
      ["02:00:00:00:00:0a", "02:00:00:00:00:0b", "fe80::1", "2001:db8::53", "9", true]);
  });

  test("filled with IPv6, IPv4 and IPv6 packets in turn, each read names that packet's addresses", () => {
    const six = (src: string, dst: string) => ethernet({ src: "02:00:00:00:00:0a", dst: "02:00:00:00:00:0b", type: 0x86dd },
      ipv6({ src, dst, next: 17 }, udp({ sport: 5353, dport: 5353 })));
    const four = ethernet({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", type: 0x0800 },
      ipv4({ src: "10.1.2.3", dst: "10.3.2.1", proto: 17 }, udp({ sport: 1, dport: 2 })));
    const meta = new LazyPacketMeta();
    meta.fill(decoded(six("2001:db8:1:2:3:4:5:6", "ff02::fb")), 0, 0, 1);
    expect([meta.dstIp, meta.srcIp]).toEqual(["ff02::fb", "2001:db8:1:2:3:4:5:6"]);
    meta.fill(decoded(four), 1, 0, 2);
    expect([meta.srcIp, meta.dstIp, meta.srcIp4, meta.ipVersion]).toEqual(["10.1.2.3", "10.3.2.1", 0x0a010203, 4]);
    // Read only after a later fill: the words of the packet filled last, not of an earlier one.
    meta.fill(decoded(six("fe80::aa", "fe80::bb")), 2, 0, 3);
    meta.fill(decoded(six("fe80::1:aa", "2001:db8::cc")), 3, 1, 4);
    expect([meta.srcIp, meta.dstIp, meta.srcIp4, meta.dstIp4]).toEqual(["fe80::1:aa", "2001:db8::cc", -1, -1]);
  });

  test("no flow, no IP: nulls, as before", () => {
    const frame = ethernet({ src: "02:00:00:00:00:01", dst: "ff:ff:ff:ff:ff:ff", type: 0x88cc }, new Uint8Array(20));
    const meta = new LazyPacketMeta().fill(decoded(frame), -1, 0, -1);
    expect([meta.srcIp, meta.dstIp, meta.flowId, meta.ipVersion]).toEqual([null, null, null, 0]);
    expect(meta.dstMac).toBe("ff:ff:ff:ff:ff:ff");
  });

  test("filled again for the next packet, it forgets the strings it made for the last one", () => {
    const frame = (src: string, mac: string) => ethernet({ src: mac, dst: "02:00:00:00:00:02", type: 0x0800 },
      ipv4({ src, dst: "10.0.0.1", proto: 17 }, udp({ sport: 1, dport: 2 })));
    const meta = new LazyPacketMeta().fill(decoded(frame("10.0.0.7", "02:00:00:00:00:07")), 1, 0, 1);
    expect([meta.srcIp, meta.srcMac, meta.flowId]).toEqual(["10.0.0.7", "02:00:00:00:00:07", "1"]);
    meta.fill(decoded(frame("10.0.0.8", "02:00:00:00:00:08")), 2, 1, 2);
    expect([meta.srcIp, meta.srcMac, meta.flowId, meta.fromInitiator]).toEqual(["10.0.0.8", "02:00:00:00:00:08", "2", false]);
  });
});
