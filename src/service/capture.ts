/**
 * Capture control for the service: a live interface (libpcap) or a capture file fed through the
 * same engine at a chosen speed. Publishes capture events and records capture sessions.
 */
import { nextRecord, type PacketBatch } from "../capture/batch.ts";
import { CaptureError } from "../capture/errors.ts";
import { defaultInterface, openLive, type LiveCapture } from "../capture/live.ts";
import { CaptureFileError, openOffline, type OfflineSource } from "../capture/offline.ts";
import type { Engine } from "../engine/engine.ts";
import type { CaptureSessions } from "../storage/sessions.ts";
import type { LiveBus } from "./bus.ts";
import { CaptureConflictError, CaptureStartError, type CaptureStartOptions, type CaptureState } from "./context.ts";
import { FEED_SLICE_MS, Pacer } from "./pacer.ts";
import { JitThreads } from "../util/thread-priority.ts";

/** With `loop`: seconds of capture time between the end of one pass over a file and the start of the next. */
export const LOOP_GAP_SECONDS = 1;

/**
 * Shifts every time stamp of a batch by `seconds` (whole, so microseconds stay) and returns the
 * first and last original time stamps: a looped file's next pass continues the capture clock.
 */
export function shiftBatch(batch: PacketBatch, seconds: number): { first: number; last: number } {
  const { view } = batch;
  let first = Infinity;
  let last = -Infinity;
  for (let n = 0, off = 0; n < batch.count; n++) {
    const sec = view.getUint32(off, true);
    const ts = sec + view.getUint32(off + 4, true) / 1e6;
    if (ts < first) first = ts;
    if (ts > last) last = ts;
    if (seconds) view.setUint32(off, sec + seconds, true);
    off = nextRecord(off, view.getUint32(off + 8, true));
  }
  return { first, last };
}

/**
 * The kernel ring of serve's live capture (capture/live.ts's default is 32 MB). All of it ends up in
 * the process's RSS once the kernel has cycled through its blocks: 32 MB was an eighth of serve's RSS
 * in the soak. libpcap makes TPACKET_V3 blocks of 256 KB, each handed over when full or after 50 ms,
 * so 16 MB is 64 blocks: the pipeline worker may stall ~3 s on a quiet link, ~0.6 s at 200 Mbit/s,
 * before the kernel drops (its full collections take 50-150 ms). Measured in 3-minute soaks
 * (bench/soak.ts, 2000 packets/s, load average ~9 on 2 cores, runs in pairs): 0 drops with 8, 16 and
 * 32 MB; RSS 25-30 MB lower with 8 MB than with 32. CAPTURE_BUFFER_MB (--capture-buffer-mb) sets it.
 */
export const LIVE_RING_BYTES = 16 << 20;

/** Packets per read when pacing a file: small, so packets are handed out close to their time. */
export const PACED_BATCH_PACKETS = 64;
/** Reopening a lost interface: first after this long, then doubling up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 30_000;
/** Gaps kept in the status: the latest few are what an operator looks at. */
export const MAX_INTERRUPTIONS = 20;

interface Running {
  kind: "live" | "file";
  session: number;
  /** Null while a lost interface is being reopened. */
  live?: LiveCapture | null;
  cancel?: () => void;
  packetsAtStart: number;
  bytesAtStart: number;
  /** Counters of the live handles before the current one (capture reopened after a flap). */
  carried: { packets: number; bytes: number; drops: number };
  retry?: ReturnType<typeof setTimeout>;
  retryMs: number;
}

export interface CaptureControllerOptions {
  engine: Engine;
  sessions: CaptureSessions;
  bus: LiveBus;
  interface?: string;
  filter?: string;
  /** The kernel ring of live capture in bytes (default LIVE_RING_BYTES). */
  bufferBytes?: number;
  log?: (msg: string) => void;
  /**
   * A file fed at full speed asks this between slices: a promise means storage is behind, and the
   * feed waits for it (a file can wait, live capture cannot) instead of outrunning it into dropped rows.
   */
  backlog?: () => Promise<unknown> | null;
}

export class CaptureController {
  readonly #o: CaptureControllerOptions;
  #run: Running | null = null;
  #state: CaptureState = {
    running: false, mode: null, interface: null, file: null, filter: null, since: null, packets: 0, bytes: 0,
    drops: 0, packetsPerSecond: 0, bytesPerSecond: 0, error: null, restarts: 0, interruptions: [],
  };
  /** Privilege drops take CAP_NET_RAW with them: opening a capture again then needs capabilities. */
  readonly #startedAsRoot = process.getuid?.() === 0;
  /** JavaScriptCore's compiler threads, lowered below the packet loop as they appear (see JitThreads). */
  readonly #jit = new JitThreads();
  #rateMark = { at: 0, packets: 0, bytes: 0 };
  /** The capture clock's last reading while a file was read (capture time, wall time), so it goes on after a stop. */
  #clockMark: { t: number; wall: number } | null = null;
  /** The pacing of the file being replayed, if any: the capture clock between packets. */
  #pacer: Pacer | null = null;
  /** Resolves when the current file feed has ended (tests and `serve --read` wait on it). */
  feedDone: Promise<void> = Promise.resolve();
  /** Where the newest packets came from: the service's clock follows a file's own time (service.clock). */
  packetSource: "live" | "file" | null = null;

  constructor(opts: CaptureControllerOptions) {
    this.#o = opts;
  }

  get running(): boolean {
    return this.#run !== null;
  }

  status(): CaptureState {
    const r = this.#run;
    if (r?.kind === "live" && r.live) {
      const s = r.live.stats();
      const c = r.carried;
      Object.assign(this.#state, {
        packets: c.packets + s.packets, bytes: c.bytes + s.bytes, drops: c.drops + s.dropped + s.ifDropped,
        packetsPerSecond: s.packetsPerSecond, bytesPerSecond: s.bytesPerSecond,
      });
    } else if (r?.kind === "file") {
      const e = this.#o.engine.stats;
      this.#state.packets = e.packets - r.packetsAtStart;
      this.#state.bytes = e.bytes - r.bytesAtStart;
    }
    return { ...this.#state, interruptions: this.#state.interruptions.map((g) => ({ ...g })) };
  }

  /** Once a second: rates for file feeds, idle time for live capture. */
  tick(nowMs = Date.now()): void {
    const r = this.#run;
    if (r?.kind === "file") {
      const e = this.#o.engine.stats;
      const dt = (nowMs - this.#rateMark.at) / 1000;
      if (this.#rateMark.at > 0 && dt > 0) {
        this.#state.packetsPerSecond = Math.round((e.packets - this.#rateMark.packets) / dt);
        this.#state.bytesPerSecond = Math.round((e.bytes - this.#rateMark.bytes) / dt);
      }
      this.#rateMark = { at: nowMs, packets: e.packets, bytes: e.bytes };
    } else if (r?.kind === "live") {
      this.#o.engine.tickIdle(nowMs / 1000);
    }
  }

  async startLive(opts: CaptureStartOptions = {}): Promise<CaptureState> {
    if (this.#run) throw new CaptureConflictError(`capture is already running (${this.#describe()})`);
    const iface = opts.interface ?? this.#o.interface ?? defaultInterface();
    const filter = opts.filter ?? this.#o.filter ?? null;
    if (!iface) {
      return this.#failStart(new CaptureStartError("no network interface to capture on: set NETWORK_INTERFACE or pass --interface", 400, "no_interface"));
    }
    let live: LiveCapture;
    try {
      live = await openLive({ interface: iface, filter: filter ?? undefined, bufferSize: this.#o.bufferBytes ?? LIVE_RING_BYTES });
    } catch (err) {
      return this.#failStart(this.#privilegeHint(toStartError(err)));
    }
    const session = this.#o.sessions.begin("live", iface, filter, Date.now() / 1000);
    const run: Running = { kind: "live", session, live, packetsAtStart: 0, bytesAtStart: 0, carried: { packets: 0, bytes: 0, drops: 0 }, retryMs: RETRY_FIRST_MS };
    this.#run = run;
    this.#begin("live", iface, null, filter);
    this.#startLiveHandle(run, live);
    return this.status();
  }

  #startLiveHandle(run: Running, live: LiveCapture): void {
    live.start(
      (batch: PacketBatch, linkType: number) => {
        this.packetSource = "live";
        this.#o.engine.processBatch(batch, linkType);
        this.#jit.lower();
      },
      (err) => {
        // The handle failed (interface deleted or down): reopen it with backoff. Anything else is a
        // consumer error the handle already survived: report it and keep capturing.
        if (err instanceof CaptureError) this.#interrupt(run, err.message);
        else this.#o.log?.(`capture: processing a batch failed: ${err.message}`);
      },
    );
  }

  /** Live capture lost its interface: keep the session, count the gap, retry until it is back or stopped. */
  #interrupt(run: Running, reason: string): void {
    if (this.#run !== run) return;
    if (run.live) {
      const s = run.live.stats();
      run.carried = { packets: run.carried.packets + s.packets, bytes: run.carried.bytes + s.bytes, drops: run.carried.drops + s.dropped + s.ifDropped };
      run.live.stop();
      run.live = null;
    }
    const gaps = this.#state.interruptions;
    if (gaps.at(-1)?.to !== null || gaps.length === 0) {
      gaps.push({ from: Date.now() / 1000, to: null, reason });
      if (gaps.length > MAX_INTERRUPTIONS) gaps.splice(0, gaps.length - MAX_INTERRUPTIONS);
      this.#o.log?.(`capture: ${reason}; reopening ${this.#state.interface} by itself (first try in ${run.retryMs / 1000} s)`);
    }
    Object.assign(this.#state, { packetsPerSecond: 0, bytesPerSecond: 0, error: `${reason}; retrying every ${Math.round(run.retryMs / 1000)} s` });
    this.#o.bus.publish({ type: "capture", event: "error", data: this.status() });
    run.retry = setTimeout(() => void this.#reopen(run), run.retryMs);
  }

  async #reopen(run: Running): Promise<void> {
    run.retry = undefined;
    if (this.#run !== run) return;
    const iface = this.#state.interface!;
    let live: LiveCapture;
    try {
      live = await openLive({ interface: iface, filter: this.#state.filter ?? undefined, bufferSize: this.#o.bufferBytes ?? LIVE_RING_BYTES });
    } catch (err) {
      if (this.#run !== run) return;
      run.retryMs = Math.min(run.retryMs * 2, RETRY_MAX_MS);
      return this.#interrupt(run, this.#privilegeHint(toStartError(err)).message);
    }
    if (this.#run !== run) return void live.stop();
    run.live = live;
    run.retryMs = RETRY_FIRST_MS;
    const gap = this.#state.interruptions.at(-1);
    if (gap) gap.to = Date.now() / 1000;
    this.#state.restarts++;
    this.#state.error = null;
    this.#startLiveHandle(run, live);
    this.#o.log?.(`capture: live on ${iface} again after ${gap ? Math.round((gap.to! - gap.from) * 10) / 10 : "?"} s`);
    this.#o.bus.publish({ type: "capture", event: "started", data: this.status() });
  }

  /** After dropping root, reopening a capture needs CAP_NET_RAW/CAP_NET_ADMIN: say so where it fails. */
  #privilegeHint(err: CaptureStartError): CaptureStartError {
    if (!this.#startedAsRoot || process.getuid?.() === 0 || !/permission|not permitted|privilege/i.test(err.message)) return err;
    return new CaptureStartError(
      `${err.message} (NetInsight dropped root after opening the capture; reopening it needs CAP_NET_RAW and CAP_NET_ADMIN: ` +
      "run it under the systemd unit, which grants them, or restart the service)", err.status, err.code);
  }

  /**
   * Feeds a capture file at `speed` times real time (0: as fast as possible); resolves once reading
   * began. `loop`: read it again and again, each pass shifted to follow the last (capture time only moves forward).
   */
  async startFile(path: string, speed: number, filter?: string, loop = false): Promise<CaptureState> {
    if (this.#run) throw new CaptureConflictError(`capture is already running (${this.#describe()})`);
    let source: OfflineSource;
    try {
      source = await openOffline(path, { filter, batchPackets: speed > 0 ? PACED_BATCH_PACKETS : undefined });
    } catch (err) {
      return this.#failStart(new CaptureStartError((err as Error).message, 400, "bad_file"));
    }
    let cancelled = false;
    const e = this.#o.engine.stats;
    const session = this.#o.sessions.begin("file", path, filter ?? null, Date.now() / 1000);
    this.#run = {
      kind: "file", session, cancel: () => (cancelled = true), packetsAtStart: e.packets, bytesAtStart: e.bytes,
      carried: { packets: 0, bytes: 0, drops: 0 }, retryMs: RETRY_FIRST_MS,
    };
    this.#begin("file", null, path, filter ?? null);
    this.#rateMark = { at: Date.now(), packets: e.packets, bytes: e.bytes };
    const reopen = loop ? () => openOffline(path, { filter, batchPackets: speed > 0 ? PACED_BATCH_PACKETS : undefined }) : null;
    this.feedDone = this.#feed(source, speed, () => cancelled, reopen);
    return this.status();
  }

  /**
   * The capture's own clock (epoch seconds): for a paced file being replayed, the file's time now
   * (it moves between packets, as a live capture's would); once the file stopped, that time moving
   * on with the wall clock; for live capture, the wall clock.
   */
  captureNow(lastSeen: number | null, wallNow = Date.now() / 1000): number {
    if (this.packetSource !== "file") return wallNow;
    let t: number;
    if (this.#run?.kind === "file") {
      const paced = this.#pacer?.timeAt(performance.now()) ?? null;
      t = paced === null ? lastSeen ?? wallNow : Math.max(paced, lastSeen ?? paced);
      this.#clockMark = { t, wall: wallNow };
    } else {
      // Stopped: the clock goes on from where the file left it, at the wall clock's pace.
      const mark = this.#clockMark ?? { t: lastSeen ?? wallNow, wall: wallNow };
      this.#clockMark = mark;
      t = mark.t + Math.max(0, wallNow - mark.wall);
    }
    return t;
  }

  async stop(): Promise<CaptureState> {
    if (!this.#run) throw new CaptureConflictError("capture is not running");
    this.#end(null);
    await this.feedDone;
    return this.status();
  }

  async #feed(source: OfflineSource, speed: number, cancelled: () => boolean, reopen: (() => Promise<OfflineSource>) | null): Promise<void> {
    const engine = this.#o.engine;
    let error: string | null = null;
    const pace = speed > 0 ? new Pacer(speed) : null;
    this.#pacer = pace;
    let slice = performance.now();
    /** Seconds added to this pass's time stamps, and the span of the pass's own ones. */
    let shift = 0;
    let pass = { first: Infinity, last: -Infinity };
    try {
      for (;;) {
        if (cancelled()) break;
        const batch = source.next();
        if (!batch) {
          // Looping: the next pass starts LOOP_GAP_SECONDS after this one ended (an empty file ends the loop).
          if (!reopen || cancelled() || pass.first === Infinity) break;
          shift += Math.ceil(pass.last - pass.first) + LOOP_GAP_SECONDS;
          pass = { first: Infinity, last: -Infinity };
          source.close();
          source = await reopen();
          continue;
        }
        if (reopen) {
          const span = shiftBatch(batch, shift);
          pass = { first: Math.min(pass.first, span.first), last: Math.max(pass.last, span.last) };
        }
        this.packetSource = "file";
        if (pace) {
          await pace.feed(batch, (part) => engine.processBatch(part, source.linkType), cancelled);
          this.#jit.lower();
          continue;
        }
        engine.processBatch(batch, source.linkType);
        this.#jit.lower();
        if (performance.now() - slice > FEED_SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          for (let behind = this.#o.backlog?.(); behind && !cancelled(); behind = this.#o.backlog?.()) await behind;
          slice = performance.now();
        }
      }
    } catch (err) {
      error = err instanceof CaptureFileError ? err.message : `reading ${source.path} failed: ${(err as Error).message}`;
    } finally {
      source.close();
    }
    const stopped = cancelled();
    if (this.#run?.kind === "file") this.#end(error);
    if (!error && !stopped) this.#o.log?.(`capture: finished reading ${source.path} (${engine.stats.packets} packets)`);
  }

  #begin(mode: "live" | "file", iface: string | null, file: string | null, filter: string | null): void {
    this.#state = {
      running: true, mode, interface: iface, file, filter, since: Date.now() / 1000, packets: 0, bytes: 0, drops: 0,
      packetsPerSecond: 0, bytesPerSecond: 0, error: null, restarts: 0, interruptions: [],
    };
    this.#o.bus.publish({ type: "capture", event: "started", data: this.status() });
  }

  #end(error: string | null): void {
    const r = this.#run;
    if (!r) return;
    const final = this.status();
    this.#run = null;
    r.cancel?.();
    if (r.retry) clearTimeout(r.retry);
    if (r.live) r.live.stop();
    const gap = this.#state.interruptions.at(-1);
    if (gap && gap.to === null) gap.to = Date.now() / 1000;
    this.#o.sessions.end(r.session, { stoppedAt: Date.now() / 1000, packets: final.packets, bytes: final.bytes, dropped: final.drops, error });
    Object.assign(this.#state, { running: false, packetsPerSecond: 0, bytesPerSecond: 0, error });
    this.#o.bus.publish({ type: "capture", event: error ? "error" : "stopped", data: this.status() });
    if (error) this.#o.log?.(`capture: ${error}`);
  }

  /**
   * A start that failed changes nothing but the error: the status keeps describing the capture that
   * ran (or none), never the interface or filter that was just refused.
   */
  #failStart(err: CaptureStartError): never {
    this.#state = { ...this.#state, running: false, error: err.message };
    this.#o.bus.publish({ type: "capture", event: "error", data: this.status() });
    throw err;
  }

  #describe(): string {
    return this.#state.mode === "file" ? `reading ${this.#state.file}` : `on ${this.#state.interface}`;
  }
}

function toStartError(err: unknown): CaptureStartError {
  const message = (err as Error).message;
  if (err instanceof CaptureError) {
    const userError = err.code === "NO_SUCH_DEVICE" || err.code === "BAD_FILTER" || err.code === "IFACE_DOWN";
    return new CaptureStartError(message, userError ? 400 : 503, err.code.toLowerCase());
  }
  if (/filter/i.test(message)) return new CaptureStartError(message, 400, "bad_filter");
  return new CaptureStartError(message, 503, "capture_unavailable");
}
