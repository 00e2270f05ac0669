/** 802.11 data frames behind a radiotap header (DLT 127): LLC/SNAP gives the EtherType. */
import { DecodeError, type Packet } from "./packet.ts";
import { decodeEtherPayload } from "./ethertype.ts";

export function decodeRadiotap(p: Packet, off: number): void {
  if (p.end - off < 8) {
    p.error = DecodeError.Truncated;
    return;
  }
  decodeIeee80211(p, off + p.view.getUint16(off + 2, true));
}

export function decodeIeee80211(p: Packet, off: number): void {
  if (p.end - off < 24) {
    p.error = DecodeError.Truncated;
    return;
  }
  const fc = p.bytes[off];
  const flags = p.bytes[off + 1];
  if (((fc >> 2) & 0x3) !== 2) return; // management / control frames carry no IP
  if (flags & 0x40) return; // protected: encrypted payload
  const toDs = (flags & 0x01) !== 0, fromDs = (flags & 0x02) !== 0;
  let hdr = 24;
  if (toDs && fromDs) hdr += 6;
  if (fc & 0x80) hdr += 2; // QoS data
  // Source address: addr2 unless from the distribution system (then addr3).
  p.srcMacOff = off + (fromDs && !toDs ? 16 : 10);
  const llc = off + hdr;
  if (p.end - llc < 8) return;
  if (p.bytes[llc] !== 0xaa || p.bytes[llc + 1] !== 0xaa || p.bytes[llc + 2] !== 0x03) return;
  decodeEtherPayload(p, p.view.getUint16(llc + 6), llc + 8);
}
