/** Builds real frames (Ethernet, IPv4/IPv6, TCP/UDP/ICMP, ARP) for tests and synthetic captures. */
import { concatBytes } from "../../util/bytes.ts";
export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

export function mac(s: string): Uint8Array {
  return Uint8Array.from(s.split(":"), (h) => parseInt(h, 16));
}

export function ip4(s: string): Uint8Array {
  return Uint8Array.from(s.split("."), Number);
}

export function ip6(s: string): Uint8Array {
  const [head, tail] = s.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function u16(v: number): Uint8Array {
  return Uint8Array.of(v >> 8, v & 0xff);
}
function u32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

export function ethernet(o: { src?: string; dst?: string; type: number; vlans?: number[] }, payload: Uint8Array): Uint8Array {
  const tags = (o.vlans ?? []).map((id, i, all) => concat(u16(i === 0 && all.length > 1 ? 0x88a8 : 0x8100), u16(id)));
  return concat(mac(o.dst ?? "ff:ff:ff:ff:ff:ff"), mac(o.src ?? "02:00:00:00:00:01"), ...tags, u16(o.type), payload);
}

export function ipv4(o: { src: string; dst: string; proto: number; ttl?: number; id?: number; df?: boolean; mf?: boolean; fragOffset?: number }, payload: Uint8Array): Uint8Array {
  const flags = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3);
  return concat(
    Uint8Array.of(0x45, 0), u16(20 + payload.length), u16(o.id ?? 1), u16(flags),
    Uint8Array.of(o.ttl ?? 64, o.proto), u16(0), ip4(o.src), ip4(o.dst), payload,
  );
}

export function ipv6(o: { src: string; dst: string; next: number; hopLimit?: number }, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x60, 0, 0, 0), u16(payload.length), Uint8Array.of(o.next, o.hopLimit ?? 64), ip6(o.src), ip6(o.dst), payload);
}

export function tcp(o: { sport: number; dport: number; flags: number; seq?: number; ack?: number; window?: number; options?: Uint8Array }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const hl = 20 + opts.length;
  return concat(
    u16(o.sport), u16(o.dport), u32(o.seq ?? 1), u32(o.ack ?? 0), Uint8Array.of((hl / 4) << 4, o.flags),
    u16(o.window ?? 65535), u16(0), u16(0), opts, payload,
  );
}

export function udp(o: { sport: number; dport: number }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(u16(o.sport), u16(o.dport), u16(8 + payload.length), u16(0), payload);
}

export function icmp(o: { type: number; code?: number; rest?: number }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(Uint8Array.of(o.type, o.code ?? 0), u16(0), u32(o.rest ?? 0), payload);
}

export function arp(o: { op: number; senderMac: string; senderIp: string; targetMac?: string; targetIp: string }): Uint8Array {
  return concat(u16(1), u16(0x0800), Uint8Array.of(6, 4), u16(o.op), mac(o.senderMac), ip4(o.senderIp), mac(o.targetMac ?? "00:00:00:00:00:00"), ip4(o.targetIp));
}

export const SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04, PSH = 0x08;
