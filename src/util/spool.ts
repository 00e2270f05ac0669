/**
 * Texts keyed by a dense number (flow ids), kept in a temporary file instead of the heap and read
 * back in key order. `analyze --json` spools each flow's JSON as the flow ends: a capture's flows
 * end in any order, and holding every one until the report is written cost hundreds of MB.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Texts are written to the file, and read back into chunks for the caller, this many bytes at a time. */
const BUFFER_BYTES = 1 << 20;
/** Read back: texts of one output chunk at most (more only for empty texts), a read at most, and the largest gap a read spans. */
const MAX_CHUNK_TEXTS = 1 << 16;
const READ_BYTES = 1 << 20;
const READ_GAP_BYTES = 16 << 10;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit. */
const MAX_BYTES_PER_UNIT = 3;

export class TextSpool {
  readonly #fd: number;
  readonly #firstKey: number;
  #buf = Buffer.allocUnsafe(BUFFER_BYTES);
  #pos = 0;
  #flushed = 0;
  /** Per key (from firstKey): where its text starts in the file, and its length + 1 (0: no text). */
  #offsets = new Float64Array(1024);
  #lengths = new Uint32Array(1024);
  #keys = 0;

  /** `dir`: where the (at once unlinked) file goes, default the system's temporary directory. */
  constructor(firstKey: number, dir = tmpdir()) {
    this.#firstKey = firstKey;
    let tmp: string;
    try {
      tmp = mkdtempSync(join(dir, "netinsight-spool-"));
    } catch (e) {
      throw new Error(`cannot make a temporary file in ${dir} (TMPDIR): ${(e as Error).message}`);
    }
    try {
      this.#fd = openSync(join(tmp, "texts"), "w+");
    } finally {
      rmSync(tmp, { recursive: true, force: true }); // the open file lives on until close()
    }
  }

  /** Keeps `text` for `key` (one text per key; keys at or after firstKey). */
  add(key: number, text: string): void {
    const k = this.#slot(key);
    if (this.#pos + text.length * MAX_BYTES_PER_UNIT > BUFFER_BYTES) this.#flush();
    this.#offsets[k] = this.#flushed + this.#pos;
    let n: number;
    if (text.length * MAX_BYTES_PER_UNIT > BUFFER_BYTES) {
      const bytes = Buffer.from(text, "utf8");
      writeSync(this.#fd, bytes, 0, bytes.length, this.#flushed);
      this.#flushed += (n = bytes.length);
    } else {
      n = this.#buf.write(text, this.#pos, "utf8");
      this.#pos += n;
    }
    this.#lengths[k] = n + 1;
  }

  /**
   * As `add`, for a text already encoded as UTF-8: its first `length` bytes (copied, the caller
   * may reuse `bytes`; no view made per text).
   */
  addBytes(key: number, bytes: Uint8Array, length = bytes.length): void {
    const k = this.#slot(key);
    if (this.#pos + length > BUFFER_BYTES) this.#flush();
    this.#offsets[k] = this.#flushed + this.#pos;
    if (length > BUFFER_BYTES) {
      writeSync(this.#fd, bytes, 0, length, this.#flushed);
      this.#flushed += length;
    } else {
      const buf = this.#buf, pos = this.#pos;
      for (let b = 0; b < length; b++) buf[pos + b] = bytes[b]; // a JS loop: set() of a view would make one per text
      this.#pos = pos + length;
    }
    this.#lengths[k] = length + 1;
  }

  /**
   * As `addBytes`, for a text `write` puts straight into the spool's buffer: it gets the buffer and
   * where to start (with room for `maxLength` bytes there) and returns where the text ends.
   */
  addWritten(key: number, maxLength: number, write: (bytes: Uint8Array, at: number) => number): void {
    if (maxLength > BUFFER_BYTES) {
      const bytes = new Uint8Array(maxLength);
      return this.addBytes(key, bytes, write(bytes, 0));
    }
    const k = this.#slot(key);
    if (this.#pos + maxLength > BUFFER_BYTES) this.#flush();
    const pos = this.#pos;
    this.#offsets[k] = this.#flushed + pos;
    const end = write(this.#buf, pos);
    this.#pos = end;
    this.#lengths[k] = end - pos + 1;
  }

  /** The index of `key` in the offset and length arrays (grown to hold it). */
  #slot(key: number): number {
    const k = key - this.#firstKey;
    if (!(k >= 0 && Number.isInteger(k))) throw new RangeError(`spool key ${key} is before the first key ${this.#firstKey}`);
    if (k >= this.#lengths.length) this.#grow(k + 1);
    if (k >= this.#keys) this.#keys = k + 1;
    return k;
  }

  /**
   * Every text in key order, `separator` between them, handed to `write` in chunks of about
   * BUFFER_BYTES. The chunks share one array: `write` is done with a chunk when it returns or its
   * promise settles (a new array per chunk was 60 MB of garbage on a 67 MB report).
   *
   * The texts of a chunk are read in file order, texts that lie near each other in one read
   * (READ_GAP_BYTES apart at most): flows end roughly in id order, so most of a chunk's texts come
   * in a few reads, not one read per text (116 k reads for the bench capture's flows).
   */
  async writeJoined(separator: string, write: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
    this.#flush();
    const sep = Buffer.from(separator, "utf8");
    const out = this.#buf;
    const offsets = this.#offsets, lengths = this.#lengths;
    // Per text of the chunk: its key, where it goes in `out`; and (offset, index) pairs to sort.
    const chunkKeys = new Int32Array(MAX_CHUNK_TEXTS);
    const chunkAt = new Int32Array(MAX_CHUNK_TEXTS);
    const order = new Float64Array(MAX_CHUNK_TEXTS);
    const read = Buffer.allocUnsafe(READ_BYTES);
    let count = 0;
    let pos = 0;
    let first = true;
    const flushChunk = async () => {
      if (count > 0) this.#fillChunk(out, chunkKeys, chunkAt, order, count, read);
      if (pos > 0) await write(out.subarray(0, pos));
      count = 0;
      pos = 0;
    };
    for (let k = 0; k < this.#keys; k++) {
      const n = lengths[k] - 1;
      if (n < 0) continue;
      const need = n + (first ? 0 : sep.length);
      if (pos + need > out.length || count === MAX_CHUNK_TEXTS) await flushChunk();
      if (need > out.length) {
        // A text larger than the buffer: on its own, read straight into an array of its size.
        const big = Buffer.allocUnsafe(need);
        const at = first ? 0 : sep.copy(big, 0);
        this.#readAt(big, at, n, offsets[k]);
        first = false;
        await write(big);
        continue;
      }
      if (!first) pos += sep.copy(out, pos);
      first = false;
      chunkKeys[count] = k;
      chunkAt[count] = pos;
      count++;
      pos += n;
    }
    await flushChunk();
  }

  /** Reads the `count` texts of a chunk (keys, and where each goes in `out`) in file order, near ones together. */
  #fillChunk(out: Buffer, keys: Int32Array, at: Int32Array, order: Float64Array, count: number, read: Buffer): void {
    const offsets = this.#offsets, lengths = this.#lengths;
    if (this.#flushed * MAX_CHUNK_TEXTS > Number.MAX_SAFE_INTEGER) {
      // A spool past 128 GB: (offset, index) pairs would not fit one number; each text on its own.
      for (let i = 0; i < count; i++) this.#readAt(out, at[i], lengths[keys[i]] - 1, offsets[keys[i]]);
      return;
    }
    // (offset, index) in one number, sorted natively.
    for (let i = 0; i < count; i++) order[i] = offsets[keys[i]] * MAX_CHUNK_TEXTS + i;
    const sorted = order.subarray(0, count).sort();
    let i = 0;
    while (i < count) {
      // A run: texts from sorted[i], each starting at most READ_GAP_BYTES after the previous one's end, all within READ_BYTES.
      const first = sorted[i] % MAX_CHUNK_TEXTS;
      const runStart = offsets[keys[first]];
      let runEnd = runStart + lengths[keys[first]] - 1;
      let j = i + 1;
      for (; j < count; j++) {
        const t = sorted[j] % MAX_CHUNK_TEXTS;
        const off = offsets[keys[t]], end = off + lengths[keys[t]] - 1;
        if (off - runEnd > READ_GAP_BYTES || Math.max(end, runEnd) - runStart > READ_BYTES) break;
        if (end > runEnd) runEnd = end;
      }
      if (j === i + 1) {
        this.#readAt(out, at[first], runEnd - runStart, runStart); // one text alone: straight into place
      } else {
        this.#readAt(read, 0, runEnd - runStart, runStart);
        for (let r = i; r < j; r++) {
          const t = sorted[r] % MAX_CHUNK_TEXTS, k = keys[t];
          const from = offsets[k] - runStart;
          read.copy(out, at[t], from, from + lengths[k] - 1);
        }
      }
      i = j;
    }
  }

  close(): void {
    closeSync(this.#fd);
  }

  #readAt(into: Uint8Array, at: number, length: number, position: number): void {
    let done = 0;
    while (done < length) {
      const n = readSync(this.#fd, into, at + done, length - done, position + done);
      if (n <= 0) throw new Error("spool file ended early");
      done += n;
    }
  }

  #flush(): void {
    let done = 0;
    while (done < this.#pos) done += writeSync(this.#fd, this.#buf, done, this.#pos - done, this.#flushed + done);
    this.#flushed += this.#pos;
    this.#pos = 0;
  }

  #grow(min: number): void {
    const size = Math.max(min, this.#lengths.length * 2);
    const offsets = new Float64Array(size), lengths = new Uint32Array(size);
    offsets.set(this.#offsets);
    lengths.set(this.#lengths);
    this.#offsets = offsets;
    this.#lengths = lengths;
  }
}
