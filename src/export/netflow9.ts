/**
 * NetFlow v9 messages (RFC 3954) for older collectors: a 20-byte header (version 9, record count,
 * uptime, export time, packet sequence, source id), template flowset 0, data flowsets padded to
 * 32 bits. No enterprise or variable-length fields, so only the standard elements go out.
 */
import { MessageEncoder } from "./message.ts";
import { NETFLOW9_TEMPLATES, type ExportRecord, type Template } from "./templates.ts";

export const NETFLOW9_VERSION = 9;

export interface Netflow9Options {
  sourceId: number;
  maxSize?: number;
  /** Epoch milliseconds (default: the wall clock). */
  nowMs?: () => number;
}

export class Netflow9Encoder extends MessageEncoder {
  readonly format = "netflow9" as const;
  protected readonly templateSetId = 0;
  protected readonly setAlign = 4;
  readonly #o: Netflow9Options;
  readonly #bootMs: number;
  /** RFC 3954: counts export packets, not records. */
  #sequence = 0;

  constructor(opts: Netflow9Options, sink: (message: Uint8Array) => void) {
    super([NETFLOW9_TEMPLATES.uniflow4, NETFLOW9_TEMPLATES.uniflow6], sink, 20, opts.maxSize);
    this.#o = opts;
    this.#bootMs = this.#now();
  }

  #now(): number {
    return this.#o.nowMs?.() ?? Date.now();
  }

  template(r: ExportRecord): Template {
    return r.ipVersion === 6 ? NETFLOW9_TEMPLATES.uniflow6 : NETFLOW9_TEMPLATES.uniflow4;
  }

  protected writeHeader(_length: number): void {
    const v = this.w.view;
    const now = this.#now();
    v.setUint16(0, NETFLOW9_VERSION);
    v.setUint16(2, this.recordsInMessage);
    v.setUint32(4, (now - this.#bootMs) >>> 0);
    v.setUint32(8, Math.floor(now / 1000) >>> 0);
    v.setUint32(12, this.#sequence >>> 0);
    v.setUint32(16, this.#o.sourceId >>> 0);
    this.#sequence = (this.#sequence + 1) % 0x1_0000_0000;
  }

  resetSession(): void {
    this.flush();
    this.#sequence = 0;
  }
}
