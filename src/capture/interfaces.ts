/**
 * The machine's network interfaces: libpcap's list (pcap_findalldevs) and the interface of the
 * default route (/proc/self/net/route, then ipv6_route: readable under the unit's ProcSubset=pid), which is what a user means by "the network".
 */
import { read, type Pointer } from "bun:ffi";
import { readFileSync } from "node:fs";
import { ERRBUF_SIZE, errbufText, libpcap } from "./libpcap.ts";
import { CaptureError } from "./errors.ts";

export interface NetworkInterface {
  name: string;
  description: string | null;
  addresses: string[];
  up: boolean;
  loopback: boolean;
}

// pcap_if_t / pcap_addr / sockaddr layouts on 64-bit Linux (the only targets we ship).
const IF_NEXT = 0, IF_NAME = 8, IF_DESCRIPTION = 16, IF_ADDRESSES = 24, IF_FLAGS = 32;
const ADDR_NEXT = 0, ADDR_ADDR = 8;
const PCAP_IF_LOOPBACK = 1, PCAP_IF_UP = 2;
const AF_INET = 2, AF_INET6 = 10;
/** A runaway list means a layout mismatch; stop rather than walk garbage. */
const MAX_INTERFACES = 4096, MAX_ADDRESSES = 256;

export function listInterfaces(): NetworkInterface[] {
  const pcap = libpcap();
  const head = new BigUint64Array(1);
  const errbuf = Buffer.alloc(ERRBUF_SIZE);
  if (pcap.pcap_findalldevs(head, errbuf) !== 0) {
    throw new CaptureError("CAPTURE", `cannot list network interfaces: ${errbufText(errbuf)}`);
  }
  const first = Number(head[0]);
  const out: NetworkInterface[] = [];
  try {
    let dev = first;
    while (dev && out.length < MAX_INTERFACES) {
      const p = dev as Pointer;
      const flags = read.u32(p, IF_FLAGS);
      out.push({
        name: cstr(read.ptr(p, IF_NAME)) ?? "",
        description: cstr(read.ptr(p, IF_DESCRIPTION)),
        addresses: addresses(read.ptr(p, IF_ADDRESSES)),
        up: (flags & PCAP_IF_UP) !== 0,
        loopback: (flags & PCAP_IF_LOOPBACK) !== 0,
      });
      dev = read.ptr(p, IF_NEXT);
    }
  } finally {
    if (first) pcap.pcap_freealldevs(first as Pointer);
  }
  return out;
}

function cstr(p: number): string | null {
  if (!p) return null;
  let s = "";
  for (let i = 0; i < 1024; i++) {
    const c = read.u8(p as Pointer, i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function addresses(first: number): string[] {
  const out: string[] = [];
  let a = first;
  for (let i = 0; a && i < MAX_ADDRESSES; i++) {
    const sa = read.ptr(a as Pointer, ADDR_ADDR);
    if (sa) {
      const family = read.u16(sa as Pointer, 0);
      if (family === AF_INET) {
        const b = [4, 5, 6, 7].map((o) => read.u8(sa as Pointer, o));
        out.push(b.join("."));
      } else if (family === AF_INET6) {
        const words: string[] = [];
        for (let o = 8; o < 24; o += 2) words.push(((read.u8(sa as Pointer, o) << 8) | read.u8(sa as Pointer, o + 1)).toString(16));
        out.push(compressIpv6(words));
      }
    }
    a = read.ptr(a as Pointer, ADDR_NEXT);
  }
  return out;
}

/** RFC 5952 text: the longest run of zero words becomes "::". */
function compressIpv6(words: string[]): string {
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== "0") { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return words.join(":");
  return words.slice(0, best).join(":") + "::" + words.slice(best + bestLen).join(":");
}

const RTF_UP = 0x1, RTF_REJECT = 0x200;

/** The interface of the default route: IPv4 first (lowest metric), then IPv6. */
export function defaultInterface(): string | undefined {
  return defaultIpv4(readText("/proc/self/net/route")) ?? defaultIpv6(readText("/proc/self/net/ipv6_route"));
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ... (hex, host order). */
export function defaultIpv4(table: string): string | undefined {
  let best: string | undefined;
  let bestMetric = Infinity;
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = parseInt(f[3], 16);
    if (f[1] !== "00000000" || f[7] !== "00000000" || !(flags & RTF_UP) || flags & RTF_REJECT) continue;
    const metric = parseInt(f[6], 10);
    if (metric < bestMetric) { best = f[0]; bestMetric = metric; }
  }
  return best;
}

/** /proc/net/ipv6_route: dest plen src plen nexthop metric refcnt use flags iface. */
export function defaultIpv6(table: string): string | undefined {
  let best: string | undefined;
  let bestMetric = Infinity;
  for (const line of table.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const flags = parseInt(f[8], 16);
    if (!/^0{32}$/.test(f[0]) || f[1] !== "00" || f[9] === "lo" || !(flags & RTF_UP) || flags & RTF_REJECT) continue;
    const metric = parseInt(f[5], 16);
    if (metric < bestMetric) { best = f[9]; bestMetric = metric; }
  }
  return best;
}
