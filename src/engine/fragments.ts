/**
 * IP fragments: the first fragment carries the ports; later fragments have none, so their ports
 * are remembered by (addresses, protocol, fragment id) and the fragments join the same flow.
 */
import type { Packet } from "../decode/packet.ts";
import { BoundedMap } from "../util/ordered-map.ts";

/** Fragment trains remembered at once; the oldest is forgotten first. */
export const MAX_FRAGMENT_TRAINS = 4096;

export class FragmentTracker {
  private readonly ports = new BoundedMap<string, number>(MAX_FRAGMENT_TRAINS);

  apply(p: Packet): void {
    const key = this.key(p);
    if (p.fragOffset === 0) {
      if (p.l4Off < 0) return;
      this.ports.set(key, (p.srcPort << 16) | p.dstPort);
      return;
    }
    const ports = this.ports.get(key);
    if (ports === undefined) return;
    p.srcPort = ports >>> 16;
    p.dstPort = ports & 0xffff;
    if (!p.moreFragments) this.ports.delete(key);
  }

  private key(p: Packet): string {
    if (p.ipVersion === 4) return `${p.src4}>${p.dst4}/${p.ipProtocol}#${p.fragId}`;
    const v = p.view;
    let k = "";
    for (let i = 0; i < 16; i += 4) k += v.getUint32(p.src6Off + i).toString(36) + ".";
    for (let i = 0; i < 16; i += 4) k += v.getUint32(p.dst6Off + i).toString(36) + ".";
    return `${k}/${p.ipProtocol}#${p.fragId}`;
  }
}
