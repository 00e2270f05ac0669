/**
 * The fuzz seed set: every self-made application payload inside every link/network wrapper, plain
 * L2-L4 frames (ARP, ICMP, TCP SYN with options, later fragments, GRE bridging), and frames from
 * the corpus when it is present. Each seed knows its length fields and where its payload starts.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { openOffline } from "../../src/capture/offline.ts";
import { decodeFrame, isSupportedLinkType, linkDecoder } from "../../src/decode/linktype.ts";
import { Packet } from "../../src/decode/packet.ts";
import { ACK, arp, concat, ethernet, icmp, ipv4, ipv6, PSH, SYN, tcp, udp } from "../../src/decode/testing/frames.ts";
import type { LengthField } from "./builder.ts";
import { MACS, V4_HOSTS, V4_WRAPPERS, V6_HOSTS, V6_WRAPPERS, type Endpoints, type Wrapped, type Wrapper } from "./links.ts";
import { appPayloads, sealQuicInitial, type AppPayload } from "./payloads.ts";

export interface Seed {
  name: string;
  linkType: number;
  frame: Uint8Array;
  /** Length/count fields of `frame` (L3, L4 and, for self-made seeds, the application's). */
  fields: LengthField[];
  /** Where the application payload starts in `frame`, -1 when there is none. */
  payloadOff: number;
  /** Offset of a DNS-framed message (DNS, mDNS, LLMNR, NBNS) in `frame`, -1 otherwise. */
  dnsAt: number;
  /** The self-made payload, when the seed is one: the fuzzer may mutate it and rebuild the frames. */
  app?: AppPayload;
  /** Frames carrying `appBytes` with a fresh client port; the last one carries the payload. */
  rebuild?: (appBytes: Uint8Array, clientPort: number) => Wrapped[];
}

const DNS_PORTS = new Set([53, 5353, 5355, 137]);

/** The bytes a payload has on the wire (a QUIC Initial is sealed around its plaintext frames). */
export function wireBytes(app: AppPayload, bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return (app.kind === "quic" ? sealQuicInitial(bytes) : bytes) as Uint8Array<ArrayBuffer>;
}

function transportSegment(app: AppPayload, bytes: Uint8Array, sport: number, dport: number): [number, Uint8Array] {
  const wire = wireBytes(app, bytes);
  if (app.transport === "udp") return [17, udp({ sport, dport }, wire)];
  if (app.transport === "tcp") return [6, tcp({ sport, dport, flags: PSH | ACK, seq: 1000, ack: 2000 }, wire)];
  return [58, wire];
}

function buildFrames(app: AppPayload, wrap: Wrapper, v6: boolean, bytes: Uint8Array, clientPort: number): Wrapped[] {
  const hosts = v6 ? V6_HOSTS : V4_HOSTS;
  const ephemeral = (p: number) => (p >= 40000 ? clientPort : p);
  const sport = ephemeral(app.sport), dport = ephemeral(app.dport);
  // A server speaking first (HTTP response, ServerHello) is a reply: open the flow from the client.
  const fromServer = app.transport === "tcp" && sport < dport;
  const client: Endpoints = { src: hosts.client, dst: hosts.server, srcMac: MACS.client, dstMac: MACS.server };
  const server: Endpoints = { src: hosts.server, dst: hosts.client, srcMac: MACS.server, dstMac: MACS.client };
  const [proto, l4] = transportSegment(app, bytes, sport, dport);
  const out: Wrapped[] = [];
  if (fromServer) out.push(wrap(6, tcp({ sport: dport, dport: sport, flags: SYN }), client));
  out.push(wrap(proto, l4, fromServer ? server : client));
  return out;
}

/** L3/L4 length fields, payload offset and DNS offset of a frame, found by decoding it. */
export function frameInfo(linkType: number, frame: Uint8Array): Pick<Seed, "fields" | "payloadOff" | "dnsAt"> {
  const p = new Packet();
  p.reset(frame, new DataView(frame.buffer, frame.byteOffset, frame.byteLength), 0, frame.length, 0, frame.length);
  if (isSupportedLinkType(linkType)) decodeFrame(p, linkDecoder(linkType));
  const fields: LengthField[] = [];
  if (p.ipVersion === 4) {
    fields.push({ off: p.l3Off + 2, size: 2, what: "ipv4 total length" }, { off: p.l3Off, size: 1, mask: 0x0f, what: "ipv4 ihl" });
  } else if (p.ipVersion === 6) {
    fields.push({ off: p.l3Off + 4, size: 2, what: "ipv6 payload length" });
  }
  if (p.l4Off >= 0 && p.ipProtocol === 17) fields.push({ off: p.l4Off + 4, size: 2, what: "udp length" });
  if (p.l4Off >= 0 && p.ipProtocol === 6) fields.push({ off: p.l4Off + 12, size: 1, mask: 0xf0, what: "tcp data offset" });
  const payloadOff = p.payloadLength > 0 ? p.payloadOff : p.ipProtocol === 58 && p.l4Off >= 0 ? p.l4Off : -1;
  const dnsAt = payloadOff >= 0 && p.ipProtocol === 17 && (DNS_PORTS.has(p.srcPort) || DNS_PORTS.has(p.dstPort)) ? payloadOff : -1;
  return { fields: fields.filter((f) => f.off >= 0 && f.off + f.size <= frame.length), payloadOff, dnsAt };
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function appSeed(app: AppPayload, wrapperName: string, wrap: Wrapper, v6: boolean): Seed {
  const rebuild = (bytes: Uint8Array, port: number) => buildFrames(app, wrap, v6, bytes, port);
  const frames = rebuild(app.bytes, 40000);
  const { linkType, frame } = frames[frames.length - 1];
  const info = frameInfo(linkType, frame);
  const at = app.kind === "quic" ? -1 : indexOf(frame, app.bytes);
  const fields = [...info.fields, ...(at < 0 ? [] : app.fields.map((f) => ({ ...f, off: f.off + at })))];
  const dnsAt = at >= 0 && (app.kind === "dns" || app.kind === "netbios") ? at : at >= 0 && app.kind === "dnsTcp" ? at + 2 : -1;
  return { name: `${app.name}/${v6 ? "v6" : "v4"}-${wrapperName}`, linkType, frame, fields, payloadOff: info.payloadOff, dnsAt, app, rebuild };
}

function plainSeed(name: string, linkType: number, frame: Uint8Array): Seed {
  return { name, linkType, frame, ...frameInfo(linkType, frame) };
}

/** TCP SYN options as a Linux client sends them (MSS, SACK-permitted, timestamps, NOP, window scale). */
const SYN_OPTIONS = Uint8Array.of(2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7);

function l2l4Seeds(): Seed[] {
  const e4 = (payload: Uint8Array, type = 0x0800) => ethernet({ src: MACS.client, dst: MACS.server, type }, payload);
  const c4 = V4_HOSTS.client, s4 = V4_HOSTS.server, c6 = V6_HOSTS.client, s6 = V6_HOSTS.server;
  return [
    plainSeed("arp-request", 1, e4(arp({ op: 1, senderMac: MACS.client, senderIp: c4, targetIp: "192.168.1.1" }), 0x0806)),
    plainSeed("arp-reply", 1, e4(arp({ op: 2, senderMac: MACS.server, senderIp: "192.168.1.1", targetMac: MACS.client, targetIp: c4 }), 0x0806)),
    plainSeed("icmp-echo", 1, e4(ipv4({ src: c4, dst: s4, proto: 1 }, icmp({ type: 8, rest: 0x00010001 }, new Uint8Array(32))))),
    plainSeed("icmp-unreachable", 1, e4(ipv4({ src: s4, dst: c4, proto: 1 }, icmp({ type: 3, code: 3 }, <Uint8Array<ArrayBuffer>>ipv4({ src: c4, dst: s4, proto: 17 }, udp({ sport: 5000, dport: 53 })))))),
    plainSeed("icmpv6-echo", 1, e4(ipv6({ src: c6, dst: s6, next: 58 }, icmp({ type: 128 }, new Uint8Array(16))), 0x86dd)),
    plainSeed("tcp-syn-options-v4", 1, e4(ipv4({ src: c4, dst: s4, proto: 6, df: true }, tcp({ sport: 41000, dport: 443, flags: SYN, options: SYN_OPTIONS })))),
    plainSeed("tcp-syn-options-v6", 1, e4(ipv6({ src: c6, dst: s6, next: 6 }, tcp({ sport: 41001, dport: 22, flags: SYN, options: SYN_OPTIONS })), 0x86dd)),
    plainSeed("ipv4-later-fragment", 1, e4(ipv4({ src: c4, dst: s4, proto: 17, id: 77, fragOffset: 1480 }, new Uint8Array(64).fill(0x41)))),
    plainSeed("ipv6-later-fragment", 1, e4(ipv6({ src: c6, dst: s6, next: 44 }, concat(Uint8Array.of(17, 0, 0x05, 0xc8, 0, 0, 0x12, 0x34), new Uint8Array(40))), 0x86dd)),
    plainSeed("gre-bridged-ethernet", 1, e4(ipv4({ src: "203.0.113.1", dst: "203.0.113.2", proto: 47 }, concat(Uint8Array.of(0, 0, 0x65, 0x58), e4(ipv4({ src: c4, dst: s4, proto: 6 }, tcp({ sport: 41002, dport: 80, flags: SYN }))))))),
    plainSeed("lldp", 1, e4(Uint8Array.of(2, 7, 4, 0xa4, 0x83, 0xe7, 1, 2, 3, 4, 7, 3, 0x65, 0x74, 0x68, 0x30, 6, 2, 0, 120, 0, 0), 0x88cc)),
  ];
}

/** Every self-made seed: each payload in each wrapper of its address families, plus L2-L4 frames. */
export function selfMadeSeeds(): Seed[] {
  const seeds: Seed[] = [];
  for (const app of appPayloads()) {
    if (app.transport !== "icmp6") for (const [name, wrap] of Object.entries(V4_WRAPPERS)) seeds.push(appSeed(app, name, wrap, false));
    for (const [name, wrap] of Object.entries(V6_WRAPPERS)) seeds.push(appSeed(app, name, wrap, true));
  }
  return [...seeds, ...l2l4Seeds()];
}

/** Capture files under a folder (recursively), smallest first. */
export function captureFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap)$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => statSync(a).size - statSync(b).size);
}

/**
 * Up to `perFile` frames from each corpus capture: the first ones and then every k-th, so each file
 * gives its handshakes and a spread of the rest. Damaged files give what they give before the damage.
 */
export async function corpusSeeds(dir: string, perFile: number): Promise<Seed[]> {
  const seeds: Seed[] = [];
  for (const path of captureFiles(dir)) {
    let source;
    try {
      source = await openOffline(path);
    } catch {
      continue;
    }
    // An unsupported link type is refused once per capture (UnsupportedLinkTypeError), by design.
    if (!isSupportedLinkType(source.linkType)) {
      source.close();
      continue;
    }
    const frames: Uint8Array[] = [];
    let n = 0;
    try {
      for (let batch = source.next(); batch && frames.length < perFile * 8; batch = source.next()) {
        let off = 0;
        for (let i = 0; i < batch.count; i++, n++) {
          const caplen = batch.view.getUint32(off + 8, true);
          if (n < perFile / 2 || n % 7 === 0) frames.push(batch.bytes.slice(off + 16, off + 16 + caplen));
          off += (16 + caplen + 7) & ~7;
        }
      }
    } catch {
      // damaged file: keep what was read
    } finally {
      source.close();
    }
    const step = Math.max(1, Math.floor(frames.length / perFile));
    const rel = path.slice(dir.length + 1);
    for (let i = 0, k = 0; i < frames.length && k < perFile; i += step, k++) {
      seeds.push({ name: `${rel}#${i}`, linkType: source.linkType, frame: frames[i], ...frameInfo(source.linkType, frames[i]) });
    }
  }
  return seeds;
}
