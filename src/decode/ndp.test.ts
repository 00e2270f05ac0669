import { describe, expect, test } from "bun:test";
import { decodeNdp, MAX_NDP_PREFIXES } from "./ndp.ts";

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/#[^\n]*/g, "").replace(/\s+/g, ""), "hex"));
const decode = (b: Uint8Array) => decodeNdp(b, 0, b.length);

// From zeek_icmp6-nd-options.pcap; each fixture starts at the ICMPv6 header.
const ROUTER_ADVERTISEMENT = fromHex(`
  86 00 c4fe             # type 134, code 0, checksum
  40 00 0708             # cur hop limit 64, flags (M=0, O=0), router lifetime 1800
  00000000 00000000      # reachable time, retrans timer
  01 01 c20054f50000     # source link-layer address
  05 01 0000 000005dc    # MTU 1500
  03 04 40 c0 00278d00 00093a80 00000000   # prefix info: /64, L+A, valid, preferred, reserved
  20010db8000000010000000000000000          # prefix 2001:db8:0:1::
`); // frame 3
const NEIGHBOUR_SOLICITATION = fromHex(`
  87 00 673c 00000000    # type 135, code, checksum, reserved
  fe80000000000000c00054fffef50000  # target fe80::c000:54ff:fef5:0 (DAD: no options)
`); // frame 1
const NEIGHBOUR_ADVERTISEMENT = fromHex(`
  88 00 9abb a0000000    # type 136, flags R=1 S=0 O=1
  fe80000000000000c00054fffef50000  # target
  02 01 c20054f50000     # target link-layer address
`); // frame 2
const ROUTER_SOLICITATION = fromHex(`85 00 7bb8 00000000`); // frame 13, no options
const REDIRECT = fromHex(`
  89 00 0000 00000000
  fe800000000000000000000000000001  # target (better first hop)
  20010db8000000000000000000000063  # destination
  02 01 001122334455     # target link-layer address
`);

describe("decodeNdp", () => {
  test("Router Advertisement: lifetime, M/O flags, prefix, source link-layer address", () => {
    expect(decode(ROUTER_ADVERTISEMENT)).toEqual({
      type: 134,
      routerLifetime: 1800,
      flags: { managed: false, other: false },
      sourceLinkAddress: "c2:00:54:f5:00:00",
      prefixes: ["2001:db8:0:1::/64"],
    });
  });

  test("Neighbour Solicitation (DAD) and Advertisement", () => {
    expect(decode(NEIGHBOUR_SOLICITATION)).toEqual({ type: 135, targetAddress: "fe80::c000:54ff:fef5:0" });
    expect(decode(NEIGHBOUR_ADVERTISEMENT)).toEqual({
      type: 136,
      targetAddress: "fe80::c000:54ff:fef5:0",
      flags: { router: true, solicited: false, override: true },
      targetLinkAddress: "c2:00:54:f5:00:00",
    });
  });

  test("Router Solicitation, Redirect, and an offset inside a frame", () => {
    expect(decode(ROUTER_SOLICITATION)).toEqual({ type: 133 });
    expect(decode(REDIRECT)).toMatchObject({ type: 137, targetAddress: "fe80::1", targetLinkAddress: "00:11:22:33:44:55" });
    const frame = new Uint8Array(54 + ROUTER_ADVERTISEMENT.length);
    frame.set(ROUTER_ADVERTISEMENT, 54);
    expect(decodeNdp(frame, 54, ROUTER_ADVERTISEMENT.length)!.prefixes).toEqual(["2001:db8:0:1::/64"]);
  });

  test("other ICMPv6 types are not NDP", () => {
    expect(decode(fromHex(`80 00 0000 00010001`))).toBeUndefined(); // echo request
    expect(decode(fromHex(`8f 00 0000 00000001`))).toBeUndefined(); // MLDv2 report
  });

  test("every prefix decodes without throwing; the fixed part must be there", () => {
    for (const f of [ROUTER_ADVERTISEMENT, NEIGHBOUR_SOLICITATION, NEIGHBOUR_ADVERTISEMENT, ROUTER_SOLICITATION, REDIRECT]) {
      const fixed = { 133: 8, 134: 16, 135: 24, 136: 24, 137: 40 }[f[0] as 133]!;
      for (let n = 0; n <= f.length; n++) {
        const m = decodeNdp(f.subarray(0, n), 0, f.length);
        if (n < fixed) expect(m).toBeUndefined();
        else expect(m!.type).toBe(f[0] as 133);
      }
    }
    // cut inside the prefix option: the source address before it survives
    const cut = decodeNdp(ROUTER_ADVERTISEMENT, 0, ROUTER_ADVERTISEMENT.length - 1)!;
    expect(cut.sourceLinkAddress).toBe("c2:00:54:f5:00:00");
    expect(cut.prefixes).toBeUndefined();
  });

  test("hostile options: zero length stops the walk, many prefixes are capped", () => {
    const zero = fromHex(`85 00 0000 00000000 01 00 c20054f50000`);
    expect(decode(zero)).toEqual({ type: 133 });
    const prefix = "03 04 40 c0 00278d00 00093a80 00000000 20010db8000000010000000000000000 ";
    const flood = fromHex(`86 00 0000 40 c0 0708 00000000 00000000 ${prefix.repeat(100)}`);
    const m = decode(flood)!;
    expect(m.flags).toEqual({ managed: true, other: true });
    expect(m.prefixes).toHaveLength(MAX_NDP_PREFIXES);
    let seed = 11;
    for (let i = 0; i < 300; i++) {
      const r = new Uint8Array(4 + (i % 90));
      for (let j = 0; j < r.length; j++) r[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      r[0] = 133 + (i % 5);
      expect(() => decode(r)).not.toThrow();
    }
  });
});
