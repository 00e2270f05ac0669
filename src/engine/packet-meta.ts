/**
 * The PacketMeta of an observation, holding the packet's addresses and flow id as numbers and making
 * their text on first read: most observers read one or two fields, many observations none at all.
 * The dispatcher fills one meta per packet and reuses it for the next (no object per observed packet).
 */
import { ipv4Name, ipv6Name, macName, macNumberAt } from "../decode/addr.ts";
import { Packet } from "../decode/packet.ts";
import type { PacketMeta } from "./events.ts";

/** Not made yet (null is a real value: no MAC / no IP). */
const UNSET = undefined;
/** A packet with nothing decoded, for a meta not yet filled. */
const NO_PACKET = new Packet();

export class LazyPacketMeta implements PacketMeta {
  // Fields are declared (no class-field initializers: each would define the field before fill()
  // sets it again) and all set in fill(), so the meta keeps one shape.
  declare ts: number;
  declare srcPort: number;
  declare dstPort: number;
  declare ipProtocol: number;
  declare ipVersion: 4 | 6 | 0;
  declare ttl: number;
  declare vlan: number;
  declare length: number;
  declare flowIndex: number;
  declare fromInitiator: boolean;
  // The numbers the strings are made from, copied out of the packet (the meta holds no reference to
  // the packet or its buffer). MACs: 48-bit numbers, -1 none; IPv4: the address; IPv6: the two
  // addresses' words (source 0-3, destination 4-7), in one array kept for the meta's life.
  declare srcMacNumber: number;
  declare private dstMacN: number;
  declare private src4: number;
  declare private dst4: number;
  declare private s6a: number;
  declare private s6b: number;
  declare private s6c: number;
  declare private s6d: number;
  declare private d6a: number;
  declare private d6b: number;
  declare private d6c: number;
  declare private d6d: number;
  declare flowNumber: number;
  declare private srcMacText: string | null | undefined;
  declare private dstMacText: string | null | undefined;
  declare private srcIpText: string | null | undefined;
  declare private dstIpText: string | null | undefined;
  declare private flowIdText: string | null | undefined;

  constructor() {
    this.fill(NO_PACKET, -1, 0, -1);
  }

  /**
   * Makes this the meta of packet `p` (the engine reuses one meta from packet to packet: an observer
   * copies the fields it keeps). `flowNumber`: the flow's id (-1 none); `index`: its table index (-1 none).
   */
  fill(p: Packet, index: number, dir: number, flowNumber: number): this {
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
    this.srcMacNumber = srcMacOff >= 0 ? macNumberAt(p.bytes, srcMacOff) : -1;
    this.dstMacN = p.macOff >= 0 ? macNumberAt(p.bytes, p.macOff) : -1;
    this.src4 = p.src4;
    this.dst4 = p.dst4;
    this.flowNumber = flowNumber;
    this.srcMacText = UNSET;
    this.dstMacText = UNSET;
    this.flowIdText = UNSET;
    if (p.ipVersion === 6) {
      const v = p.view, s = p.src6Off, d = p.dst6Off;
      this.s6a = v.getUint32(s);
      this.s6b = v.getUint32(s + 4);
      this.s6c = v.getUint32(s + 8);
      this.s6d = v.getUint32(s + 12);
      this.d6a = v.getUint32(d);
      this.d6b = v.getUint32(d + 4);
      this.d6c = v.getUint32(d + 8);
      this.d6d = v.getUint32(d + 12);
    } else {
      this.s6a = this.s6b = this.s6c = this.s6d = 0;
      this.d6a = this.d6b = this.d6c = this.d6d = 0;
    }
    this.srcIpText = p.ipVersion === 0 ? null : UNSET;
    this.dstIpText = p.ipVersion === 0 ? null : UNSET;
    return this;
  }

  get srcMac(): string | null {
    if (this.srcMacText === UNSET) this.srcMacText = this.srcMacNumber >= 0 ? macName(this.srcMacNumber) : null;
    return this.srcMacText;
  }

  get dstMac(): string | null {
    if (this.dstMacText === UNSET) this.dstMacText = this.dstMacN >= 0 ? macName(this.dstMacN) : null;
    return this.dstMacText;
  }

  get srcIp4(): number {
    return this.ipVersion === 4 ? this.src4 : -1;
  }

  get dstIp4(): number {
    return this.ipVersion === 4 ? this.dst4 : -1;
  }

  /** Word `i` (0-3) of the source IPv6 address (0 when not IPv6): observers test it by numbers, no text made. */
  srcIp6Word(i: 0 | 1 | 2 | 3): number {
    return i === 0 ? this.s6a : i === 1 ? this.s6b : i === 2 ? this.s6c : this.s6d;
  }

  get srcIp(): string | null {
    if (this.srcIpText === UNSET) {
      this.srcIpText = this.ipVersion === 6 ? ipv6Name(this.s6a, this.s6b, this.s6c, this.s6d) : ipv4Name(this.src4);
    }
    return this.srcIpText;
  }

  get dstIp(): string | null {
    if (this.dstIpText === UNSET) {
      this.dstIpText = this.ipVersion === 6 ? ipv6Name(this.d6a, this.d6b, this.d6c, this.d6d) : ipv4Name(this.dst4);
    }
    return this.dstIpText;
  }

  get flowId(): string | null {
    if (this.flowIdText === UNSET) this.flowIdText = this.flowNumber >= 0 ? String(this.flowNumber) : null;
    return this.flowIdText;
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
