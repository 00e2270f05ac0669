import { describe, expect, test } from "bun:test";
import { decodeFrame, linkDecoder } from "./linktype.ts";
import { arp, ethernet, ipv4, SYN, tcp } from "./testing/frames.ts";
import { DecodeError, Packet } from "./packet.ts";

/** Every own field of a packet, except the buffer it points into. */
function fields(p: Packet): Record<string, unknown> {
  const { bytes: _b, view: _v, ...rest } = p as unknown as Record<string, unknown>;
  return rest;
}

describe("Packet.reset", () => {
  test("leaves nothing of the previous packet: every field is back to what a new packet holds", () => {
    const fresh = new Packet();
    const used = new Packet();
    // Junk in every field, as a decoded packet of some other kind would leave it.
    for (const [k, v] of Object.entries(fields(used))) {
      (used as unknown as Record<string, unknown>)[k] = typeof v === "boolean" ? !v : 12345;
    }
    const bytes = new Uint8Array(64);
    used.reset(bytes, new DataView(bytes.buffer), 0, 64, 0, 64);
    fresh.reset(bytes, new DataView(bytes.buffer), 0, 64, 0, 64);
    expect(fields(used)).toEqual(fields(fresh));
    expect(Object.keys(fields(fresh)).length).toBeGreaterThan(30);
  });

  test("a new packet says 'nothing decoded': no layers, no error", () => {
    const p = new Packet();
    expect(p.bytes.length).toBe(0);
    expect([p.macOff, p.arpOff, p.l3Off, p.l4Off, p.payloadOff, p.icmpType]).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(p.ipVersion).toBe(0);
    expect(p.error).toBe(DecodeError.None);
  });

  test("an ARP frame decoded into the packet a TCP segment used looks as if decoded alone", () => {
    const tcpFrame = ethernet({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", type: 0x0800 },
      ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 6 }, tcp({ sport: 1234, dport: 80, flags: SYN }, new Uint8Array(10))));
    const arpFrame = ethernet({ src: "02:00:00:00:00:01", dst: "ff:ff:ff:ff:ff:ff", type: 0x0806 },
      arp({ op: 1, senderMac: "02:00:00:00:00:01", senderIp: "10.0.0.1", targetIp: "10.0.0.2" }));
    const reused = new Packet();
    const into = (p: Packet, frame: Uint8Array) => {
      p.reset(frame, new DataView(frame.buffer, frame.byteOffset), 0, frame.length, 1, frame.length);
      decodeFrame(p, linkDecoder(1));
    };
    into(reused, tcpFrame);
    expect([reused.srcPort, reused.payloadLength]).toEqual([1234, 10]);
    into(reused, arpFrame);
    const alone = new Packet();
    into(alone, arpFrame);
    expect(fields(reused)).toEqual(fields(alone));
    expect(reused.arpOff).toBeGreaterThan(0);
  });
});
