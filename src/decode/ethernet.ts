/** Ethernet II with 802.1Q / 802.1ad (QinQ) tags; 802.3 LLC frames carry no IP and stop here. */
import { DecodeError, type Packet } from "./packet.ts";
import { decodeEtherPayload, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_VLAN } from "./ethertype.ts";

/** Stacked VLAN tags beyond this are treated as damage (Zeek's vlan-qinqinq has three). */
export const MAX_VLAN_TAGS = 4;

export function decodeEthernet(p: Packet, off: number): void {
  if (p.end - off < 14) {
    p.error = DecodeError.Truncated;
    return;
  }
  p.macOff = off;
  let type = p.view.getUint16(off + 12);
  off += 14;
  for (let tags = 0; type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD; tags++) {
    if (tags === MAX_VLAN_TAGS || p.end - off < 4) {
      p.error = tags === MAX_VLAN_TAGS ? DecodeError.BadHeader : DecodeError.Truncated;
      return;
    }
    const id = p.view.getUint16(off) & 0x0fff;
    if (tags === 0) p.vlan = id;
    else if (tags === 1) p.innerVlan = id;
    type = p.view.getUint16(off + 2);
    off += 4;
  }
  if (type < 0x0600) return; // 802.3 length field: LLC/SNAP (STP, CDP, ...), not IP
  decodeEtherPayload(p, type, off);
}
