/**
 * Where each packet record of a pcap or pcapng file ends, read independently of libpcap: a file cut
 * at byte N must yield exactly the packets whose records end at or before N.
 */

export interface RecordEnd {
  /** File offset just past the record (block). */
  end: number;
  /** Original (wire) length of the packet. */
  origLen: number;
}

const PCAP_MAGICS = new Map<number, boolean>([
  [0xa1b2c3d4, true], [0xa1b23c4d, true], // little-endian on disk (read LE): us / ns
  [0xd4c3b2a1, false], [0x4d3cb2a1, false],
]);
const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const EPB = 6, SPB = 3, OBSOLETE_PB = 2;

/** Record ends of a whole capture, or null when the format is not pcap/pcapng. */
export function recordEnds(file: Uint8Array): RecordEnd[] | null {
  if (file.length < 24) return null;
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicLe = v.getUint32(0, true);
  if (PCAP_MAGICS.has(magicLe)) return pcapRecords(v, PCAP_MAGICS.get(magicLe)!);
  if (magicLe === PCAPNG_SHB) return pcapngRecords(v);
  return null;
}

function pcapRecords(v: DataView, le: boolean): RecordEnd[] {
  const out: RecordEnd[] = [];
  for (let off = 24; off + 16 <= v.byteLength; ) {
    const caplen = v.getUint32(off + 8, le);
    const end = off + 16 + caplen;
    if (end > v.byteLength) break;
    out.push({ end, origLen: v.getUint32(off + 12, le) });
    off = end;
  }
  return out;
}

function pcapngRecords(v: DataView): RecordEnd[] {
  const out: RecordEnd[] = [];
  let le = true;
  for (let off = 0; off + 12 <= v.byteLength; ) {
    let type = v.getUint32(off, le);
    if (type === PCAPNG_SHB) {
      le = v.getUint32(off + 8, true) === BYTE_ORDER_MAGIC;
      type = PCAPNG_SHB;
    }
    const len = v.getUint32(off + 4, le);
    if (len < 12 || off + len > v.byteLength) break;
    if (type === EPB || type === OBSOLETE_PB) out.push({ end: off + len, origLen: v.getUint32(off + 24, le) });
    else if (type === SPB) out.push({ end: off + len, origLen: v.getUint32(off + 8, le) });
    off += len;
  }
  return out;
}
