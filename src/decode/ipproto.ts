/** Dispatch from an IP protocol number to the transport decoder, and IP-in-IP tunnels to the inner header. */
import { DecodeError, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_GRE, type Packet } from "./packet.ts";
import { decodeTcp } from "./tcp.ts";
import { decodeUdp } from "./udp.ts";
import { decodeIcmp } from "./icmp.ts";
import { decodeGre } from "./gre.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";

export type L4Decoder = (p: Packet, off: number, end: number) => void;

/** Tunnels nested deeper than this are not followed. */
export const MAX_TUNNEL_DEPTH = 2;
let tunnelDepth = 0;

function tunnel(inner: (p: Packet, off: number) => void): L4Decoder {
  return (p, off, end) => {
    if (tunnelDepth >= MAX_TUNNEL_DEPTH) return;
    tunnelDepth++;
    // The inner packet becomes the packet: its addresses and ports make the flow.
    const savedEnd = p.end;
    p.end = end;
    p.fragOffset = 0;
    p.moreFragments = false;
    inner(p, off); // decoders never throw
    p.end = savedEnd;
    tunnelDepth--;
  };
}

export const IPPROTO_DECODERS = new Map<number, L4Decoder>([
  [IPPROTO_TCP, decodeTcp],
  [IPPROTO_UDP, decodeUdp],
  [IPPROTO_ICMP, decodeIcmp],
  [IPPROTO_ICMPV6, decodeIcmp],
  [IPPROTO_IPIP, tunnel(decodeIpv4)],
  [IPPROTO_IPV6, tunnel(decodeIpv6)],
  [IPPROTO_GRE, tunnel(decodeGre)],
]);

export function decodeIpPayload(p: Packet, protocol: number, off: number, end: number): void {
  if (off > end) {
    p.error = DecodeError.Truncated;
    return;
  }
  if (protocol === IPPROTO_TCP) return decodeTcp(p, off, end);
  if (protocol === IPPROTO_UDP) return decodeUdp(p, off, end);
  const decoder = IPPROTO_DECODERS.get(protocol);
  if (decoder) decoder(p, off, end);
}
