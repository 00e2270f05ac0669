/**
 * Sending export messages without ever holding up capture: messages wait in a bounded queue that
 * is drained asynchronously (UDP paced in small bursts so a collector's socket buffer keeps up;
 * TCP as fast as the connection drains). A full queue or a collector that is away drops messages
 * and counts them. TCP reconnects by itself with backoff.
 */
import type { Socket, udp } from "bun";
import type { Collector } from "./collectors.ts";

/** Default queue per collector: a few seconds of a busy home network's records. */
export const DEFAULT_QUEUE_BYTES = 4 << 20;
/** UDP: datagrams sent per turn of the event loop before yielding. */
export const UDP_BURST = 32;
/** TCP: first reconnect after this long, then doubling up to RECONNECT_MAX_MS. */
export const RECONNECT_FIRST_MS = 1000;
export const RECONNECT_MAX_MS = 30_000;

export interface TransportStats {
  sentMessages: number;
  sentBytes: number;
  /** Messages dropped: queue full, collector away, send failed. */
  droppedMessages: number;
  connected: boolean;
  lastError: string | null;
}

export interface Transport {
  readonly stats: TransportStats;
  /** Queues a message; false when it was dropped. Never blocks. */
  send(message: Uint8Array): boolean;
  /** Resolves when the queue is empty (or after `timeoutMs`); true when everything went out. */
  drain(timeoutMs: number): Promise<boolean>;
  close(): void;
}

export interface TransportOptions {
  queueBytes?: number;
  /** A new TCP connection is up: the exporter starts a new session (templates first) on this transport. */
  onSession?: (t: Transport) => void;
}

abstract class QueuedTransport implements Transport {
  readonly stats: TransportStats = { sentMessages: 0, sentBytes: 0, droppedMessages: 0, connected: false, lastError: null };
  protected queue: Uint8Array[] = [];
  protected head = 0;
  protected queued = 0;
  protected closed = false;
  #waiters: (() => void)[] = [];

  constructor(readonly collector: Collector, protected readonly queueBytes: number) {}

  send(message: Uint8Array): boolean {
    if (this.closed || !this.accepting() || this.queued + message.length > this.queueBytes) {
      this.stats.droppedMessages++;
      return false;
    }
    this.queue.push(message);
    this.queued += message.length;
    this.kick();
    return true;
  }

  protected abstract accepting(): boolean;
  protected abstract kick(): void;

  protected shift(): Uint8Array | undefined {
    if (this.head >= this.queue.length) return undefined;
    const m = this.queue[this.head++];
    this.queued -= m.length;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return m;
  }

  protected get pending(): number {
    return this.queue.length - this.head;
  }

  protected dropQueued(): void {
    this.stats.droppedMessages += this.pending;
    this.queue = [];
    this.head = 0;
    this.queued = 0;
    this.settled();
  }

  protected settled(): void {
    if (this.pending > 0) return;
    for (const w of this.#waiters.splice(0)) w();
  }

  drain(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.pending === 0), timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.closed = true;
    this.dropQueued();
  }
}

class UdpTransport extends QueuedTransport {
  #socket: udp.Socket<"uint8array"> | null = null;
  #scheduled = false;

  static async open(c: Collector, queueBytes: number): Promise<UdpTransport> {
    const t = new UdpTransport(c, queueBytes);
    t.#socket = await Bun.udpSocket({
      hostname: c.address.includes(":") ? "::" : "0.0.0.0",
      binaryType: "uint8array",
      socket: {
        drain: () => t.kick(),
        // ICMP port unreachable comes back as an error on the socket: counted, never thrown (a collector
        // that is not up yet is no reason to stop).
        error: (...args: unknown[]) => {
          // Bun has passed (error) and (socket, error) in different versions.
          const err = args.find((a) => a instanceof Error) as Error | undefined;
          t.stats.lastError = err?.message ?? "socket error";
        },
      },
    });
    t.stats.connected = true;
    return t;
  }

  protected accepting(): boolean {
    return this.#socket !== null;
  }

  protected kick(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(this.#pump, 0);
  }

  #pump = (): void => {
    this.#scheduled = false;
    const s = this.#socket;
    if (!s || this.closed) return;
    for (let n = 0; n < UDP_BURST; n++) {
      const m = this.queue[this.head];
      if (!m) break;
      let ok: boolean;
      try {
        ok = s.send(m, this.collector.port, this.collector.address);
      } catch (err) {
        // e.g. no route: count it and go on; the next message may go out.
        this.stats.lastError = (err as Error).message;
        this.shift();
        this.stats.droppedMessages++;
        continue;
      }
      if (!ok) return; // the socket's buffer is full: the drain handler kicks again
      this.shift();
      this.stats.sentMessages++;
      this.stats.sentBytes += m.length;
    }
    if (this.pending > 0) {
      // Paced: a burst, then the next turn, so a collector's receive buffer empties between bursts.
      this.#scheduled = true;
      setTimeout(this.#pump, 1);
    } else this.settled();
  };

  close(): void {
    super.close();
    this.#socket?.close();
    this.#socket = null;
    this.stats.connected = false;
  }
}

class TcpTransport extends QueuedTransport {
  #socket: Socket<undefined> | null = null;
  #retryMs = RECONNECT_FIRST_MS;
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** Bytes of the queue head already written (a partial write). */
  #written = 0;

  constructor(c: Collector, queueBytes: number, private readonly onSession?: (t: Transport) => void) {
    super(c, queueBytes);
  }

  /** Connects in the background: a collector that is down never holds up start-up. */
  static async open(c: Collector, queueBytes: number, onSession?: (t: Transport) => void): Promise<TcpTransport> {
    const t = new TcpTransport(c, queueBytes, onSession);
    void t.#connect();
    return t;
  }

  async #connect(): Promise<void> {
    this.#retry = undefined;
    if (this.closed) return;
    try {
      await Bun.connect({
        hostname: this.collector.address,
        port: this.collector.port,
        socket: {
          open: (s) => {
            this.#socket = s;
            this.stats.connected = true;
            this.stats.lastError = null;
            this.#retryMs = RECONNECT_FIRST_MS;
            this.#written = 0;
            this.onSession?.(this);
            this.kick();
          },
          drain: () => this.kick(),
          data: () => {},
          close: () => this.#lost("connection closed by the collector"),
          error: (_s, err) => this.#lost(err.message),
        },
      });
    } catch (err) {
      this.#lost((err as Error).message);
    }
  }

  #lost(reason: string): void {
    if (this.#socket === null && this.#retry) return;
    this.#socket = null;
    this.stats.connected = false;
    this.stats.lastError = reason;
    // Messages of the old session refer to its templates and sequence: they go, counted.
    this.dropQueued();
    if (this.closed || this.#retry) return;
    this.#retry = setTimeout(() => void this.#connect(), this.#retryMs);
    (this.#retry as { unref?: () => void }).unref?.();
    this.#retryMs = Math.min(this.#retryMs * 2, RECONNECT_MAX_MS);
  }

  protected accepting(): boolean {
    return this.#socket !== null;
  }

  protected kick(): void {
    const s = this.#socket;
    if (!s) return;
    for (;;) {
      const m = this.queue[this.head];
      if (!m) break;
      const part = this.#written ? m.subarray(this.#written) : m;
      const n = s.write(part);
      if (n < part.length) {
        this.#written += Math.max(0, n);
        return; // drain() calls again
      }
      this.#written = 0;
      this.shift();
      this.stats.sentMessages++;
      this.stats.sentBytes += m.length;
    }
    s.flush();
    this.settled();
  }

  close(): void {
    super.close();
    if (this.#retry) clearTimeout(this.#retry);
    this.#socket?.end();
    this.#socket = null;
    this.stats.connected = false;
  }
}

export function openTransport(c: Collector, opts: TransportOptions = {}): Promise<Transport> {
  const bytes = opts.queueBytes ?? DEFAULT_QUEUE_BYTES;
  return c.transport === "tcp" ? TcpTransport.open(c, bytes, opts.onSession) : UdpTransport.open(c, bytes);
}
