/**
 * Writes classic pcap files (microsecond, little-endian) with Bun's file writer: the benchmark's
 * generator and the tests make their captures with it, and it can save a live capture.
 */
import type { FileSink } from "bun";

export const PCAP_MAGIC = 0xa1b2c3d4;
export const PCAP_HEADER = 24;
export const PCAP_RECORD_HEADER = 16;

/** The 24-byte global header. */
export function pcapHeader(linkType: number, snaplen = 262144): Uint8Array {
  const h = new Uint8Array(PCAP_HEADER);
  const v = new DataView(h.buffer);
  v.setUint32(0, PCAP_MAGIC, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linkType, true);
  return h;
}

/** A whole capture in memory (small test fixtures). */
export function pcapBytes(linkType: number, packets: { ts: number; data: Uint8Array }[]): Uint8Array {
  const size = PCAP_HEADER + packets.reduce((n, p) => n + PCAP_RECORD_HEADER + p.data.length, 0);
  const out = new Uint8Array(size);
  out.set(pcapHeader(linkType), 0);
  const v = new DataView(out.buffer);
  let off = PCAP_HEADER;
  for (const p of packets) {
    writeRecordHeader(v, off, p.ts, p.data.length, p.data.length);
    out.set(p.data, off + PCAP_RECORD_HEADER);
    off += PCAP_RECORD_HEADER + p.data.length;
  }
  return out;
}

function writeRecordHeader(v: DataView, off: number, ts: number, caplen: number, origlen: number): void {
  const sec = Math.floor(ts);
  v.setUint32(off, sec, true);
  v.setUint32(off + 4, Math.round((ts - sec) * 1e6) % 1e6, true);
  v.setUint32(off + 8, caplen, true);
  v.setUint32(off + 12, origlen, true);
}

/** Streams packets to a file through one reusable staging buffer, written out 1 MB at a time. */
export class PcapWriter {
  #sink: FileSink;
  #buf = new Uint8Array(1 << 20);
  #view = new DataView(this.#buf.buffer);
  #used = 0;
  packets = 0;

  constructor(path: string, linkType: number, snaplen = 262144) {
    this.#sink = Bun.file(path).writer({ highWaterMark: 1 << 20 });
    this.#sink.write(pcapHeader(linkType, snaplen));
  }

  /** Appends one packet: `data[0, length)`. */
  write(ts: number, data: Uint8Array, length = data.length): void {
    if (this.#used + PCAP_RECORD_HEADER + length > this.#buf.length) this.#flush();
    writeRecordHeader(this.#view, this.#used, ts, length, length);
    this.#buf.set(length === data.length ? data : data.subarray(0, length), this.#used + PCAP_RECORD_HEADER);
    this.#used += PCAP_RECORD_HEADER + length;
    this.packets++;
  }

  #flush(): void {
    if (this.#used === 0) return;
    this.#sink.write(this.#buf.slice(0, this.#used));
    this.#used = 0;
  }

  async close(): Promise<void> {
    this.#flush();
    await this.#sink.end();
  }
}
