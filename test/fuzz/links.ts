/**
 * Link and network wrappers for fuzz seeds: one function per way a transport segment reaches the
 * engine (Ethernet, 802.1Q, QinQ, SLL, SLL2, NULL, LOOP, RAW, NFLOG, PPP, PPPoE, MPLS, GRE, IP-in-IP,
 * IPv4 options, IPv6 extension headers and fragments).
 */
import { concat, ethernet, ip4, ip6, ipv4, ipv6, mac } from "../../src/decode/testing/frames.ts";

export interface Wrapped {
  linkType: number;
  frame: Uint8Array;
}

export interface Endpoints {
  src: string;
  dst: string;
  srcMac: string;
  dstMac: string;
}

/** Wraps a transport segment (`l4`, IP protocol `proto`) into a whole frame. */
export type Wrapper = (proto: number, l4: Uint8Array, e: Endpoints) => Wrapped;

const u16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);
const u32le = (v: number) => Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);
const eth = (e: Endpoints, type: number, payload: Uint8Array, vlans?: number[]) => ethernet({ src: e.srcMac, dst: e.dstMac, type, vlans }, payload);

const v4 = (proto: number, l4: Uint8Array, e: Endpoints) => ipv4({ src: e.src, dst: e.dst, proto }, l4);
const v6 = (proto: number, l4: Uint8Array, e: Endpoints) => ipv6({ src: e.src, dst: e.dst, next: proto }, l4);

function sll(type: number, e: Endpoints, payload: Uint8Array): Uint8Array {
  return concat(u16(0), u16(1), u16(6), mac(e.srcMac), new Uint8Array(2), u16(type), payload);
}
function sll2(type: number, e: Endpoints, payload: Uint8Array): Uint8Array {
  return concat(u16(type), u16(0), Uint8Array.of(0, 0, 0, 2), u16(1), Uint8Array.of(0, 6), mac(e.srcMac), new Uint8Array(2), payload);
}
function nflog(family: number, ip: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode("fuzz\0\0\0\0");
  const tlv = (type: number, v: Uint8Array) => {
    const pad = new Uint8Array((4 - ((4 + v.length) % 4)) % 4);
    return concat(Uint8Array.of((4 + v.length) & 0xff, (4 + v.length) >> 8, type, 0), v, pad);
  };
  return concat(Uint8Array.of(family, 0, 0, 1), tlv(10, prefix), tlv(9, ip));
}
function gre(innerType: number, inner: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x20, 0), u16(innerType), Uint8Array.of(0, 0, 0, 42), inner); // key present
}
function mpls(inner: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0, 0x10, 0x00, 64), Uint8Array.of(0, 0x20, 0x01, 64), inner);
}
function pppoe(pppProto: number, inner: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x11, 0), u16(0x1234), u16(inner.length + 2), u16(pppProto), inner);
}
/** IPv4 with 8 bytes of options (NOP, NOP, timestamp-ish, EOL): IHL 7. */
function ipv4WithOptions(proto: number, l4: Uint8Array, e: Endpoints): Uint8Array {
  const plain = v4(proto, l4, e);
  const opts = Uint8Array.of(1, 1, 0x44, 4, 5, 0, 0, 0);
  const out = concat(plain.subarray(0, 20), opts, plain.subarray(20));
  out[0] = 0x47;
  out.set(u16(out.length), 2);
  return out;
}
/** IPv6 with hop-by-hop, routing (segments left 0) and destination options before the transport. */
function ipv6WithExtensions(proto: number, l4: Uint8Array, e: Endpoints): Uint8Array {
  const hbh = Uint8Array.of(43, 0, 5, 2, 0, 0, 1, 0); // router alert + PadN
  const routing = concat(Uint8Array.of(60, 2, 0, 0, 0, 0, 0, 0), ip6("2001:db8::99"));
  const dest = Uint8Array.of(proto, 0, 1, 4, 0, 0, 0, 0);
  return ipv6({ src: e.src, dst: e.dst, next: 0 }, concat(hbh, routing, dest, l4));
}
/** IPv6 atomic fragment (offset 0, M=0) and a first fragment (M=1) carrying the whole segment. */
function ipv6Fragment(more: boolean) {
  return (proto: number, l4: Uint8Array, e: Endpoints) =>
    ipv6({ src: e.src, dst: e.dst, next: 44 }, concat(Uint8Array.of(proto, 0, 0, more ? 1 : 0, 0, 0, 0x12, 0x34), l4));
}

export const V4_WRAPPERS: Record<string, Wrapper> = {
  eth: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x0800, v4(p, l4, e)) }),
  vlan: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x0800, v4(p, l4, e), [100]) }),
  qinq: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x0800, v4(p, l4, e), [10, 20]) }),
  options: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x0800, ipv4WithOptions(p, l4, e)) }),
  firstFragment: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x0800, ipv4({ src: e.src, dst: e.dst, proto: p, id: 77, mf: true }, l4)) }),
  sll: (p, l4, e) => ({ linkType: 113, frame: sll(0x0800, e, v4(p, l4, e)) }),
  sll2: (p, l4, e) => ({ linkType: 276, frame: sll2(0x0800, e, v4(p, l4, e)) }),
  null: (p, l4, e) => ({ linkType: 0, frame: concat(u32le(2), v4(p, l4, e)) }),
  loop: (p, l4, e) => ({ linkType: 108, frame: concat(Uint8Array.of(0, 0, 0, 2), v4(p, l4, e)) }),
  raw: (p, l4, e) => ({ linkType: 101, frame: v4(p, l4, e) }),
  ipv4: (p, l4, e) => ({ linkType: 228, frame: v4(p, l4, e) }),
  nflog: (p, l4, e) => ({ linkType: 239, frame: nflog(2, v4(p, l4, e)) }),
  ppp: (p, l4, e) => ({ linkType: 9, frame: concat(Uint8Array.of(0xff, 0x03, 0x00, 0x21), v4(p, l4, e)) }),
  pppoe: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x8864, pppoe(0x0021, v4(p, l4, e))) }),
  mpls: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x8847, mpls(v4(p, l4, e))) }),
  gre: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x0800, ipv4({ src: "203.0.113.1", dst: "203.0.113.2", proto: 47 }, gre(0x0800, v4(p, l4, e)))) }),
  ipip: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x0800, ipv4({ src: "203.0.113.1", dst: "203.0.113.2", proto: 4 }, v4(p, l4, e))) }),
};

export const V6_WRAPPERS: Record<string, Wrapper> = {
  eth: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x86dd, v6(p, l4, e)) }),
  vlan: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x86dd, v6(p, l4, e), [200]) }),
  qinq: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x86dd, v6(p, l4, e), [30, 40]) }),
  extensions: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x86dd, ipv6WithExtensions(p, l4, e)) }),
  atomicFragment: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x86dd, ipv6Fragment(false)(p, l4, e)) }),
  firstFragment: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x86dd, ipv6Fragment(true)(p, l4, e)) }),
  sll: (p, l4, e) => ({ linkType: 113, frame: sll(0x86dd, e, v6(p, l4, e)) }),
  sll2: (p, l4, e) => ({ linkType: 276, frame: sll2(0x86dd, e, v6(p, l4, e)) }),
  null: (p, l4, e) => ({ linkType: 0, frame: concat(u32le(30), v6(p, l4, e)) }),
  raw: (p, l4, e) => ({ linkType: 101, frame: v6(p, l4, e) }),
  ipv6: (p, l4, e) => ({ linkType: 229, frame: v6(p, l4, e) }),
  nflog: (p, l4, e) => ({ linkType: 239, frame: nflog(10, v6(p, l4, e)) }),
  pppoe: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x8864, pppoe(0x0057, v6(p, l4, e))) }),
  mpls: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x8847, mpls(v6(p, l4, e))) }),
  gre: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x0800, ipv4({ src: "203.0.113.1", dst: "203.0.113.2", proto: 47 }, gre(0x86dd, v6(p, l4, e)))) }),
  sixInFour: (p, l4, e) => ({ linkType: 1, frame: eth(e, 0x0800, ipv4({ src: "203.0.113.1", dst: "203.0.113.2", proto: 41 }, v6(p, l4, e))) }),
};

export const V4_HOSTS = { client: "192.168.1.23", server: "93.184.216.34" };
export const V6_HOSTS = { client: "fe80::a683:e7ff:fe01:203", server: "2001:db8::53" };
export const MACS = { client: "a4:83:e7:01:02:03", server: "f0:9f:c2:11:22:33" };
export { ip4 };
