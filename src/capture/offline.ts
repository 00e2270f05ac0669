/**
 * Reads pcap and pcapng files in batches: classic .pcap through the shim's own reader (3x less
 * CPU than libpcap's), pcapng and the rest through libpcap. A damaged file ends the read with an
 * error that says where; every packet before the damage has already been handed out.
 */
import { toArrayBuffer } from "bun:ffi";
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
  /** How far the shim's window of the mapped file moves at a time (default 2 MB; tests make it small, it is rounded up to pages). */
  mappedStepBytes?: number;
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

/** Packets and bytes per zero-copy batch: the shim's scan of a batch warms it for the engine, so it should fit the L2 cache. */
const MAPPED_WINDOW_BYTES = 1 << 20;
const MAPPED_WINDOW_PACKETS = 2048;
/**
 * How far the shim's window of the mapped file moves at a time (native/ni_pcapfile.c), and how much
 * more of the file it shows (raised to a whole record): a batch is cut short where a record would
 * cross the window's end. RSS holds two windows (the next one is mapped ahead).
 */
const MAPPED_STEP_BYTES = 2 << 20;
const MAPPED_OVERLAP_BYTES = 256 << 10;

/**
 * The batches of a mapped pcap file, records in place (`recordPad` 0), all seen through one
 * ArrayBuffer over the shim's window, made once: JavaScriptCore counts every ArrayBuffer's bytes
 * as allocated (one per 64 MB of the file counted 1.8 GB over the bench capture and made its
 * collector run early) and each one still referenced at a collection inflates its heap budget.
 */
class MappedFile {
  private readonly out = new Int32Array(5);
  /** The copying reader goes on from where the windows stopped (a record it must judge). */
  left = false;
  ended = false;
  private readonly window: ArrayBuffer;

  constructor(
    private readonly shim: Shim,
    private readonly file: NonNullable<ReturnType<Shim["ni_file_open"]>>,
    base: number,
    windowBytes: number,
    private readonly maxPackets = MAPPED_WINDOW_PACKETS,
  ) {
    this.window = toArrayBuffer(base, 0, windowBytes);
  }

  next(): PacketBatch | null {
    const out = this.out;
    this.shim.ni_file_view!(this.file, MAPPED_WINDOW_BYTES, this.maxPackets, out);
    const count = out[0], at = out[1], length = out[3], status = out[4];
    if (status === 1) this.ended = true;
    if (status === 2) this.left = true;
    if (count === 0) return null;
    const window = this.window;
    return { bytes: new Uint8Array(window, at, length), view: new DataView(window, at, length), count, used: length, recordPad: 0 };
  }
}

/** The shim's classic-pcap reader, or undefined for a file it leaves to libpcap (pcapng, ...). */
function openClassic(shim: Shim, path: string, opts: OfflineOptions): FileReader | undefined {
  const { filter, batchPackets: maxPackets, mappedStepBytes = MAPPED_STEP_BYTES } = opts;
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
  const windowBytes = new Int32Array(1);
  const base = zeroCopy ? Number(shim.ni_file_map_window?.(f, mappedStepBytes, MAPPED_OVERLAP_BYTES, windowBytes) ?? 0) : 0;
  return {
    linkType: info[0],
    snaplen: info[1],
    mapped: base ? new MappedFile(shim, f, base, windowBytes[0], maxPackets) : undefined,
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

