/**
 * Every application decoder as a `(bytes, offset, length)` call, so the fuzzer can feed each of them
 * every mutated payload (a DNS decoder must survive DHCP bytes too).
 */
import { decodeCleartextAuth } from "../../src/decode/cleartext.ts";
import { decodeDhcp } from "../../src/decode/dhcp.ts";
import { decodeDhcpv6 } from "../../src/decode/dhcpv6.ts";
import { decodeDns, decodeDnsTcp } from "../../src/decode/dns.ts";
import { decodeHttp } from "../../src/decode/http.ts";
import { decodeNdp } from "../../src/decode/ndp.ts";
import { decodeNetbios } from "../../src/decode/netbios.ts";
import { decodeQuicInitial } from "../../src/decode/quic.ts";
import { identifyService } from "../../src/decode/service.ts";
import { decodeSshBanner } from "../../src/decode/ssh.ts";
import { decodeSsdp } from "../../src/decode/ssdp.ts";
import { decodeClientHelloHandshake, decodeTlsClientHello, decodeTlsServerHello } from "../../src/decode/tls.ts";

export type DecoderTarget = [name: string, decode: (b: Uint8Array, off: number, len: number) => unknown];

/** Variants of one decoder ("name/variant"): each payload goes to one of them, picked at random. */
export function decoderGroups(): DecoderTarget[][] {
  const groups = new Map<string, DecoderTarget[]>();
  for (const t of DECODER_TARGETS) {
    const key = t[0].split("/")[0];
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups.values()];
}

export const DECODER_TARGETS: DecoderTarget[] = [
  ["decodeDns", decodeDns],
  ["decodeDnsTcp", decodeDnsTcp],
  ["decodeDhcp", decodeDhcp],
  ["decodeDhcpv6", decodeDhcpv6],
  ["decodeNetbios", decodeNetbios],
  ["decodeSsdp", decodeSsdp],
  ["decodeNdp", decodeNdp],
  ["decodeHttp", decodeHttp],
  ["decodeTlsClientHello", decodeTlsClientHello],
  ["decodeTlsServerHello", decodeTlsServerHello],
  ["decodeClientHelloHandshake", (b, o, l) => decodeClientHelloHandshake(b, o, l, "q")],
  ["decodeQuicInitial", decodeQuicInitial],
  ["decodeSshBanner", decodeSshBanner],
  ["decodeCleartextAuth/ftp", (b, o, l) => decodeCleartextAuth(b, o, l, 21)],
  ["decodeCleartextAuth/telnet", (b, o, l) => decodeCleartextAuth(b, o, l, 23)],
  ["decodeCleartextAuth/smtp", (b, o, l) => decodeCleartextAuth(b, o, l, 25)],
  ["decodeCleartextAuth/pop3", (b, o, l) => decodeCleartextAuth(b, o, l, 110)],
  ["decodeCleartextAuth/imap", (b, o, l) => decodeCleartextAuth(b, o, l, 143)],
  ["decodeCleartextAuth/http", (b, o, l) => decodeCleartextAuth(b, o, l, 80)],
  ["identifyService/tcp", (b, o, l) => identifyService(b, o, l, 6, 40000, 443)],
  ["identifyService/udp", (b, o, l) => identifyService(b, o, l, 17, 40000, 443)],
];
