/**
 * The application decoder registry: one line per protocol (Zeek's analyzer registrations).
 * Message protocols are found by port and decoded on every packet; stream protocols are found
 * by a cheap payload test on the first packets of a flow.
 */
import type { Packet } from "../decode/packet.ts";
import type { ObservationKind } from "./events.ts";
import { decodeDhcp } from "../decode/dhcp.ts";
import { decodeDhcpv6 } from "../decode/dhcpv6.ts";
import { decodeDns, decodeDnsTcp } from "../decode/dns.ts";
import { decodeNetbios } from "../decode/netbios.ts";
import { decodeSsdp } from "../decode/ssdp.ts";
import { decodeHttp } from "../decode/http.ts";
import { decodeTlsClientHello, decodeTlsServerHello } from "../decode/tls.ts";
import { decodeQuicInitial } from "../decode/quic.ts";
import { decodeSshBanner } from "../decode/ssh.ts";
import { decodeCleartextAuth } from "../decode/cleartext.ts";
import { HttpHeadAssembler, httpHeadWhole, QuicHelloAssembler, TlsHelloAssembler, tlsHelloWhole } from "../decode/reassembly.ts";

type Bytes = Uint8Array;

/** A message protocol's decoder: `one` for a message per payload (UDP), else `many`. */
export interface PortDecoder {
  kind: ObservationKind;
  /** The payload's message, or undefined: no array made per message. */
  one?: (bytes: Bytes, off: number, len: number) => unknown;
  /** Every message in the payload (DNS over TCP may carry several). */
  many?: (bytes: Bytes, off: number, len: number, p: Packet) => Iterable<unknown>;
}

export interface Sniffer {
  kind: ObservationKind;
  /** 0: only initiator -> responder packets, 1: only the replies; undefined: both. */
  direction?: 0 | 1;
  match(bytes: Bytes, off: number, len: number, p: Packet): boolean;
  decode(bytes: Bytes, off: number, len: number, p: Packet): unknown;
  /** For messages that may span packets: a per-flow, per-direction joiner fed the following packets. */
  assembler?: () => Assembler;
  /**
   * With `assembler`: whether the message lies whole in this first packet, so `decode` takes it as
   * the assembler would and no assembler is made (most hellos and HTTP heads fit one segment).
   */
  whole?: (bytes: Bytes, off: number, len: number) => boolean;
}

export interface Assembler {
  done: boolean;
  push(bytes: Bytes, off: number, len: number): unknown;
}

const udp = new Map<number, PortDecoder>([
  [53, { kind: "dns", one: decodeDns }],
  [5353, { kind: "mdns", one: decodeDns }],
  [5355, { kind: "llmnr", one: decodeDns }],
  [137, { kind: "netbios", one: decodeNetbios }],
  [67, { kind: "dhcp", one: decodeDhcp }],
  [68, { kind: "dhcp", one: decodeDhcp }],
  [546, { kind: "dhcpv6", one: decodeDhcpv6 }],
  [547, { kind: "dhcpv6", one: decodeDhcpv6 }],
  [1900, { kind: "ssdp", one: decodeSsdp }],
]);

const tcp = new Map<number, PortDecoder>([
  [53, { kind: "dns", many: decodeDnsTcp }],
  [5355, { kind: "llmnr", many: decodeDnsTcp }],
]);

export const MESSAGE_PORTS = { udp, tcp } as const;

/** Port -> 1 when some message decoder listens there: one array read per packet instead of map lookups. */
export const MESSAGE_PORT_FLAGS = { udp: portFlags(udp), tcp: portFlags(tcp) } as const;

function portFlags(m: Map<number, PortDecoder>): Uint8Array {
  const flags = new Uint8Array(65536);
  for (const port of m.keys()) flags[port] = 1;
  return flags;
}

/** Ports whose cleartext logins are reported (FTP, Telnet, SMTP, POP3, IMAP, submission). */
const LOGIN_PORTS = new Set([21, 23, 25, 110, 143, 587]);

const isHandshake = (b: Bytes, o: number, l: number) => l >= 6 && b[o] === 0x16 && b[o + 1] === 0x03;
/** The first four bytes of every HTTP/1.x request method and of a status line. */
const HTTP_STARTS = new Set(["GET ", "POST", "PUT ", "HEAD", "DELE", "OPTI", "PATC", "CONN", "TRAC", "HTTP"].map(
  (s) => (s.charCodeAt(0) << 24 | s.charCodeAt(1) << 16 | s.charCodeAt(2) << 8 | s.charCodeAt(3)) >>> 0,
));
const startsLikeHttp = (b: Bytes, o: number, l: number) =>
  l >= 4 && b[o] >= 0x41 && b[o] <= 0x5a && HTTP_STARTS.has(((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0);

export const STREAM_SNIFFERS: { tcp: readonly Sniffer[]; udp: readonly Sniffer[] } = {
  tcp: [
    {
      kind: "tlsClientHello", direction: 0, match: (b, o, l) => isHandshake(b, o, l) && b[o + 5] === 1,
      decode: decodeTlsClientHello, assembler: () => new TlsHelloAssembler(), whole: tlsHelloWhole,
    },
    { kind: "tlsServerHello", direction: 1, match: (b, o, l) => isHandshake(b, o, l) && b[o + 5] === 2, decode: decodeTlsServerHello },
    { kind: "http", match: startsLikeHttp, decode: decodeHttp, assembler: () => new HttpHeadAssembler(), whole: httpHeadWhole },
    { kind: "sshBanner", match: (b, o, l) => l >= 4 && b[o] === 0x53 && b[o + 1] === 0x53 && b[o + 2] === 0x48 && b[o + 3] === 0x2d, decode: decodeSshBanner },
    {
      kind: "cleartextAuth",
      match: (_b, _o, _l, p) => LOGIN_PORTS.has(p.dstPort) || LOGIN_PORTS.has(p.srcPort),
      decode: (b, o, l, p) => decodeCleartextAuth(b, o, l, LOGIN_PORTS.has(p.dstPort) ? p.dstPort : p.srcPort),
    },
  ],
  udp: [
    {
      kind: "quicClientHello", direction: 0, match: (b, o, l) => l >= 1200 && (b[o] & 0xc0) === 0xc0,
      decode: decodeQuicInitial, assembler: () => new QuicHelloAssembler(),
    },
  ],
};
