import { describe, expect, test } from "bun:test";
import { decode, decodeAllPrefixes, hex } from "./testing/fixture.ts";
import { ethernet, ipv4, tcp, SYN, ACK } from "./testing/frames.ts";
import { DecodeError } from "./packet.ts";
import { tcpSynTraits } from "./tcp.ts";

// Linux SYN options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
const LINUX_SYN_OPTIONS = hex("02 04 05 b4  04 02  08 0a 00 01 02 03 00 00 00 00  01  03 03 07");

describe("tcp", () => {
  test("ports, flags, window and payload", () => {
    const p = decode(ethernet({ type: 0x0800 }, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 6 }, tcp({ sport: 40000, dport: 443, flags: ACK | 0x08, window: 501 }, new Uint8Array(100)))));
    expect([p.srcPort, p.dstPort, p.tcpFlags, p.tcpWindow, p.payloadLength]).toEqual([40000, 443, 0x18, 501, 100]);
  });

  test("SYN traits in p0f's option notation", () => {
    const p = decode(ethernet({ type: 0x0800 }, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 6, ttl: 61, df: true }, tcp({ sport: 40000, dport: 22, flags: SYN, window: 64240, options: LINUX_SYN_OPTIONS }))));
    expect(tcpSynTraits(p)).toEqual({
      isSynAck: false, ttl: 61, initialTtl: 64, window: 64240, mss: 1460, windowScale: 7,
      optionLayout: "mss,sok,ts,nop,ws", ipVersion: 4, df: true, totalLength: 60,
    });
  });

  test("SYN traits come in one reused object, filled afresh by each call (absent options read undefined)", () => {
    const withOptions = decode(ethernet({ type: 0x0800 }, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 6, ttl: 61 }, tcp({ sport: 40000, dport: 22, flags: SYN, window: 64240, options: LINUX_SYN_OPTIONS }))));
    const bare = decode(ethernet({ type: 0x0800 }, ipv4({ src: "10.0.0.2", dst: "10.0.0.1", proto: 6, ttl: 120 }, tcp({ sport: 22, dport: 40000, flags: SYN | ACK, window: 1000 }))));
    const first = tcpSynTraits(withOptions)!;
    expect(first.mss).toBe(1460);
    const second = tcpSynTraits(bare)!;
    expect(second).toBe(first);
    expect(second).toEqual({
      isSynAck: true, ttl: 120, initialTtl: 128, window: 1000, mss: undefined, windowScale: undefined,
      optionLayout: "", ipVersion: 4, df: false, totalLength: 40,
    });
  });

  test("a data offset below 5 words is a bad header; one beyond the packet is truncation", () => {
    const f = ethernet({ type: 0x0800 }, ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 6 }, tcp({ sport: 1, dport: 2, flags: SYN })));
    const low = f.slice(); low[14 + 20 + 12] = 0x40;
    expect(decode(low).error).toBe(DecodeError.BadHeader);
    const high = f.slice(); high[14 + 20 + 12] = 0xf0;
    expect(decode(high).error).toBe(DecodeError.Truncated);
  });

  test("options that lie about their length end the walk", () => {
    const lying = hex("02 28 05 b4 01 01 01 01"); // MSS option claiming 40 bytes
    const p = decode(ethernet({ type: 0x0800 }, ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 6 }, tcp({ sport: 1, dport: 2, flags: SYN, options: lying }))));
    expect(tcpSynTraits(p)?.optionLayout).toBe("");
  });

  test("every prefix decodes without throwing", () => {
    const f = ethernet({ type: 0x0800 }, ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 6 }, tcp({ sport: 1, dport: 2, flags: SYN, options: LINUX_SYN_OPTIONS })));
    for (const p of decodeAllPrefixes(f)) tcpSynTraits(p);
  });
});
