/**
 * Self-made application payloads, one or more per app decoder, so the fuzzer runs on a fresh clone
 * without the corpus. Every length and count field is recorded for the length-lie mutations.
 */
import { createCipheriv } from "node:crypto";
import { clientInitialKeys, QUIC_V1 } from "../../src/decode/quic.ts";
import { Builder, type LengthField } from "./builder.ts";

export type AppKind =
  | "dns" | "dnsTcp" | "dhcp" | "dhcpv6" | "netbios" | "ssdp" | "ndp" | "http" | "tlsClient" | "tlsServer"
  | "quic" | "ssh" | "cleartext";

export interface AppPayload {
  name: string;
  kind: AppKind;
  bytes: Uint8Array;
  fields: LengthField[];
  /** How the engine reaches it: transport and ports (ndp rides ICMPv6 itself). */
  transport: "udp" | "tcp" | "icmp6";
  sport: number;
  dport: number;
}

const done = (name: string, kind: AppKind, b: Builder, transport: AppPayload["transport"], sport: number, dport: number): AppPayload => ({
  name, kind, ...b.done(), transport, sport, dport,
});

/** DNS response with compression pointers in names and in RDATA, and every section in use. */
function dnsResponse(): Builder {
  const b = new Builder().u16(0x1234).u16(0x8180);
  b.count(2, 1, "dns qdcount").count(2, 3, "dns ancount").count(2, 1, "dns nscount").count(2, 2, "dns arcount");
  b.dnsName("www.example.com").u16(1).u16(1); // question at 12; "example.com" at 16
  b.u16(0xc00c).u16(5).u16(1).u32(300).begin(2, "dns rdlength").u8(3).str("cdn").u16(0xc010).end(); // CNAME cdn.example.com
  const cnameAt = 12 + 17 + 4 + 12; // rdata of the CNAME
  b.u16(0xc000 | cnameAt).u16(1).u16(1).u32(60).begin(2, "dns rdlength").u8(93, 184, 216, 34).end();
  b.u16(0xc000 | cnameAt).u16(28).u16(1).u32(60).begin(2, "dns rdlength").u32(0x20010db8).u32(0).u32(0).u32(1).end();
  b.u16(0xc010).u16(2).u16(1).u32(3600).begin(2, "dns rdlength").u8(3).str("ns1").u16(0xc010).end(); // NS
  b.u16(0xc010).u16(16).u16(1).u32(60).begin(2, "dns rdlength").begin(1, "txt length").str("v=spf1 -all").end().end();
  b.u8(0).u16(41).u16(1232).u32(0).begin(2, "dns rdlength").end(); // OPT
  return b;
}

function mdnsAnnouncement(): Builder {
  const b = new Builder().u16(0).u16(0x8400);
  b.count(2, 0, "dns qdcount").count(2, 3, "dns ancount").count(2, 0, "dns nscount").count(2, 1, "dns arcount");
  b.dnsName("_airplay._tcp.local").u16(12).u16(1).u32(4500).begin(2, "dns rdlength").u8(10).str("Living Room").u16(0xc00c).end();
  const inst = 12 + 21 + 10; // the PTR target "Living Room._airplay._tcp.local"
  b.u16(0xc000 | inst).u16(33).u16(0x8001).u32(120).begin(2, "dns rdlength").u16(0).u16(0).u16(7000).u8(6).str("appletv").u8(5).str("local").u8(0).end();
  b.u16(0xc000 | inst).u16(16).u16(0x8001).u32(4500).begin(2, "dns rdlength").begin(1, "txt length").str("model=AppleTV6,2").end().begin(1, "txt length").str("deviceid=AA:BB").end().end();
  b.dnsName("appletv.local").u16(1).u16(0x8001).u32(120).begin(2, "dns rdlength").u8(192, 168, 1, 40).end();
  return b;
}

function llmnrQuery(): Builder {
  const b = new Builder().u16(0x9f01).u16(0);
  b.count(2, 1, "dns qdcount").count(2, 0, "dns ancount").count(2, 0, "dns nscount").count(2, 0, "dns arcount");
  return b.dnsName("wpad").u16(1).u16(1);
}

function dnsOverTcp(): Builder {
  const b = new Builder();
  for (const name of ["a.example.org", "b.example.org"]) {
    b.begin(2, "dns tcp length").u16(7).u16(0x0100);
    b.count(2, 1, "dns qdcount").count(2, 0, "dns ancount").count(2, 0, "dns nscount").count(2, 0, "dns arcount");
    b.dnsName(name).u16(28).u16(1).end();
  }
  return b;
}

function dhcpRequest(): Builder {
  const b = new Builder().u8(1, 1, 6, 0).u32(0xdeadbeef).u16(0).u16(0x8000);
  b.u32(0).u32(0).u32(0).u32(0).raw([0xa4, 0x83, 0xe7, 1, 2, 3]).raw(new Uint8Array(10 + 64 + 128));
  b.u32(0x63825363);
  b.u8(53).begin(1, "dhcp option length").u8(3).end();
  b.u8(61).begin(1, "dhcp option length").u8(1, 0xa4, 0x83, 0xe7, 1, 2, 3).end();
  b.u8(50).begin(1, "dhcp option length").u8(192, 168, 1, 23).end();
  b.u8(54).begin(1, "dhcp option length").u8(192, 168, 1, 1).end();
  b.u8(12).begin(1, "dhcp option length").str("Johns-iPhone").end();
  b.u8(81).begin(1, "dhcp option length").u8(0, 0, 0).str("johns-iphone.lan").end();
  b.u8(60).begin(1, "dhcp option length").str("android-dhcp-13").end();
  b.u8(55).begin(1, "dhcp option length").u8(1, 121, 3, 6, 15, 108, 114, 119, 252, 95, 44, 46).end();
  b.u8(57).begin(1, "dhcp option length").u16(1500).end();
  b.u8(52).begin(1, "dhcp option length").u8(0).end(); // overload: none (a lie target)
  return b.u8(0, 0, 255);
}

function dhcpAck(): Builder {
  const b = new Builder().u8(2, 1, 6, 0).u32(0xdeadbeef).u16(0).u16(0);
  b.u32(0).u8(192, 168, 1, 23).u8(192, 168, 1, 1).u32(0).raw([0xa4, 0x83, 0xe7, 1, 2, 3]).raw(new Uint8Array(10));
  b.str("pxe-server").raw(new Uint8Array(54)).raw(new Uint8Array(128));
  b.u32(0x63825363);
  b.u8(53).begin(1, "dhcp option length").u8(5).end();
  b.u8(54).begin(1, "dhcp option length").u8(192, 168, 1, 1).end();
  b.u8(51).begin(1, "dhcp option length").u32(86400).end();
  b.u8(1).begin(1, "dhcp option length").u8(255, 255, 255, 0).end();
  b.u8(3).begin(1, "dhcp option length").u8(192, 168, 1, 1, 192, 168, 1, 2).end();
  b.u8(6).begin(1, "dhcp option length").u8(1, 1, 1, 1, 8, 8, 8, 8).end();
  b.u8(15).begin(1, "dhcp option length").str("lan").end();
  b.u8(119).begin(1, "dhcp option length").dnsName("home.lan").end();
  return b.u8(255);
}

function dhcpv6Solicit(): Builder {
  const b = new Builder().u8(1).u24(0x00a1b2);
  b.u16(1).begin(2, "dhcpv6 option length").u16(1).u16(1).u32(0x2a000000).raw([0xa4, 0x83, 0xe7, 1, 2, 3]).end(); // DUID-LLT
  b.u16(6).begin(2, "dhcpv6 option length").u16(23).u16(24).u16(39).u16(17).end(); // ORO
  b.u16(39).begin(2, "dhcpv6 option length").u8(1).dnsName("laptop.home").end(); // FQDN
  b.u16(16).begin(2, "dhcpv6 option length").u32(311).begin(2, "vendor class item").str("MSFT 5.0").end().end();
  b.u16(15).begin(2, "dhcpv6 option length").begin(2, "user class item").str("home").end().end();
  b.u16(17).begin(2, "dhcpv6 option length").u32(4491).u16(1).begin(2, "vendor opt length").str("x").end().end();
  b.u16(8).begin(2, "dhcpv6 option length").u16(0).end();
  return b;
}

function dhcpv6Relay(): Builder {
  const inner = dhcpv6Solicit().done().bytes;
  const b = new Builder().u8(12, 0).raw(new Uint8Array(32));
  b.u16(9).begin(2, "dhcpv6 relay msg length").u8(12, 1).raw(new Uint8Array(32));
  b.u16(9).begin(2, "dhcpv6 relay msg length").raw(inner).end().end();
  return b;
}

function nbnsRegistration(): Builder {
  const b = new Builder().u16(0x8001).u16(0x2910);
  b.count(2, 1, "nbns qdcount").count(2, 0, "nbns ancount").count(2, 0, "nbns nscount").count(2, 1, "nbns arcount");
  b.u8(32).str("EEEFFCEOEFEMEMFDFEEFCACACACACAAA").u8(0).u16(0x20).u16(1); // "DESKTOP-LEMON" style <00>
  b.u16(0xc00c).u16(0x20).u16(1).u32(300000).begin(2, "nbns rdlength").u16(0).u8(192, 168, 1, 50).end();
  return b;
}

function nbnsNodeStatus(): Builder {
  const b = new Builder().u16(0x0002).u16(0x8400);
  b.count(2, 0, "nbns qdcount").count(2, 1, "nbns ancount").count(2, 0, "nbns nscount").count(2, 0, "nbns arcount");
  b.u8(32).str("CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").u8(0).u16(0x21).u16(1).u32(0);
  b.begin(2, "nbns rdlength").count(1, 2, "nbstat names");
  b.str("NAS-BOX        ").u8(0).u16(0x0400).str("WORKGROUP      ").u8(0).u16(0x8400);
  return b.raw(new Uint8Array(46)).end();
}

function ndpRouterAdvert(): Builder {
  const b = new Builder().u8(134, 0).u16(0).u8(64, 0xc0).u16(1800).u32(0).u32(0);
  b.u8(1).count(1, 1, "ndp option length").raw([0xf0, 0x9f, 0xc2, 0x11, 0x22, 0x33]);
  b.u8(5).count(1, 1, "ndp option length").u16(0).u32(1500);
  b.u8(3).count(1, 4, "ndp option length").u8(64, 0xc0).u32(86400).u32(14400).u32(0).u32(0x20010db8).u32(0x00010000).u32(0).u32(0);
  b.u8(25).count(1, 3, "ndp option length").u16(0).u32(600).u32(0x20010db8).u32(0).u32(0).u32(0x53); // RDNSS
  return b;
}

function ndpNeighborSolicit(): Builder {
  const b = new Builder().u8(135, 0).u16(0).u32(0).u32(0xfe800000).u32(0).u32(0x0200ffff).u32(0xfe000001);
  return b.u8(1).count(1, 1, "ndp option length").raw([0xa4, 0x83, 0xe7, 1, 2, 3]);
}

function ssdpNotify(): Builder {
  return new Builder().str(
    "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n" +
      "LOCATION: http://192.168.1.40:49152/description.xml\r\nNT: urn:schemas-upnp-org:device:MediaRenderer:1\r\n" +
      "NTS: ssdp:alive\r\nSERVER: Linux/4.9 UPnP/1.0 Sonos/70.3\r\nUSN: uuid:RINCON_000E58::urn:schemas-upnp-org:device:MediaRenderer:1\r\n\r\n",
  );
}

function ssdpSearch(): Builder {
  return new Builder().str('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: ssdp:all\r\nUSER-AGENT: Chromium/120 Windows\r\n\r\n');
}

function httpRequest(): Builder {
  return new Builder().str(
    "GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\r\n" +
      "Accept: */*\r\nAuthorization: Basic YWxpY2U6c2VjcmV0\r\nCookie: a=b\r\nContent-Length: 5\r\n\r\nhello",
  );
}

function httpResponse(): Builder {
  return new Builder().str("HTTP/1.1 200 OK\r\nServer: nginx/1.25\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok");
}

/** A ClientHello handshake message (no record header): shared by the TLS and QUIC seeds. */
export function clientHelloHandshake(host: string, quic = false): Builder {
  const b = new Builder().u8(1).begin(3, "tls handshake length").u16(0x0303).raw(new Uint8Array(32).fill(7));
  b.begin(1, "tls session id length").raw(new Uint8Array(32).fill(9)).end();
  b.begin(2, "tls cipher suites length").u16(0x0a0a).u16(0x1301).u16(0x1302).u16(0x1303).u16(0xc02b).u16(0xc02f).end();
  b.begin(1, "tls compression length").u8(0).end();
  b.begin(2, "tls extensions length");
  b.u16(0x0a0a).begin(2, "tls extension length").end(); // GREASE
  b.u16(0).begin(2, "tls extension length").begin(2, "sni list length").u8(0).begin(2, "sni name length").str(host).end().end().end();
  b.u16(0x10).begin(2, "tls extension length").begin(2, "alpn list length").begin(1, "alpn length").str(quic ? "h3" : "h2").end().begin(1, "alpn length").str("http/1.1").end().end().end();
  b.u16(0x0d).begin(2, "tls extension length").begin(2, "sig algs length").u16(0x0403).u16(0x0804).u16(0x0401).end().end();
  b.u16(0x0a).begin(2, "tls extension length").begin(2, "groups length").u16(0x001d).u16(0x0017).end().end();
  b.u16(0x2b).begin(2, "tls extension length").begin(1, "versions length").u16(0x0304).u16(0x0303).end().end();
  b.u16(0x33).begin(2, "tls extension length").begin(2, "key share length").u16(0x001d).begin(2, "key length").raw(new Uint8Array(32).fill(3)).end().end().end();
  if (quic) b.u16(0x39).begin(2, "tls extension length").u8(0x01, 0x04, 0x80, 0x00, 0x75, 0x30).end();
  return b.end().end();
}

function tlsClientHello(): Builder {
  const hs = clientHelloHandshake("www.example.com").done();
  const b = new Builder().u8(0x16).u16(0x0301).begin(2, "tls record length").raw(hs.bytes).end();
  const shift = 5;
  for (const f of hs.fields) b.fields.push({ ...f, off: f.off + shift });
  return b;
}

function tlsServerHello(): Builder {
  const b = new Builder().u8(0x16).u16(0x0303).begin(2, "tls record length").u8(2).begin(3, "tls handshake length");
  b.u16(0x0303).raw(new Uint8Array(32).fill(5)).begin(1, "tls session id length").raw(new Uint8Array(32).fill(9)).end().u16(0x1301).u8(0);
  b.begin(2, "tls extensions length").u16(0x2b).begin(2, "tls extension length").u16(0x0304).end();
  b.u16(0x33).begin(2, "tls extension length").u16(0x001d).begin(2, "key length").raw(new Uint8Array(32).fill(4)).end().end();
  return b.end().end().end();
}

/** Seals QUIC v1 client Initial frames (RFC 9001 5): the fuzzer mutates the plaintext, then seals. */
export function sealQuicInitial(frames: Uint8Array, dcid = Uint8Array.of(0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08)): Uint8Array {
  const keys = clientInitialKeys(QUIC_V1, dcid)!;
  const pnLen = 4;
  const padTo = Math.max(frames.length, 1162 - dcid.length); // the datagram reaches 1200 bytes
  const plain = new Uint8Array(padTo);
  plain.set(frames);
  const payloadLen = pnLen + plain.length + 16;
  const header = new Builder().u8(0xc0 | (pnLen - 1)).u32(QUIC_V1).u8(dcid.length).raw(dcid).u8(0).u8(0);
  header.u8(0x40 | (payloadLen >> 8), payloadLen & 0xff).u32(2);
  const hdr = header.done().bytes;
  const nonce = Buffer.from(keys.iv);
  nonce[11] ^= 2;
  const gcm = createCipheriv("aes-128-gcm", keys.key, nonce);
  gcm.setAAD(hdr);
  const sealed = Buffer.concat([hdr, gcm.update(plain), gcm.final(), gcm.getAuthTag()]);
  const pnAt = hdr.length - pnLen;
  const mask = createCipheriv("aes-128-ecb", keys.hp, null).update(sealed.subarray(pnAt + 4, pnAt + 20));
  sealed[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < pnLen; i++) sealed[pnAt + i] ^= mask[1 + i];
  return new Uint8Array(sealed);
}

/** The plaintext frames of a QUIC Initial: a CRYPTO frame (split in two) carrying a ClientHello. */
export function quicInitialFrames(): Builder {
  const hs = clientHelloHandshake("quic.example.net", true).done();
  const cut = 100;
  const b = new Builder().u8(0x06).u8(0x40 | (cut >> 8), cut & 0xff).u8(0x40 | ((hs.bytes.length - cut) >> 8), (hs.bytes.length - cut) & 0xff);
  const at = b.length;
  b.raw(hs.bytes.subarray(cut));
  b.fields.push({ off: 2, size: 2, what: "quic crypto offset" }, { off: 4, size: 2, what: "quic crypto length" });
  b.u8(0x01, 0x00).u8(0x06, 0x00).u8(0x40 | (cut >> 8), cut & 0xff).raw(hs.bytes.subarray(0, cut));
  for (const f of hs.fields) {
    if (f.off >= cut) b.fields.push({ ...f, off: f.off - cut + at });
    else b.fields.push({ ...f, off: f.off + at + (hs.bytes.length - cut) + 5 });
  }
  return b;
}

function sshBanner(): Builder {
  return new Builder().str("SSH-2.0-OpenSSH_9.6p1 Debian-3\r\n");
}

function ftpLogin(): Builder {
  return new Builder().str("USER alice\r\nPASS secret\r\n");
}

function smtpAuth(): Builder {
  return new Builder().str("EHLO client\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
}

/** Every self-made application payload. */
export function appPayloads(): AppPayload[] {
  const quic = quicInitialFrames();
  return [
    done("dns-response-compressed", "dns", dnsResponse(), "udp", 53, 40000),
    done("mdns-announcement", "dns", mdnsAnnouncement(), "udp", 5353, 5353),
    done("llmnr-query", "dns", llmnrQuery(), "udp", 50001, 5355),
    done("dns-over-tcp", "dnsTcp", dnsOverTcp(), "tcp", 40001, 53),
    done("dhcp-request", "dhcp", dhcpRequest(), "udp", 68, 67),
    done("dhcp-ack", "dhcp", dhcpAck(), "udp", 67, 68),
    done("dhcpv6-solicit", "dhcpv6", dhcpv6Solicit(), "udp", 546, 547),
    done("dhcpv6-relay", "dhcpv6", dhcpv6Relay(), "udp", 547, 547),
    done("nbns-registration", "netbios", nbnsRegistration(), "udp", 137, 137),
    done("nbns-node-status", "netbios", nbnsNodeStatus(), "udp", 137, 137),
    done("ndp-router-advert", "ndp", ndpRouterAdvert(), "icmp6", 0, 0),
    done("ndp-neighbor-solicit", "ndp", ndpNeighborSolicit(), "icmp6", 0, 0),
    done("ssdp-notify", "ssdp", ssdpNotify(), "udp", 1900, 1900),
    done("ssdp-search", "ssdp", ssdpSearch(), "udp", 50002, 1900),
    done("http-request", "http", httpRequest(), "tcp", 40002, 80),
    done("http-response", "http", httpResponse(), "tcp", 80, 40002),
    done("tls-client-hello", "tlsClient", tlsClientHello(), "tcp", 40003, 443),
    done("tls-server-hello", "tlsServer", tlsServerHello(), "tcp", 443, 40003),
    { name: "quic-initial", kind: "quic", ...quic.done(), transport: "udp", sport: 40004, dport: 443 },
    done("ssh-banner", "ssh", sshBanner(), "tcp", 40005, 22),
    done("ftp-login", "cleartext", ftpLogin(), "tcp", 40006, 21),
    done("smtp-auth", "cleartext", smtpAuth(), "tcp", 40007, 25),
  ];
}
