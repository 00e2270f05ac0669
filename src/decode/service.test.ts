import { describe, expect, test } from "bun:test";
import { identifyService, PORT_SERVICES } from "./service.ts";

const TCP = 6;
const UDP = 17;
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/#[^\n]*/g, "").replace(/\s+/g, ""), "hex"));
const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const id = (b: Uint8Array, proto: number, sport: number, dport: number) => identifyService(b, 0, b.length, proto, sport, dport);

describe("identifyService by payload", () => {
  const cases: [string, Uint8Array, number, number, number][] = [
    ["TLS", hex("16 0301 0200 01 0001fc 0303"), TCP, 50000, 8443],
    ["HTTP", text("GET / HTTP/1.1\r\n"), TCP, 50000, 8081],
    ["HTTP", text("HTTP/1.1 200 OK\r\n"), TCP, 8081, 50000],
    ["SSH", text("SSH-2.0-OpenSSH_9.6\r\n"), TCP, 2222, 50000],
    // DNS query: id, flags RD, 1 question, 0 answers
    ["DNS", hex("1234 0100 0001 0000 0000 0000 03777777 00 0001 0001"), UDP, 50000, 53],
    ["mDNS", hex("0000 8400 0000 0001 0000 0000"), UDP, 5353, 5353],
    ["LLMNR", hex("abcd 0000 0001 0000 0000 0000"), UDP, 50000, 5355],
    ["QUIC", hex("c3 00000001 08 0011223344556677 00"), UDP, 50000, 4433],
    ["QUIC", hex("c3 6b3343cf 08 0011223344556677 00"), UDP, 50000, 4433],
    ["QUIC", hex("0d 1122334455667788 51303433 01"), UDP, 50000, 4433], // gQUIC Q043
    ["DHCP", new Uint8Array(300).fill(0).map((_, i) => (i === 0 ? 1 : i === 236 ? 0x63 : i === 237 ? 0x82 : i === 238 ? 0x53 : i === 239 ? 0x63 : 0)), UDP, 68, 67],
    ["NTP", Uint8Array.of(0x23, ...new Array(47).fill(0)), UDP, 50000, 123], // v4 client
    ["SSDP", text("M-SEARCH * HTTP/1.1\r\n"), UDP, 50000, 1900],
    ["SMB", hex("00 000054 fe534d42 4000"), TCP, 50000, 4455],
    ["SMB", hex("00 000054 ff534d42 72"), TCP, 50000, 139],
    ["RDP", hex("0300 0013 0e e0 0000 0000 00 0100 0800 03000000"), TCP, 50000, 3390],
    ["FTP", text("220 ProFTPD Server ready.\r\n"), TCP, 2121, 50000],
    ["SMTP", text("220 mx.example.com ESMTP Postfix\r\n"), TCP, 2525, 50000],
    ["POP3", text("+OK Dovecot ready.\r\n"), TCP, 1110, 50000],
    ["IMAP", text("* OK [CAPABILITY IMAP4rev1] ready\r\n"), TCP, 1143, 50000],
    ["Telnet", hex("fffd18 fffd20"), TCP, 2323, 50000],
    ["BitTorrent", text("\x13BitTorrent protocol\x00\x00\x00\x00"), TCP, 50000, 51413],
    ["BitTorrent", text("d1:ad2:id20:abcdefghij0123456789e"), UDP, 50000, 51413],
    // STUN binding request: type 0x0001, length 0, magic cookie, transaction id
    ["STUN", hex("0001 0000 2112a442 000102030405060708090a0b"), UDP, 50000, 19305],
    ["MQTT", hex("10 1a 0004 4d515454 04 02 003c"), TCP, 50000, 1884],
    ["WireGuard", Uint8Array.of(1, 0, 0, 0, ...new Array(144).fill(7)), UDP, 50000, 51821],
  ];
  for (const [service, bytes, proto, sport, dport] of cases) {
    test(`${service} ${proto === TCP ? "tcp" : "udp"} ${sport}->${dport}`, () => {
      expect(id(bytes, proto, sport, dport)).toEqual({ service, by: "payload" });
    });
  }
  test("DNS with a nonsense header on port 53 falls back to the port", () => {
    expect(id(hex("1234 7900 ffff ffff 0000 0000"), UDP, 50000, 53)).toEqual({ service: "DNS", by: "port" });
  });
});

describe("identifyService by port", () => {
  test("table lookups, lower port first", () => {
    expect(id(new Uint8Array(0), TCP, 50000, 22)).toEqual({ service: "SSH", by: "port" });
    expect(id(text("\x00\x01garbage"), UDP, 443, 50000)).toEqual({ service: "QUIC", by: "port" });
    expect(id(new Uint8Array(0), UDP, 161, 50000)).toEqual({ service: "SNMP", by: "port" });
    expect(id(new Uint8Array(0), TCP, 50001, 50000)).toBeUndefined();
    expect(id(new Uint8Array(0), 1, 0, 0)).toBeUndefined(); // ICMP is the engine's own
    expect(id(new Uint8Array(8), 50, 0, 0)).toEqual({ service: "IPsec", by: "port" }); // ESP
    expect(PORT_SERVICES["udp/5353"]).toBe("mDNS");
  });
  test("a guess is one frozen object per service and way, shared by every packet that gets it", () => {
    const a = id(text("GET / HTTP/1.1\r\n"), TCP, 50000, 8081), b = id(text("POST /x HTTP/1.1\r\n"), TCP, 50001, 80);
    expect(b).toBe(a!);
    expect(Object.isFrozen(a)).toBe(true);
    expect(id(new Uint8Array(0), TCP, 50000, 80)).toEqual({ service: "HTTP", by: "port" });
    expect(id(new Uint8Array(0), TCP, 50000, 80)).not.toBe(a!);
    expect(id(new Uint8Array(0), TCP, 50002, 80)).toBe(id(new Uint8Array(0), TCP, 50000, 80)!);
  });
  test("never throws on short or odd input", () => {
    const junk = hex("16 03 ff ff 00 01 ff 53 4d 42 21 12 a4 42");
    for (let n = 0; n <= junk.length; n++) {
      for (const proto of [TCP, UDP]) {
        for (const port of [53, 123, 5353, 1900, 0]) expect(() => identifyService(junk, 0, n, proto, port, port)).not.toThrow();
      }
    }
    expect(() => identifyService(junk, 10, 1000, TCP, 1, 2)).not.toThrow();
  });
});
