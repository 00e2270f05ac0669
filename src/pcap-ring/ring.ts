/**
 * A bounded on-disk ring of recent packets, written the way flash likes it: each capture batch is
 * copied whole (one `set`, no per-packet copy) into a preallocated buffer that goes to the current
 * segment file in one large sequential write when full; segments are reused in turn, so the files
 * never hold more than the cap. A numeric index (time, flow id, position) per packet finds them.
 * Segment files keep the capture shim's batch layout (16-byte record headers, 8-byte alignment);
 * pcapng.ts turns records into a file Wireshark opens.
 */
import { closeSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import path from "node:path";
import { nextRecord, RECORD_HEADER, type PacketBatch } from "../capture/batch.ts";

/** Segments the ring is cut into (fewer for a small ring): the oldest is overwritten as a whole when the ring wraps. */
export const MAX_SEGMENTS = 8;
/** The write buffer: packets reach the disk in chunks of this size (and whole batches, up to 1 MB each). */
export const WRITE_CHUNK = 2 << 20;
/** The smallest ring: two segments of one write chunk. */
export const MIN_RING_MB = 4;
/** Index entries per MB of ring (an average packet of 128 bytes and more). */
export const INDEX_PER_MB = 8192;
/**
 * At most this many packets are indexed (26 bytes each: 26 MB): a ring of more than ~128 MB of
 * small packets reaches back as far as its newest million packets.
 */
export const MAX_INDEX = 1 << 20;

export interface RingStats {
  /** Bytes handed to the ring / written to segment files. */
  bytesIn: number;
  bytesWritten: number;
  packets: number;
  /** Set when writing failed (disk full, directory gone): the ring has stopped, capture goes on. */
  error: string | null;
}

/** One packet found in the ring. */
export interface RingPacket {
  ts: number;
  flowId: number;
  linkType: number;
  origLen: number;
  data: Uint8Array;
  /** Index sequence number: increases with every packet (the keeper remembers where it stopped). */
  seq: number;
}

export class PacketRing {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly segments: number;
  readonly stats: RingStats = { bytesIn: 0, bytesWritten: 0, packets: 0, error: null };
  readonly #fds: number[] = [];
  readonly #buf = new Uint8Array(WRITE_CHUNK);
  /** Logical stream position of buf[0]; bytes before it are on disk. */
  #bufPos = 0;
  #bufUsed = 0;
  /** Logical position of the next byte (segments follow each other in the logical stream). */
  #pos = 0;
  // The index: a ring of its own, by sequence number.
  readonly #cap: number;
  readonly #ts: Float64Array;
  readonly #flow: Float64Array;
  readonly #at: Float64Array;
  readonly #link: Uint16Array;
  #seq = 0;
  #stopped = false;

  /** Creates the directory and the segment files (empty until packets come). Throws when it cannot. */
  constructor(dir: string, capBytes: number) {
    this.dir = dir;
    if (capBytes < MIN_RING_MB << 20) throw new Error(`a packet ring needs at least ${MIN_RING_MB} MB`);
    this.segments = Math.max(2, Math.min(MAX_SEGMENTS, Math.floor(capBytes / WRITE_CHUNK)));
    this.segmentBytes = Math.floor(capBytes / this.segments / 8) * 8;
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < this.segments; i++) this.#fds.push(openSync(this.segmentPath(i), "w+"));
    this.#cap = Math.min(MAX_INDEX, Math.max(4096, Math.ceil((capBytes / (1 << 20)) * INDEX_PER_MB)));
    this.#ts = new Float64Array(this.#cap);
    this.#flow = new Float64Array(this.#cap);
    this.#at = new Float64Array(this.#cap);
    this.#link = new Uint16Array(this.#cap);
  }

  segmentPath(i: number): string {
    return path.join(this.dir, `segment-${i}.ring`);
  }

  /** The most the segment files can hold together. */
  get capBytes(): number {
    return this.segmentBytes * this.segments;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Copies a batch in: one copy of its bytes, then per packet only numbers into the index.
   * `flowIds[n]` is the flow of packet n (the engine fills it).
   */
  append(batch: PacketBatch, linkType: number, flowIds: Float64Array): void {
    if (this.#stopped || batch.used === 0) return;
    const used = batch.used;
    // A batch never straddles two segments: skip to the next segment when it does not fit.
    const inSeg = this.#pos % this.segmentBytes;
    if (inSeg + used > this.segmentBytes) this.#skipTo(this.#pos - inSeg + this.segmentBytes);
    if (this.#stopped) return;
    if (this.#bufUsed + used > this.#buf.length && !this.#flush()) return;
    const base = this.#pos;
    if (used > this.#buf.length) return; // larger than a write chunk: cannot happen with capture batches
    this.#buf.set(batch.bytes.subarray(0, used), this.#bufUsed);
    this.#bufUsed += used;
    this.#pos += used;
    this.stats.bytesIn += used;
    const view = batch.view;
    let off = 0;
    for (let n = 0; n < batch.count; n++) {
      const i = this.#seq % this.#cap;
      this.#ts[i] = view.getUint32(off, true) + view.getUint32(off + 4, true) / 1e6;
      this.#flow[i] = flowIds[n];
      this.#at[i] = base + off;
      this.#link[i] = linkType;
      this.#seq++;
      off = nextRecord(off, view.getUint32(off + 8, true), batch.recordPad);
    }
    this.stats.packets += batch.count;
  }

  /** Pads the logical stream to `to` (the start of the next segment), writing what is buffered first. */
  #skipTo(to: number): void {
    if (!this.#flush()) return;
    this.#pos = to;
    this.#bufPos = to;
  }

  /** Writes the buffer to its segment in one write; false (and the ring stops) when that fails. */
  #flush(): boolean {
    if (this.#bufUsed === 0) {
      this.#bufPos = this.#pos;
      return !this.#stopped;
    }
    const seg = Math.floor(this.#bufPos / this.segmentBytes) % this.segments;
    const at = this.#bufPos % this.segmentBytes;
    try {
      // A segment starts again from its beginning when the ring comes back to it.
      let done = 0;
      while (done < this.#bufUsed) done += writeSync(this.#fds[seg], this.#buf, done, this.#bufUsed - done, at + done);
      this.stats.bytesWritten += this.#bufUsed;
    } catch (err) {
      this.stop(`writing ${this.segmentPath(seg)} failed: ${(err as Error).message}`);
      return false;
    }
    this.#bufPos += this.#bufUsed;
    this.#bufUsed = 0;
    return true;
  }

  /** Stops recording (disk full, I/O error): what is in the ring stays readable as long as it can be. */
  stop(reason: string): void {
    this.#stopped = true;
    this.stats.error = reason;
  }

  /** Writes what is buffered (shutdown). */
  flush(): void {
    if (!this.#stopped) this.#flush();
  }

  /** Oldest logical position still held: a segment is rewritten as a whole once the ring wraps onto it. */
  #oldest(): number {
    const segStart = this.#pos - (this.#pos % this.segmentBytes);
    return Math.max(0, segStart - (this.segments - 1) * this.segmentBytes);
  }

  /**
   * The packets still in the ring that `want` accepts (by time and flow id), oldest first.
   * `from` skips packets before an index sequence number.
   */
  select(want: (ts: number, flowId: number) => boolean, opts: { from?: number; limit?: number } = {}): RingPacket[] {
    const out: RingPacket[] = [];
    const oldest = this.#oldest();
    const first = Math.max(this.#seq - this.#cap, opts.from ?? 0);
    const limit = opts.limit ?? Infinity;
    const header = new Uint8Array(RECORD_HEADER);
    const hv = new DataView(header.buffer);
    for (let seq = first; seq < this.#seq && out.length < limit; seq++) {
      const i = seq % this.#cap;
      const at = this.#at[i];
      if (at < oldest || !want(this.#ts[i], this.#flow[i])) continue;
      if (!this.#read(at, header)) continue;
      const caplen = hv.getUint32(8, true);
      const data = new Uint8Array(caplen);
      if (!this.#read(at + RECORD_HEADER, data)) continue;
      out.push({ ts: this.#ts[i], flowId: this.#flow[i], linkType: this.#link[i], origLen: hv.getUint32(12, true), data, seq });
    }
    return out;
  }

  /** The next index sequence number (where a later select can start). */
  get nextSeq(): number {
    return this.#seq;
  }

  #read(pos: number, into: Uint8Array): boolean {
    if (pos >= this.#bufPos) {
      const from = pos - this.#bufPos;
      if (from + into.length > this.#bufUsed) return false;
      into.set(this.#buf.subarray(from, from + into.length));
      return true;
    }
    const seg = Math.floor(pos / this.segmentBytes) % this.segments;
    try {
      return readSync(this.#fds[seg], into, 0, into.length, pos % this.segmentBytes) === into.length;
    } catch {
      return false;
    }
  }

  close(): void {
    this.flush();
    for (const fd of this.#fds.splice(0)) {
      try {
        closeSync(fd);
      } catch {
        // already gone
      }
    }
  }
}
