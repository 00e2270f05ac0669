import { describe, expect, test } from "bun:test";
import { decodeDhcpv6, MAX_RELAY_DEPTH } from "./dhcpv6.ts";

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/#[^\n]*/g, "").replace(/\s+/g, ""), "hex"));
const decode = (b: Uint8Array) => decodeDhcpv6(b, 0, b.length);

// Windows 10 SOLICIT (ndpi_gnutella.pcap frame 9).
const WINDOWS_SOLICIT = fromHex(`
  01 13d1ed              # SOLICIT, transaction id
  0008 0002 0000         # elapsed time 0
  0001 000e 0001 0001 2422f1b3 080027e6e559   # client id: DUID-LLT, hw ethernet, time, MAC
  0003 000c 05080027 00000000 00000000        # IA_NA: IAID, T1, T2
  0027 000d 00 0b 4d534544474557494e3130      # FQDN: flags 0, partial name "MSEDGEWIN10"
  0010 000e 00000137 0008 4d53465420352e30    # vendor class: enterprise 311, "MSFT 5.0"
  0006 0008 0011 0017 0018 0027               # option request 17, 23, 24, 39
`);

// REPLY with a DUID-LL client and DUID-LLT server (tcpdump_dhcpv6-ia-na.pcap frame 4).
const REPLY = fromHex(`
  07 2ffdd1              # REPLY, transaction id
  0003 0028 02030405 00000e10 00001518        # IA_NA: IAID, T1 3600, T2 5400
    0005 0018 2a00000100010200 38e6b22ec440acdf 00001194 00001c20  # IA address, preferred, valid
  0001 000a 0003 0001 000102030405            # client id: DUID-LL, ethernet
  0002 000e 0001 0001 1846488c 001122334455   # server id: DUID-LLT
`);

describe("decodeDhcpv6", () => {
  test("SOLICIT with DUID-LLT: client id, MAC, FQDN, vendor class, option request", () => {
    expect(decode(WINDOWS_SOLICIT)).toEqual({
      messageType: 1,
      transactionId: 0x13d1ed,
      clientId: "000100012422f1b3080027e6e559",
      duidMac: "08:00:27:e6:e5:59",
      fqdn: "MSEDGEWIN10",
      vendorClass: { enterprise: 311, data: ["MSFT 5.0"] },
      optionRequest: [17, 23, 24, 39],
    });
  });

  test("REPLY: DUID-LL client MAC and the server id", () => {
    expect(decode(REPLY)).toEqual({
      messageType: 7,
      transactionId: 0x2ffdd1,
      clientId: "00030001000102030405",
      duidMac: "00:01:02:03:04:05",
      serverId: "000100011846488c001122334455",
    });
  });

  test("user class, vendor opts, DUID-EN without MAC", () => {
    const m = decode(fromHex(`
      0b 000001                                   # INFORMATION-REQUEST
      0001 000a 0002 00000137 01020304            # DUID-EN: no link-layer address
      000f 000c 0004 74657374 0004 6c61622d       # user class "test", "lab-"
      0011 0008 00000009 00010000                 # vendor opts, enterprise 9
    `))!;
    expect(m.clientId).toBe("00020000013701020304");
    expect(m.duidMac).toBeUndefined();
    expect(m.userClass).toEqual(["test", "lab-"]);
    expect(m.enterpriseNumber).toBe(9);
  });

  test("RELAY-FORW is unwrapped to the client's message", () => {
    const relay = fromHex(`0c 00 ${"20010db8".padEnd(32, "0")} ${"fe80".padEnd(32, "0")}
      0009 ${WINDOWS_SOLICIT.length.toString(16).padStart(4, "0")} ${Buffer.from(WINDOWS_SOLICIT).toString("hex")}`);
    expect(decode(relay)!.duidMac).toBe("08:00:27:e6:e5:59");
    const empty = fromHex(`0d 00 ${"00".repeat(32)}`);
    expect(decode(empty)).toEqual({ messageType: 13, transactionId: 0 });
  });

  test("relays nested beyond the cap stop unwrapping", () => {
    let inner = WINDOWS_SOLICIT;
    for (let i = 0; i < MAX_RELAY_DEPTH + 5; i++) {
      const head = fromHex(`0c 00 ${"00".repeat(32)} 0009 ${inner.length.toString(16).padStart(4, "0")}`);
      inner = Uint8Array.from([...head, ...inner]);
    }
    expect(decode(inner)).toEqual({ messageType: 12, transactionId: 0 });
  });

  test("every prefix decodes without throwing; cut options keep the ones before", () => {
    for (const f of [WINDOWS_SOLICIT, REPLY]) {
      for (let n = 0; n <= f.length; n++) {
        const m = decodeDhcpv6(f.subarray(0, n), 0, f.length);
        if (n < 4) expect(m).toBeUndefined();
        else expect(m!.messageType).toBe(f[0]);
      }
    }
    const cut = decodeDhcpv6(WINDOWS_SOLICIT, 0, WINDOWS_SOLICIT.length - 1)!;
    expect(cut.vendorClass).toEqual({ enterprise: 311, data: ["MSFT 5.0"] });
    expect(cut.optionRequest).toBeUndefined();
  });

  test("garbage", () => {
    expect(decode(fromHex(`00 000000`))).toBeUndefined();
    let seed = 5;
    for (let i = 0; i < 300; i++) {
      const r = new Uint8Array(4 + (i % 120));
      for (let j = 0; j < r.length; j++) r[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      expect(() => decode(r)).not.toThrow();
    }
  });
});
