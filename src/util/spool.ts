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
   */
  async writeJoined(separator: string, write: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
    this.#flush();
    const sep = Buffer.from(separator, "utf8");
    let out = this.#buf;
    let pos = 0;
    let first = true;
    for (let k = 0; k < this.#keys; k++) {
      const n = this.#lengths[k] - 1;
      if (n < 0) continue;
      const need = n + (first ? 0 : sep.length);
      if (pos + need > out.length && pos > 0) {
        await write(out.subarray(0, pos));
        pos = 0;
      }
      if (need > out.length) out = Buffer.allocUnsafe(need);
      if (!first) pos += sep.copy(out, pos);
      first = false;
      this.#readAt(out, pos, n, this.#offsets[k]);
      pos += n;
    }
    if (pos > 0) await write(out.subarray(0, pos));
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
