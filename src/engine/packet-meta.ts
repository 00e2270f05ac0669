/**
 * The PacketMeta of an observation, holding the packet's addresses and flow id as numbers and making
 * their text on first read: most observers read one or two fields, many observations none at all.
 */
import { ipv4Name, ipv6Name, macName, macNumberAt } from "../decode/addr.ts";
import type { Packet } from "../decode/packet.ts";
import type { PacketMeta } from "./events.ts";

/** Not made yet (null is a real value: no MAC / no IP). */
const UNSET = undefined;

export class LazyPacketMeta implements PacketMeta {
  readonly ts: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly ipProtocol: number;
  readonly ipVersion: 4 | 6 | 0;
  readonly ttl: number;
  readonly vlan: number;
  readonly length: number;
  readonly flowIndex: number;
  readonly fromInitiator: boolean;
  // The numbers the strings are made from, copied out of the packet: an observer may keep the meta
  // after the capture buffer is reused. MACs: 48-bit numbers, -1 none; IPv4: word 0; IPv6: words 0-3.
  private readonly srcMacN: number;
  private readonly dstMacN: number;
  private readonly s0: number; private readonly s1: number; private readonly s2: number; private readonly s3: number;
  private readonly d0: number; private readonly d1: number; private readonly d2: number; private readonly d3: number;
  private readonly flowNumber: number;
  private srcMacText: string | null | undefined = UNSET;
  private dstMacText: string | null | undefined = UNSET;
  private srcIpText: string | null | undefined = UNSET;
  private dstIpText: string | null | undefined = UNSET;
  private flowIdText: string | null | undefined = UNSET;

  /** `flowNumber`: the flow's id (-1 none); `index`: its table index (-1 none). */
  constructor(p: Packet, index: number, dir: number, flowNumber: number) {
    this.ts = p.ts;
    this.srcPort = p.srcPort;
    this.dstPort = p.dstPort;
    this.ipProtocol = p.ipProtocol;
    this.ipVersion = p.ipVersion;
    this.ttl = p.ttl;
    this.vlan = p.vlan;
    this.length = p.wireLen;
    this.flowIndex = index;
    this.fromInitiator = dir === 0;
    const srcMacOff = p.macOff >= 0 ? p.macOff + 6 : p.srcMacOff;
    this.srcMacN = srcMacOff >= 0 ? macNumberAt(p.bytes, srcMacOff) : -1;
    this.dstMacN = p.macOff >= 0 ? macNumberAt(p.bytes, p.macOff) : -1;
    if (p.ipVersion === 6) {
      const v = p.view, s = p.src6Off, d = p.dst6Off;
      this.s0 = v.getUint32(s); this.s1 = v.getUint32(s + 4); this.s2 = v.getUint32(s + 8); this.s3 = v.getUint32(s + 12);
      this.d0 = v.getUint32(d); this.d1 = v.getUint32(d + 4); this.d2 = v.getUint32(d + 8); this.d3 = v.getUint32(d + 12);
    } else {
      this.s0 = p.src4; this.d0 = p.dst4;
      this.s1 = this.s2 = this.s3 = this.d1 = this.d2 = this.d3 = 0;
    }
    this.flowNumber = flowNumber;
  }

  get srcMac(): string | null {
    if (this.srcMacText === UNSET) this.srcMacText = this.srcMacN >= 0 ? macName(this.srcMacN) : null;
    return this.srcMacText;
  }

  get dstMac(): string | null {
    if (this.dstMacText === UNSET) this.dstMacText = this.dstMacN >= 0 ? macName(this.dstMacN) : null;
    return this.dstMacText;
  }

  get srcIp(): string | null {
    if (this.srcIpText === UNSET) this.srcIpText = this.ipText(this.s0, this.s1, this.s2, this.s3);
    return this.srcIpText;
  }

  get dstIp(): string | null {
    if (this.dstIpText === UNSET) this.dstIpText = this.ipText(this.d0, this.d1, this.d2, this.d3);
    return this.dstIpText;
  }

  get flowId(): string | null {
    if (this.flowIdText === UNSET) this.flowIdText = this.flowNumber >= 0 ? String(this.flowNumber) : null;
    return this.flowIdText;
  }

  private ipText(w0: number, w1: number, w2: number, w3: number): string | null {
    if (this.ipVersion === 4) return ipv4Name(w0);
    if (this.ipVersion === 6) return ipv6Name(w0, w1, w2, w3);
    return null;
  }

  /** The plain fields, as the eager meta had them (JSON, test equality, logging). */
  toJSON(): PacketMeta {
    return {
      ts: this.ts, srcMac: this.srcMac, dstMac: this.dstMac, srcIp: this.srcIp, dstIp: this.dstIp,
      srcPort: this.srcPort, dstPort: this.dstPort, ipProtocol: this.ipProtocol, ipVersion: this.ipVersion,
      ttl: this.ttl, vlan: this.vlan, length: this.length, flowId: this.flowId, flowIndex: this.flowIndex,
      fromInitiator: this.fromInitiator,
    };
  }
}
