import { describe, expect, test } from "bun:test";
import { decodeDhcp } from "./dhcp.ts";

/** Hex with spaces, newlines and `# comments` removed. */
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/#[^\n]*/g, "").replace(/\s+/g, ""), "hex"));
const zeros = (n: number) => "00".repeat(n);

// Windows 10 DHCPDISCOVER (suri_smb2-ntlmssp-negotiateflags.pcap frame 302), UDP payload.
const WINDOWS_DISCOVER = fromHex(`
  01 01 06 00            # op BOOTREQUEST, htype ethernet, hlen 6, hops 0
  c5fd4c7f               # xid
  0000 0000              # secs, flags
  00000000 00000000      # ciaddr, yiaddr
  00000000 00000000      # siaddr, giaddr
  000c2903dfad ${zeros(10)}  # chaddr + padding
  ${zeros(64)}           # sname
  ${zeros(128)}          # file
  63825363               # magic cookie
  35 01 01               # 53 message type DISCOVER
  3d 07 01000c2903dfad   # 61 client id: htype 1 + MAC
  0c 0f 4445534b544f502d324145464d3747  # 12 hostname "DESKTOP-2AEFM7G"
  3c 08 4d53465420352e30 # 60 vendor class "MSFT 5.0"
  37 0d 0103060f1f212b2c2e2f79f9fc      # 55 parameter request list
  ff                     # end
  0000000000             # pad
`);

// Windows 10 DHCPREQUEST with option 81 (ndpi_gnutella.pcap frame 7), options only.
const WINDOWS_REQUEST_OPTIONS = `
  35 01 03               # 53 REQUEST
  3d 07 01080027e6e559   # 61 client id
  32 04 0a00020f         # 50 requested IP 10.0.2.15
  0c 0b 4d534544474557494e3130  # 12 hostname "MSEDGEWIN10"
  51 0e 00 00 00 4d534544474557494e3130  # 81 FQDN: flags 0 (ASCII), rcode1, rcode2, "MSEDGEWIN10"
  3c 08 4d53465420352e30 # 60 "MSFT 5.0"
  37 0e 0103060f1f212b2c2e2f7779f9fc  # 55
  ff`;
const WINDOWS_REQUEST = fromHex(`
  01 01 06 00 a6784b7d 0000 0000   # op, htype, hlen, hops, xid, secs, flags
  ${zeros(16)}                     # ciaddr, yiaddr, siaddr, giaddr
  080027e6e559 ${zeros(10)}        # chaddr
  ${zeros(192)}                    # sname + file
  63825363 ${WINDOWS_REQUEST_OPTIONS}`);

// dnsmasq DHCPACK with router, DNS and lease (zeek_dhcp_time_and_nameserver.pcap frame 2).
const ACK = fromHex(`
  02 01 06 00 b1556169 0000 0000   # op BOOTREPLY, htype, hlen, hops, xid, secs, flags
  00000000               # ciaddr
  c0a80ffa               # yiaddr 192.168.15.250
  c0a80f65               # siaddr 192.168.15.101
  00000000               # giaddr
  0090f591cd1f ${zeros(10)}        # chaddr
  ${zeros(64)}                     # sname
  7078656c696e75782e30 ${zeros(118)}  # file "pxelinux.0"
  63825363
  35 01 05               # 53 ACK
  36 04 c0a80f65         # 54 server id
  33 04 0001504d         # 51 lease 86093 s
  01 04 ffffff00         # 1 subnet mask
  1c 04 c0a80fff         # 28 broadcast
  02 04 ffffb9b0         # 2 time offset
  03 04 c0a80f65         # 3 router
  0f 09 706f776572707566 66  # 15 domain "powerpuff"
  06 04 c0a80f65         # 6 DNS
  2a 04 c0a80f65         # 42 NTP
  04 04 c0a80f65         # 4 time server
  05 04 c0a80f65         # 5 name server
  fc 21 687474703a2f2f64656c6179732e706f776572707566662f70726f78792e706163  # 252 WPAD URL
  ff`);

// An OFFER whose router and DNS live in sname (option 52 = 2), like suri_dhcp-option-52-overload frame 4.
const OVERLOADED_OFFER = fromHex(`
  02 01 06 00 24593b3e 0000 0000
  00000000 0a640032 0a640002 00000000   # ciaddr, yiaddr 10.100.0.50, siaddr, giaddr
  92dda48d5fde ${zeros(10)}             # chaddr
  06 04 0a640002         # sname area: 6 DNS 10.100.0.2
  03 04 0a640002         # 3 router
  0f 09 6576696c2e636f7270  # 15 "evil.corp"
  ff ${zeros(64 - 12 - 11 - 1)}         # end + padding of sname
  ${zeros(128)}                         # file
  63825363
  35 01 02               # OFFER
  36 04 0a640002         # server id
  33 04 0000012c         # lease 300
  34 01 02               # 52 overload: sname holds options
  ff`);

describe("decodeDhcp", () => {
  test("Windows DISCOVER: hostname, vendor class, client id, parameter list, option order", () => {
    const m = decodeDhcp(WINDOWS_DISCOVER, 0, WINDOWS_DISCOVER.length)!;
    expect(m.op).toBe(1);
    expect(m.messageType).toBe(1);
    expect(m.xid).toBe(0xc5fd4c7f);
    expect(m.clientMac).toBe("00:0c:29:03:df:ad");
    expect(m.clientIp).toBe("0.0.0.0");
    expect(m.hostname).toBe("DESKTOP-2AEFM7G");
    expect(m.vendorClass).toBe("MSFT 5.0");
    expect(m.clientId).toBe("01000c2903dfad");
    expect(m.parameterList).toEqual([1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 121, 249, 252]);
    expect(m.optionOrder).toEqual([53, 61, 12, 60, 55]);
  });

  test("Windows REQUEST: requested IP and ASCII FQDN", () => {
    const m = decodeDhcp(WINDOWS_REQUEST, 0, WINDOWS_REQUEST.length)!;
    expect(m.messageType).toBe(3);
    expect(m.requestedIp).toBe("10.0.2.15");
    expect(m.fqdn).toBe("MSEDGEWIN10");
    expect(m.optionOrder).toEqual([53, 61, 50, 12, 81, 60, 55]);
  });

  test("wire-encoded FQDN (E flag) and a decoder offset inside a larger buffer", () => {
    const body = fromHex(`
      01 01 06 00 00000001 0000 0000 ${zeros(16)} 020000000001 ${zeros(10)} ${zeros(192)} 63825363
      51 11 05 00 00 04 686f7374 07 6578616d706c65 00   # 81: flags S|E, "host.example" in labels
      ff`);
    const buf = new Uint8Array(body.length + 10);
    buf.set(body, 7);
    const m = decodeDhcp(buf, 7, body.length)!;
    expect(m.fqdn).toBe("host.example");
    expect(m.clientMac).toBe("02:00:00:00:00:01");
  });

  test("ACK: addresses, server id, lease, router and DNS servers", () => {
    const m = decodeDhcp(ACK, 0, ACK.length)!;
    expect(m.op).toBe(2);
    expect(m.messageType).toBe(5);
    expect(m.yourIp).toBe("192.168.15.250");
    expect(m.serverIp).toBe("192.168.15.101");
    expect(m.relayIp).toBe("0.0.0.0");
    expect(m.serverId).toBe("192.168.15.101");
    expect(m.leaseTime).toBe(86093);
    expect(m.router).toEqual(["192.168.15.101"]);
    expect(m.dnsServers).toEqual(["192.168.15.101"]);
    expect(m.optionOrder).toEqual([53, 54, 51, 1, 28, 2, 3, 15, 6, 42, 4, 5, 252]);
  });

  test("option 52 overload: options are read from sname after the options field", () => {
    const m = decodeDhcp(OVERLOADED_OFFER, 0, OVERLOADED_OFFER.length)!;
    expect(m.messageType).toBe(2);
    expect(m.dnsServers).toEqual(["10.100.0.2"]);
    expect(m.router).toEqual(["10.100.0.2"]);
    expect(m.leaseTime).toBe(300);
    expect(m.optionOrder).toEqual([53, 54, 51, 52, 6, 3, 15]);
  });

  test("BOOTP without magic cookie: header only, message type 0", () => {
    const m = decodeDhcp(ACK, 0, 236)!;
    expect(m.messageType).toBe(0);
    expect(m.yourIp).toBe("192.168.15.250");
    expect(m.optionOrder).toEqual([]);
  });

  test("truncated options keep the options read before the cut", () => {
    // cut inside option 60's value: 53, 61, 12 survive
    const cut = WINDOWS_DISCOVER.length - 5 - 1 - 15 - 6;
    const m = decodeDhcp(WINDOWS_DISCOVER, 0, cut)!;
    expect(m.optionOrder).toEqual([53, 61, 12]);
    expect(m.vendorClass).toBeUndefined();
  });

  test("every prefix of every fixture decodes without throwing; short headers give undefined", () => {
    for (const f of [WINDOWS_DISCOVER, WINDOWS_REQUEST, ACK, OVERLOADED_OFFER]) {
      for (let n = 0; n <= f.length; n++) {
        const m = decodeDhcp(f.subarray(0, n), 0, f.length); // length larger than the bytes: must clip
        if (n < 236) expect(m).toBeUndefined();
        else expect(m).toBeDefined();
      }
    }
  });

  test("garbage and hostile input", () => {
    expect(decodeDhcp(new Uint8Array(300), 0, 300)).toBeUndefined(); // op 0
    expect(decodeDhcp(WINDOWS_DISCOVER, -5, 400)).toBeUndefined();
    // an options area of pads only, an option claiming 255 bytes, overload pointing at garbage
    const pads = fromHex(`01 01 06 00 ${zeros(232)} 63825363 ${zeros(1200)}`);
    expect(decodeDhcp(pads, 0, pads.length)!.optionOrder).toEqual([]);
    const long = fromHex(`01 01 06 00 ${"ab".repeat(232)} 63825363 0c ff 41 41`);
    expect(decodeDhcp(long, 0, long.length)!.hostname).toBeUndefined();
    const junk = fromHex(`02 01 06 00 ${"01".repeat(232)} 63825363 34 01 03 ff`);
    const m = decodeDhcp(junk, 0, junk.length)!;
    expect(m.optionOrder.length).toBeGreaterThan(1); // sname/file bytes 01 01 ... read as options
    let seed = 1;
    for (let i = 0; i < 300; i++) {
      const r = new Uint8Array(240 + (i % 100));
      for (let j = 0; j < r.length; j++) r[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      r[0] = 1 + (i & 1);
      r.set([0x63, 0x82, 0x53, 0x63], 236);
      expect(() => decodeDhcp(r, 0, r.length)).not.toThrow();
    }
  });
});
