/**
 * Reads pcap and pcapng files in batches: classic .pcap through the shim's own reader (3x less
 * CPU than libpcap's), pcapng and the rest through libpcap. A damaged file ends the read with an
 * error that says where; every packet before the damage has already been handed out.
 */
import { toArrayBuffer } from "bun:ffi";
import { statSync } from "node:fs";
import { cString, ERRBUF_SIZE, errbufText, libpcap, type PcapHandle } from "./libpcap.ts";
import { loadShim, type Shim } from "./shim.ts";
import { newBatch, type PacketBatch } from "./batch.ts";
import { badFilterError, CaptureError } from "./errors.ts";

/**
 * Small batches: the shim writes a batch and the engine reads it right after, so a batch that stays
 * in the L2 cache (~400 KB of average packets) is read from cache, not memory. 4096-packet / 4 MB
 * batches measured ~15 % more CPU for analyze on the benchmark capture.
 */
export const DEFAULT_BATCH_BYTES = 1 << 20;
export const DEFAULT_BATCH_PACKETS = 512;

export class CaptureFileError extends CaptureError {
  constructor(message: string, readonly packetsRead: number) {
    super("FILE", message);
    this.name = "CaptureFileError";
  }
}

export interface OfflineSource {
  readonly path: string;
  readonly linkType: number;
  readonly snaplen: number;
  /** The next batch, or null at the end of the file. Throws CaptureFileError on damage. */
  next(): PacketBatch | null;
  close(): void;
}

export interface OfflineOptions {
  filter?: string;
  batchBytes?: number;
  batchPackets?: number;
  /** "auto" (default): classic .pcap through the shim's own reader, anything else through libpcap. */
  reader?: "auto" | "libpcap";
  /**
   * Hand out windows of the mapped file instead of copies where the file allows (classic pcap in
   * host byte order, microseconds, no filter): batches with `recordPad` 0, each valid until the
   * next `next()`. For readers that walk batches with `nextRecord(off, caplen, batch.recordPad)`.
   */
  zeroCopy?: boolean;
  /** Bytes of the mapping per ArrayBuffer the zero-copy windows are views into (default 64 MB; tests make it small). */
  mappedSegmentBytes?: number;
}

/** One open file, read into batches in the shim's layout by either reader. */
interface FileReader {
  linkType: number;
  snaplen: number;
  read(buf: Uint8Array, max: number, out: Int32Array): void;
  /** The zero-copy windows, when the file could be mapped. */
  mapped?: MappedFile;
  error(): string;
  close(): void;
}

export async function openOffline(path: string, opts: OfflineOptions = {}): Promise<OfflineSource> {
  const shim: Shim = await loadShim();
  const file = Bun.file(path);
  if (!(await file.exists())) throw new CaptureFileError(`cannot read ${path}: no such file`, 0);
  const reader = (opts.reader !== "libpcap" && openClassic(shim, path, opts)) ||
    openWithLibpcap(shim, path, opts.filter);
  const { linkType, snaplen } = reader;
  // Both readers start a packet only while a whole snaplen fits, so the buffer must hold one.
  const batch = newBatch(Math.max(opts.batchBytes ?? DEFAULT_BATCH_BYTES, 2 * (16 + Math.max(snaplen, 0) + 8), 16 + 262144 + 8));
  const maxPackets = opts.batchPackets ?? DEFAULT_BATCH_PACKETS;
  const out = new Int32Array(4);
  let packetsRead = 0;
  let done = false;
  let closed = false;
  let pendingError: CaptureFileError | undefined;
  const close = () => {
    if (!closed) reader.close();
    closed = true;
  };
  return {
    path,
    linkType,
    snaplen,
    next() {
      // A read can come back empty without being the end (e.g. every packet filtered out).
      for (;;) {
        if (pendingError) throw pendingError;
        if (done || closed) return null;
        if (reader.mapped && !reader.mapped.left) {
          const window = reader.mapped.next();
          if (reader.mapped.ended) done = true;
          if (window) {
            packetsRead += window.count;
            return window;
          }
          continue; // the end, or the copying reader takes over from here
        }
        reader.read(batch.bytes, maxPackets, out);
        batch.count = out[0];
        batch.used = out[1];
        packetsRead += batch.count;
        const status = out[2];
        if (status === 1) done = true;
        if (status < 0) {
          done = true;
          const why = status === -2 ? "a packet larger than the read buffer" : reader.error() || "read error";
          pendingError = new CaptureFileError(`${path}: damaged after packet ${packetsRead}: ${why}`, packetsRead);
        }
        if (batch.count > 0) return batch;
      }
    },
    close,
  };
}

/** Packets and bytes per zero-copy window: the shim's scan of a window warms it for the engine, so it should fit the L2 cache. */
const MAPPED_WINDOW_BYTES = 1 << 20;
const MAPPED_WINDOW_PACKETS = 2048;
/**
 * Bytes of the mapping seen through one ArrayBuffer; windows are views into it. An ArrayBuffer
 * over foreign memory costs ~40 us to make: one per 1 MB window cost ~0.07 s of CPU over the
 * 1.8 GB bench capture, one per 64 MB next to nothing.
 */
const MAPPED_SEGMENT_BYTES = 64 << 20;

/** The windows of a mapped pcap file, as batches of records in place (`recordPad` 0). */
class MappedFile {
  private readonly out = new Int32Array(5);
  /** The copying reader goes on from where the windows stopped (a record it must judge). */
  left = false;
  ended = false;
  private segment: ArrayBuffer | null = null;
  /** File offset of the segment's first byte. */
  private segmentStart = 0;

  constructor(
    private readonly shim: Shim,
    private readonly file: NonNullable<ReturnType<Shim["ni_file_open"]>>,
    private readonly base: number,
    /** The file's size when it was mapped: segments never reach past it. */
    private readonly size: number,
    private readonly segmentBytes: number,
    private readonly maxPackets = MAPPED_WINDOW_PACKETS,
  ) {}

  next(): PacketBatch | null {
    const out = this.out;
    this.shim.ni_file_view!(this.file, MAPPED_WINDOW_BYTES, this.maxPackets, out);
    const count = out[0], offset = (out[1] >>> 0) + (out[2] >>> 0) * 2 ** 32, length = out[3], status = out[4];
    if (status === 1) this.ended = true;
    if (status === 2) this.left = true;
    if (count === 0) return null;
    const at = this.segmentAt(offset, length);
    const buffer = this.segment!;
    return { bytes: new Uint8Array(buffer, at, length), view: new DataView(buffer, at, length), count, used: length, recordPad: 0 };
  }

  /** Where the window at file `offset` starts in the current segment, after moving the segment there when it is not inside. */
  private segmentAt(offset: number, length: number): number {
    const segment = this.segment;
    if (segment === null || offset < this.segmentStart || offset + length > this.segmentStart + segment.byteLength) {
      this.segment = toArrayBuffer(this.base + offset, 0, Math.max(length, Math.min(this.segmentBytes, this.size - offset)));
      this.segmentStart = offset;
    }
    return offset - this.segmentStart;
  }
}

/** The shim's classic-pcap reader, or undefined for a file it leaves to libpcap (pcapng, ...). */
function openClassic(shim: Shim, path: string, opts: OfflineOptions): FileReader | undefined {
  const { filter, batchPackets: maxPackets, mappedSegmentBytes = MAPPED_SEGMENT_BYTES } = opts;
  const zeroCopy = opts.zeroCopy === true;
  const info = new Int32Array(2);
  const f = shim.ni_file_open(cString(path), info);
  if (!f) return undefined;
  if (filter) {
    const errbuf = Buffer.alloc(ERRBUF_SIZE);
    if (shim.ni_file_filter(f, cString(filter), errbuf, ERRBUF_SIZE) !== 0) {
      shim.ni_file_close(f);
      throw badFilterError(filter, errbufText(errbuf));
    }
  }
  // The size first: a file that grows after it is mapped only makes the segments shorter than the mapping.
  const size = zeroCopy ? statSync(path).size : 0;
  const base = zeroCopy && shim.ni_file_map?.(f) === 0 ? Number(shim.ni_file_map_base!(f)) : 0;
  return {
    linkType: info[0],
    snaplen: info[1],
    mapped: base ? new MappedFile(shim, f, base, size, mappedSegmentBytes, maxPackets) : undefined,
    read: (buf, max, out) => void shim.ni_file_read(f, buf, buf.length, max, out),
    error: () => String(shim.ni_file_error(f) ?? ""),
    close: () => shim.ni_file_close(f),
  };
}

function openWithLibpcap(shim: Shim, path: string, filter?: string): FileReader {
  const pcap = libpcap();
  const errbuf = Buffer.alloc(ERRBUF_SIZE);
  const handle = pcap.pcap_open_offline(cString(path), errbuf) as PcapHandle | null;
  if (!handle) throw new CaptureFileError(`cannot read ${path}: ${errbufText(errbuf)}`, 0);
  if (filter) {
    try {
      applyFilter(handle, filter);
    } catch (e) {
      pcap.pcap_close(handle);
      throw e;
    }
  }
  return {
    linkType: pcap.pcap_datalink(handle),
    snaplen: pcap.pcap_snapshot(handle),
    read: (buf, max, out) => void shim.ni_read_offline(handle, buf, buf.length, max, out),
    error: () => String(pcap.pcap_geterr(handle) ?? ""),
    close: () => pcap.pcap_close(handle),
  };
}

/** Compiles and installs a BPF filter; a bad expression is a clear error naming it. */
export function applyFilter(handle: PcapHandle, expression: string): void {
  const pcap = libpcap();
  const program = Buffer.alloc(16); // struct bpf_program { u_int bf_len; struct bpf_insn *bf_insns; }
  if (pcap.pcap_compile(handle, program, cString(expression), 1, 0xffffffff) !== 0) {
    throw badFilterError(expression, String(pcap.pcap_geterr(handle)));
  }
  try {
    if (pcap.pcap_setfilter(handle, program) !== 0) {
      throw new CaptureError("BAD_FILTER", `cannot set capture filter "${expression}": ${pcap.pcap_geterr(handle)}`);
    }
  } finally {
    pcap.pcap_freecode(program);
  }
}

