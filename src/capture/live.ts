/**
 * Live capture through libpcap without ever blocking the event loop: a non-blocking handle
 * polled by the batch shim, again at once while the ring has more, else on a short timer.
 */
import { cString, ERRBUF_SIZE, errbufText, libpcap, type PcapHandle } from "./libpcap.ts";
import { loadShim } from "./shim.ts";
import { newBatch, nextRecord, type PacketBatch } from "./batch.ts";
import { applyFilter } from "./offline.ts";
import { activateError, CaptureError } from "./errors.ts";
import { listInterfaces } from "./interfaces.ts";

export { defaultInterface, listInterfaces, type NetworkInterface } from "./interfaces.ts";

export const DEFAULT_SNAPLEN = 262144;
/** Kernel ring size: 32 MB rides out a second-long stall at ~200 Mbit/s of small packets. */
export const DEFAULT_BUFFER_SIZE = 32 << 20;
/**
 * The JS-owned buffer one read fills; the shim never starts a packet unless a full snaplen fits.
 * Small enough to stay in the L2 cache between the shim's write and the engine's read (offline.ts).
 */
export const BATCH_BYTES = 1 << 20;
export const MAX_BATCH_PACKETS = 512;
/** How long to wait when the ring was drained: short enough for a live view, cheap when idle. */
export const IDLE_POLL_MS = 5;
/** Keep reading full batches in one turn for at most this long, then let other work run. */
export const BUSY_BUDGET_MS = 4;
const RATE_WINDOW_MS = 1000;
/**
 * Without immediate mode libpcap uses TPACKET_V3, whose ring packs packets into blocks; the kernel
 * hands over a partly filled block after this long, so it bounds the latency of a quiet link.
 */
export const BLOCK_TIMEOUT_MS = 50;
/** libpcap's read timeout in immediate mode; unused with a non-blocking handle but set anyway. */
const READ_TIMEOUT_MS = 100;

export interface CaptureStats {
  /** Packets the kernel handed to the capture (pcap_stats ps_recv). */
  received: number;
  /** Dropped because the ring was full (ps_drop). */
  dropped: number;
  /** Dropped by the interface or driver (ps_ifdrop). */
  ifDropped: number;
  /** Packets and wire bytes handed to onBatch. */
  packets: number;
  bytes: number;
  /** Over the last second. */
  packetsPerSecond: number;
  bytesPerSecond: number;
}

export interface LiveCapture {
  readonly interface: string;
  readonly linkType: number;
  start(onBatch: (batch: PacketBatch, linkType: number) => void, onError?: (e: Error) => void): void;
  stop(): void;
  stats(): CaptureStats;
  readonly running: boolean;
}

export interface LiveOptions {
  interface: string;
  filter?: string;
  snaplen?: number;
  bufferSize?: number;
  promisc?: boolean;
  /**
   * Hand over every packet at once (default false). On Linux, immediate mode makes libpcap use
   * TPACKET_V2, whose ring has one fixed-size slot per packet sized from the snaplen, so with the
   * default 256 KB snaplen a 32 MB ring holds few packets. Measured on a veth with tcpreplay:
   * 50-70 % dropped at 120-300 k packets/s in immediate mode, 0 % without (TPACKET_V3 blocks).
   */
  immediate?: boolean;
}

export async function openLive(opts: LiveOptions): Promise<LiveCapture> {
  const shim = await loadShim();
  const pcap = libpcap();
  const iface = opts.interface;
  const errbuf = Buffer.alloc(ERRBUF_SIZE);
  const handle = pcap.pcap_create(cString(iface), errbuf) as PcapHandle | null;
  if (!handle) throw new CaptureError("CAPTURE", `cannot capture on ${iface}: ${errbufText(errbuf)}`);
  try {
    pcap.pcap_set_snaplen(handle, opts.snaplen ?? DEFAULT_SNAPLEN);
    pcap.pcap_set_promisc(handle, opts.promisc === false ? 0 : 1);
    pcap.pcap_set_immediate_mode(handle, opts.immediate ? 1 : 0);
    pcap.pcap_set_buffer_size(handle, opts.bufferSize ?? DEFAULT_BUFFER_SIZE);
    pcap.pcap_set_timeout(handle, opts.immediate ? READ_TIMEOUT_MS : BLOCK_TIMEOUT_MS);
    const rc = pcap.pcap_activate(handle);
    if (rc < 0) {
      throw activateError(rc, iface, String(pcap.pcap_geterr(handle) ?? ""), () => listInterfaces().map((i) => i.name));
    }
    if (opts.filter) applyFilter(handle, opts.filter);
    if (pcap.pcap_setnonblock(handle, 1, errbuf) !== 0) {
      throw new CaptureError("CAPTURE", `cannot make the capture on ${iface} non-blocking: ${errbufText(errbuf)}`);
    }
  } catch (e) {
    pcap.pcap_close(handle);
    throw e;
  }
  return new PcapLiveCapture(iface, handle, shim.ni_read_live);
}

type ReadLive = (p: PcapHandle, buf: Uint8Array, buflen: number, max: number, out: Int32Array) => number;

class PcapLiveCapture implements LiveCapture {
  readonly linkType: number;
  #handle: PcapHandle | null;
  #batch = newBatch(BATCH_BYTES);
  #out = new Int32Array(4);
  #pcapStats = new Uint32Array(3);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #running = false;
  #onBatch: (batch: PacketBatch, linkType: number) => void = () => {};
  #onError: (e: Error) => void = (e) => console.error(`capture on ${this.interface}: ${e.message}`);
  #packets = 0;
  #bytes = 0;
  #window = { at: 0, packets: 0, bytes: 0 };
  #rates = { packetsPerSecond: 0, bytesPerSecond: 0 };

  constructor(readonly iface: string, handle: PcapHandle, private readonly readLive: ReadLive) {
    this.#handle = handle;
    this.linkType = libpcap().pcap_datalink(handle);
  }

  get interface(): string {
    return this.iface;
  }

  get running(): boolean {
    return this.#running;
  }

  start(onBatch: (batch: PacketBatch, linkType: number) => void, onError?: (e: Error) => void): void {
    if (!this.#handle) throw new CaptureError("CAPTURE", `capture on ${this.iface} was stopped; open it again`);
    if (this.#running) return;
    this.#onBatch = onBatch;
    if (onError) this.#onError = onError;
    this.#running = true;
    this.#window = { at: performance.now(), packets: this.#packets, bytes: this.#bytes };
    this.#poll();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = this.#immediate = undefined;
    if (this.#handle) {
      this.#readPcapStats();
      libpcap().pcap_close(this.#handle);
      this.#handle = null;
    }
    this.#rates = { packetsPerSecond: 0, bytesPerSecond: 0 };
  }

  stats(): CaptureStats {
    if (this.#handle) this.#readPcapStats();
    const s = this.#pcapStats;
    return { received: s[0], dropped: s[1], ifDropped: s[2], packets: this.#packets, bytes: this.#bytes, ...this.#rates };
  }

  #readPcapStats(): void {
    // struct pcap_stat { u_int ps_recv, ps_drop, ps_ifdrop; } on Linux.
    libpcap().pcap_stats(this.#handle!, this.#pcapStats);
  }

  #poll = (): void => {
    this.#timer = this.#immediate = undefined;
    const started = performance.now();
    const batch = this.#batch, out = this.#out;
    while (this.#running && this.#handle) {
      this.readLive(this.#handle, batch.bytes, batch.bytes.length, MAX_BATCH_PACKETS, out);
      batch.count = out[0];
      batch.used = out[1];
      const status = out[2];
      if (batch.count > 0) this.#deliver(batch);
      if (status < 0) return this.#fail(status);
      if (!this.#running) return;
      const now = performance.now();
      this.#updateRates(now);
      if (status === 0) {
        this.#timer = setTimeout(this.#poll, IDLE_POLL_MS);
        return;
      }
      if (now - started > BUSY_BUDGET_MS) {
        this.#immediate = setImmediate(this.#poll);
        return;
      }
    }
  };

  #deliver(batch: PacketBatch): void {
    let off = 0, bytes = 0;
    const view = batch.view;
    for (let i = 0; i < batch.count; i++) {
      bytes += view.getUint32(off + 12, true);
      off = nextRecord(off, view.getUint32(off + 8, true));
    }
    this.#packets += batch.count;
    this.#bytes += bytes;
    try {
      this.#onBatch(batch, this.linkType);
    } catch (e) {
      // A consumer bug must not silently stop the capture; report it and keep going.
      this.#onError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #fail(status: number): void {
    const detail = this.#handle ? String(libpcap().pcap_geterr(this.#handle) ?? "") : "";
    this.stop();
    const code = /disappeared|no such device/i.test(detail) ? "NO_SUCH_DEVICE" : /went down/i.test(detail) ? "IFACE_DOWN" : "CAPTURE";
    this.#onError(new CaptureError(code, `capture on ${this.iface} stopped: ${detail || `libpcap error ${status}`}`));
  }

  #updateRates(now: number): void {
    const w = this.#window;
    const elapsed = now - w.at;
    if (elapsed < RATE_WINDOW_MS) return;
    this.#rates = {
      packetsPerSecond: ((this.#packets - w.packets) * 1000) / elapsed,
      bytesPerSecond: ((this.#bytes - w.bytes) * 1000) / elapsed,
    };
    this.#window = { at: now, packets: this.#packets, bytes: this.#bytes };
  }
}
