/**
 * Which application decoder sees which packet: message protocols (DNS, DHCP, mDNS, ...) by port
 * on every packet; stream protocols (TLS, HTTP, SSH, QUIC, logins) by payload sniffing on the
 * first few payload packets of each flow only (nDPI's approach), so long transfers cost nothing.
 */
import { arpMessage } from "../decode/arp.ts";
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, TCP_SYN, type Packet } from "../decode/packet.ts";
import { tcpSynTraits } from "../decode/tcp.ts";
import type { FlowTable } from "../flows/table.ts";
import { BY_PAYLOAD } from "../flows/labels.ts";
import type { Observation, ObservationKind, PacketMeta } from "./events.ts";
import { MESSAGE_PORT_FLAGS, MESSAGE_PORTS, STREAM_SNIFFERS, type Assembler, type Sniffer } from "./registry.ts";
import { decodeNdp } from "../decode/ndp.ts";
import { LazyPacketMeta } from "./packet-meta.ts";
import { identifyService } from "../decode/service.ts";

/** Payload packets per flow handed to the stream sniffers and the service identifier. */
export const MAX_INSPECTED_PACKETS = 8;

/** A message being joined across packets of one flow and direction. */
interface Pending {
  sniffer: Sniffer;
  dir: number;
  assembler: Assembler;
}

export class Dispatcher {
  /** The meta of the packet being dispatched, one object reused from packet to packet (filled on its first observation). */
  private readonly meta = new LazyPacketMeta();
  private metaFilled = false;
  /** The observation being handed out, reused from one to the next (see send). */
  private readonly observation: { kind: ObservationKind; meta: PacketMeta; msg: unknown } = { kind: "arp", meta: this.meta, msg: undefined };
  /** Per flow index: messages being joined (only for flows that are in the middle of one). */
  private readonly pending = new Map<number, Pending[]>();

  constructor(
    private readonly flows: FlowTable,
    private readonly emit: (o: Observation) => void,
    private readonly wants: (k: ObservationKind) => boolean,
  ) {}

  arp(p: Packet): void {
    this.metaFilled = false;
    if (!this.wants("arp")) return;
    const msg = arpMessage(p);
    if (msg) this.send("arp", this.metaOf(p, -1, 0), msg);
  }

  packet(p: Packet, index: number, dir: number, isNew: boolean): void {
    this.metaFilled = false;
    if (isNew && this.pending.size > 0) this.pending.delete(index);
    const proto = p.ipProtocol;
    if (proto === IPPROTO_TCP) {
      if ((p.tcpFlags & TCP_SYN) !== 0 && this.wants("tcpSyn")) {
        const msg = tcpSynTraits(p);
        if (msg) this.send("tcpSyn", this.metaOf(p, index, dir), msg);
      }
    } else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
      this.icmp(p, index, dir);
      return;
    }
    if (p.payloadLength <= 0) return;
    if (proto === IPPROTO_UDP || proto === IPPROTO_TCP) {
      const udp = proto === IPPROTO_UDP;
      const flags = udp ? MESSAGE_PORT_FLAGS.udp : MESSAGE_PORT_FLAGS.tcp;
      const port = flags[p.dstPort] ? p.dstPort : flags[p.srcPort] ? p.srcPort : -1;
      const byPort = port < 0 ? undefined : (udp ? MESSAGE_PORTS.udp : MESSAGE_PORTS.tcp).get(port);
      if (byPort && this.wants(byPort.kind)) {
        if (byPort.one !== undefined) {
          const msg = byPort.one(p.bytes, p.payloadOff, p.payloadLength);
          if (msg !== undefined) this.send(byPort.kind, this.metaOf(p, index, dir), msg);
        } else {
          for (const msg of byPort.many!(p.bytes, p.payloadOff, p.payloadLength, p)) {
            this.send(byPort.kind, this.metaOf(p, index, dir), msg);
          }
        }
      }
      const seen = this.flows.inspectedOf(index);
      if (seen < MAX_INSPECTED_PACKETS) {
        this.flows.setInspected(index, seen + 1);
        this.inspect(p, index, dir, udp ? STREAM_SNIFFERS.udp : STREAM_SNIFFERS.tcp);
        if (seen + 1 === MAX_INSPECTED_PACKETS) this.pending.delete(index);
      }
    }
  }

  private inspect(p: Packet, index: number, dir: number, sniffers: readonly Sniffer[]): void {
    const labels = this.flows.labels;
    if (labels.serviceByOf(index) !== BY_PAYLOAD) {
      const guess = identifyService(p.bytes, p.payloadOff, p.payloadLength, p.ipProtocol, p.srcPort, p.dstPort);
      if (guess && (guess.by === "payload" || labels.idOf(index, "service") === 0)) labels.setService(index, guess.service, guess.by);
    }
    // Continue messages that began in an earlier packet of this direction.
    const pending = this.pending.get(index);
    if (pending) {
      for (const job of pending) {
        if (job.dir !== dir || job.assembler.done) continue;
        this.report(job.sniffer, job.assembler.push(p.bytes, p.payloadOff, p.payloadLength), p, index, dir);
      }
    }
    for (const s of sniffers) {
      // Cheapest test first: most payload packets match no sniffer's first bytes.
      if ((s.direction !== undefined && s.direction !== dir) || !s.match(p.bytes, p.payloadOff, p.payloadLength, p)) continue;
      if (!this.wants(s.kind)) continue;
      if (pending !== undefined && joining(pending, s, dir)) continue;
      if (!s.assembler || s.whole?.(p.bytes, p.payloadOff, p.payloadLength)) {
        this.report(s, s.decode(p.bytes, p.payloadOff, p.payloadLength, p), p, index, dir);
        continue;
      }
      const assembler = s.assembler();
      const msg = assembler.push(p.bytes, p.payloadOff, p.payloadLength);
      this.report(s, msg, p, index, dir);
      if (!assembler.done) {
        const jobs = this.pending.get(index) ?? [];
        jobs.push({ sniffer: s, dir, assembler });
        this.pending.set(index, jobs.filter((j) => !j.assembler.done));
      }
    }
  }

  private report(s: Sniffer, msg: unknown, p: Packet, index: number, dir: number): void {
    if (msg) this.send(s.kind, this.metaOf(p, index, dir), msg);
  }

  private icmp(p: Packet, index: number, dir: number): void {
    const v6 = p.ipProtocol === IPPROTO_ICMPV6;
    if (v6 && p.icmpType >= 133 && p.icmpType <= 137) {
      if (!this.wants("ndp")) return;
      const msg = decodeNdp(p.bytes, p.l4Off, p.end - p.l4Off);
      if (msg) this.send("ndp", this.metaOf(p, index, dir), msg);
      return;
    }
    if (p.icmpType >= 0 && this.wants("icmp")) {
      this.send("icmp", this.metaOf(p, index, dir), icmpMessage(p.icmpType, p.icmpCode, v6));
    }
  }

  /**
   * Hands one observation to the analyzers in the one reused object (no object per observation):
   * like its meta, it is valid during the observe call only (an analyzer keeps fields, never it).
   */
  private send(kind: ObservationKind, meta: PacketMeta, msg: unknown): void {
    const o = this.observation;
    o.kind = kind;
    o.meta = meta;
    o.msg = msg;
    this.emit(o as Observation);
    // Not kept alive by the next observation's wait (a decoded message is garbage once observed).
    o.msg = undefined;
  }

  /** PacketMeta for the current packet, made once however many observations it yields (its strings on first read). */
  private metaOf(p: Packet, index: number, dir: number): PacketMeta {
    if (!this.metaFilled) {
      this.meta.fill(p, index, dir, index >= 0 ? this.flows.ids[index] : -1);
      this.metaFilled = true;
    }
    return this.meta;
  }
}

/**
 * Whether `s` is already joining a message in direction `dir`. A loop, not `pending.some(j => ...)`:
 * a closure over `s` and `dir` made JavaScriptCore allocate a scope per sniffer tried on every
 * inspected packet (~1.7 per packet of the bench capture, garbage even with no analyzer).
 */
function joining(pending: readonly Pending[], s: Sniffer, dir: number): boolean {
  for (let i = 0; i < pending.length; i++) {
    const j = pending[i];
    if (j.sniffer === s && j.dir === dir && !j.assembler.done) return true;
  }
  return false;
}

type IcmpMessage = { readonly type: number; readonly code: number; readonly v6: boolean };
/** One frozen message per (version, type, code), shared by every ICMP observation (pings come by the thousand). */
const icmpMessages = new Map<number, IcmpMessage>();

function icmpMessage(type: number, code: number, v6: boolean): IcmpMessage {
  const key = (v6 ? 0x10000 : 0) | (type << 8) | code;
  let msg = icmpMessages.get(key);
  if (msg === undefined) icmpMessages.set(key, (msg = Object.freeze({ type, code, v6 })));
  return msg;
}
