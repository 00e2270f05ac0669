import { describe, expect, test } from "bun:test";
import { createZerologonDetector } from "./zerologon.ts";
import { fixture, flow } from "./testing.ts";

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));

// Frames of suricata-verify's bug-5162 capture (a Zerologon run), byte for byte.
const BIND = hex(
  "05 00 0b 03 10000000" + // v5.0, ptype 11 bind, flags first|last, data rep little-endian
  "7400 0000 02000000" + // frag_len 116, auth_len 0, call_id 2
  "d016 d016 00000000 02 000000" + // max xmit/recv, assoc group, 2 contexts
  "0000 01 00 785634123412cdabef0001234567cffb 01000000 045d888aeb1cc9119fe808002b104860 02000000" + // ctx 0: Netlogon v1, NDR
  "0100 01 00 785634123412cdabef0001234567cffb 01000000 2c1cb76c12984045030000000000000001000000", // ctx 1: bind time features
);
const AUTHENTICATE3 = hex(
  "05 00 00 03 10000000 5400 0000 03000000" + // request, frag_len 84, call_id 3
  "3c000000 0000 0f00" + // alloc hint, context 0, opnum 15 (NetrServerAuthenticate2)
  "00000000 04000000 00000000 04000000 44004300" + // PrimaryName: null pointer; AccountName: "DC" (NDR conformant string)
  "24000000 06000000 03000000 00000000 03000000 44004300 0000" + // secure channel type 6 and ComputerName "DC" (NDR)
  "0000" + // alignment
  "0000000000000000" + // ClientCredential: all zero
  "ffff2f21", // NegotiateFlags
);
const DENIED = hex("05 00 02 03 10000000 2800 0000 03000000 10000000 0000 0000 0000000000000000 00000000 ffff2f21 220000c0");

describe("Zerologon", () => {
  test("an all-zero Netlogon credential is the exploit: raised at once with the client as source", () => {
    const { store, settings } = fixture();
    const d = createZerologonDetector(store, settings);
    const f = flow({ id: "z1", srcIp: "192.168.56.104", dstIp: "192.168.56.102", dstPort: 49674 });
    d.payload!(f, BIND, true, 1000);
    d.payload!(f, AUTHENTICATE3, true, 1000.1);
    d.payload!(f, DENIED, false, 1000.2);
    const [t] = store.list();
    expect(t).toMatchObject({ type: "zerologon", severity: "critical", sourceIp: "192.168.56.104", targetIp: "192.168.56.102" });
    expect(t.evidence.zeroCredentials).toBe(1);
    d.tick!(1001);
    expect(store.list()[0].evidence.denied).toBe(1);
  });

  test("one real authentication is silent; the same bytes without a Netlogon bind are not read", () => {
    const { store, settings } = fixture();
    const d = createZerologonDetector(store, settings);
    const real = AUTHENTICATE3.slice();
    real.set([0x9a, 0x13, 0x77, 0x01, 0xee, 0x42, 0x08, 0xc1], real.length - 12);
    const f = flow({ id: "z2" });
    d.payload!(f, BIND, true, 1000);
    d.payload!(f, real, true, 1000);
    d.payload!(flow({ id: "z3" }), AUTHENTICATE3, true, 1000); // no bind seen on this connection
    expect(store.size).toBe(0);
    for (let i = 0; i < settings.zerologonAuthentications - 1; i++) d.payload!(f, real, true, 1001 + i);
    expect(store.list()[0].evidence.netlogonAuthentications).toBe(settings.zerologonAuthentications);
  });

  test("truncated and hostile DCE-RPC never throws", () => {
    const { store, settings } = fixture();
    const d = createZerologonDetector(store, settings);
    const f = flow({ id: "z4" });
    d.payload!(f, BIND, true, 1000);
    for (let n = 0; n <= AUTHENTICATE3.length; n++) expect(() => d.payload!(f, AUTHENTICATE3.subarray(0, n), true, 1000)).not.toThrow();
    const lying = AUTHENTICATE3.slice();
    lying[8] = 0xff; // frag_len past the packet
    expect(() => d.payload!(f, lying, true, 1000)).not.toThrow();
  });
});
