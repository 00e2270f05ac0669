/**
 * IPFIX messages (RFC 7011): a 16-byte header (version 10, length, export time, sequence number,
 * observation domain), a template set (id 2) and data sets (id = template id).
 */
import { MessageEncoder } from "./message.ts";
import { IPFIX_TEMPLATES, type ExportRecord, type Template } from "./templates.ts";

export const IPFIX_VERSION = 10;
export const IPFIX_TEMPLATE_SET = 2;

export interface IpfixOptions {
  /** RFC 5103 biflow records (reverse counters under enterprise 29305) instead of one record per direction. */
  biflow: boolean;
  observationDomain: number;
  maxSize?: number;
  /** Export time in epoch seconds (default: the wall clock). */
  now?: () => number;
}

export class IpfixEncoder extends MessageEncoder {
  readonly format = "ipfix" as const;
  protected readonly templateSetId = IPFIX_TEMPLATE_SET;
  protected readonly setAlign = 1;
  readonly #o: IpfixOptions;
  /** Data records sent in this transport session before the current message (RFC 7011 section 3.1). */
  #sequence = 0;

  constructor(opts: IpfixOptions, sink: (message: Uint8Array) => void) {
    const t = IPFIX_TEMPLATES;
    super(opts.biflow ? [t.biflow4, t.biflow6] : [t.uniflow4, t.uniflow6], sink, 16, opts.maxSize);
    this.#o = opts;
  }

  template(r: ExportRecord): Template {
    const t = IPFIX_TEMPLATES;
    if (this.#o.biflow) return r.ipVersion === 6 ? t.biflow6 : t.biflow4;
    return r.ipVersion === 6 ? t.uniflow6 : t.uniflow4;
  }

  protected writeHeader(length: number): void {
    const v = this.w.view;
    v.setUint16(0, IPFIX_VERSION);
    v.setUint16(2, length);
    v.setUint32(4, Math.floor(this.#o.now?.() ?? Date.now() / 1000) >>> 0);
    v.setUint32(8, this.#sequence >>> 0);
    v.setUint32(12, this.#o.observationDomain >>> 0);
    this.#sequence = (this.#sequence + this.dataRecordsInMessage) % 0x1_0000_0000;
  }

  resetSession(): void {
    this.flush();
    this.#sequence = 0;
  }
}
