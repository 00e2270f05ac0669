import { describe, expect, test } from "bun:test";
import { decodeNetbios, MAX_NBNS_NAMES } from "./netbios.ts";

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/#[^\n]*/g, "").replace(/\s+/g, ""), "hex"));
const decode = (b: Uint8Array) => decodeNetbios(b, 0, b.length);

// Windows registration of DESKTOP-V1FA0UQ<00> (suri_smb2-ntlmssp-negotiateflags.pcap frame 25).
const REGISTRATION = fromHex(`
  a784 2910              # id, flags: opcode 5 registration, RD, broadcast
  0001 0000 0000 0001    # qd 1, an 0, ns 0, ar 1
  20 454545464644454c464545504641434e464744424547454244414646464241 41 00  # "DESKTOP-V1FA0UQ" <00>, encoded
  0020 0001              # NB, IN
  c00c 0020 0001 000493e0 0006   # additional: ptr to the name, NB, IN, ttl 300000, rdlength 6
  6000 c0a8c785          # NB flags (M-node), 192.168.199.133
`);

// Name query for OZI<1c> (ndpi_netbios.pcap frame 5).
const QUERY = fromHex(`
  9a1e 0110 0001 0000 0000 0000  # id, flags: query, RD, broadcast; qd 1
  20 4550464b454a43414341434143414341434143414341434143414341434142 4d 00  # "OZI" padded, suffix 0x1c
  0020 0001
`);

// Node-status answer listing GUNNAR's names (ndpi_netbios.pcap frame 55).
const NODE_STATUS = fromHex(`
  20a8 8400 0000 0001 0000 0000  # response, authoritative; an 1
  20 434b41414141414141414141414141414141414141414141414141414141414100  # "*" + 15 NULs
  0021 0001 00000000 0077  # NBSTAT, IN, ttl 0, rdlength 119
  04                       # 4 names
  47554e4e4152202020202020202020 00 0400  # GUNNAR<00>, unique, active
  564947494c414e545f47524f555020 00 8400  # VIGILANT_GROUP<00>, group
  47554e4e4152202020202020202020 20 0400  # GUNNAR<20>
  564947494c414e545f47524f555020 1e 8400  # VIGILANT_GROUP<1e>
  001cc410790f ${"00".repeat(40)}          # unit id (MAC) + statistics
`);

describe("decodeNetbios", () => {
  test("registration: name with suffix and the registered address", () => {
    expect(decode(REGISTRATION)).toEqual({
      isResponse: false,
      opcode: 5,
      names: [{ name: "DESKTOP-V1FA0UQ", suffix: 0x00 }],
      addresses: ["192.168.199.133"],
    });
  });

  test("query: short name trimmed, suffix kept", () => {
    expect(decode(QUERY)).toEqual({ isResponse: false, opcode: 0, names: [{ name: "OZI", suffix: 0x1c }], addresses: [] });
  });

  test("node-status answer lists the host's names; the '*' owner name is not one of them", () => {
    const m = decode(NODE_STATUS)!;
    expect(m.isResponse).toBe(true);
    expect(m.names).toEqual([
      { name: "GUNNAR", suffix: 0x00 },
      { name: "VIGILANT_GROUP", suffix: 0x00 },
      { name: "GUNNAR", suffix: 0x20 },
      { name: "VIGILANT_GROUP", suffix: 0x1e },
    ]);
  });

  test("wildcard query name decodes to '*'", () => {
    const q = fromHex(`80f0 0010 0001 0000 0000 0000 20 434b${"41".repeat(30)} 00 0021 0001`);
    expect(decode(q)!.names).toEqual([{ name: "*", suffix: 0 }]);
  });

  test("every prefix decodes without throwing; records cut short keep what came before", () => {
    for (const f of [REGISTRATION, QUERY, NODE_STATUS]) {
      for (let n = 0; n <= f.length; n++) {
        const m = decodeNetbios(f.subarray(0, n), 0, f.length);
        if (n < 12) expect(m).toBeUndefined();
        else expect(m).toBeDefined();
      }
    }
    const cut = decodeNetbios(REGISTRATION, 0, REGISTRATION.length - 1)!;
    expect(cut.names).toHaveLength(1);
    expect(cut.addresses).toEqual([]);
  });

  test("hostile: names that are not first-level encoded, huge counts, node-status count past the data", () => {
    const bad = fromHex(`0001 0000 0001 0000 0000 0000 20 ${"5a".repeat(32)} 00 0020 0001`); // 'Z' is not A..P
    expect(decode(bad)!.names).toEqual([]);
    const huge = fromHex(`0001 8400 0000 0001 0000 0000 20 434b${"41".repeat(30)} 00 0021 0001 00000000 0013 ff ${"41".repeat(18)}`);
    expect(decode(huge)!.names).toEqual([{ name: "AAAAAAAAAAAAAAA", suffix: 0x41 }]);
    const many = fromHex(`0001 0000 ffff ffff ffff ffff ` + "20 4142434445464748494a4b4c4d4e4f504142434445464748494a4b4c4d4e4f50 00 0020 0001 ".repeat(3));
    expect(decode(many)!.names.length).toBeLessThanOrEqual(MAX_NBNS_NAMES);
    let seed = 3;
    for (let i = 0; i < 300; i++) {
      const r = new Uint8Array(12 + (i % 120));
      for (let j = 0; j < r.length; j++) r[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      expect(() => decode(r)).not.toThrow();
    }
  });
});
