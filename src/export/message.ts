/**
 * What IPFIX and NetFlow v9 messages share: a header, then sets (flowsets) of template or data
 * records, filled up to a maximum size and handed out whole. The formats differ in the header,
 * the template set id and what the sequence number counts (ipfix.ts, netflow9.ts).
 */
import { RecordWriter, recordSize, templateSize, writeRecord, writeTemplate, type ExportRecord, type Template } from "./templates.ts";

/** Fits one Ethernet frame with IP (v4 or v6) and UDP headers: no fragmented datagrams. */
export const DEFAULT_MAX_MESSAGE = 1400;
/** RFC 7011: the message length field is 16 bits. */
export const MAX_MESSAGE = 65535;

export interface FlowEncoder {
  readonly format: "ipfix" | "netflow9";
  /** Chooses the template of a record (address family, biflow or uniflow). */
  template(r: ExportRecord): Template;
  /** Adds a data record; full messages go to the sink. */
  add(r: ExportRecord): void;
  /** Sends every template (start, the UDP refresh schedule, a new TCP connection). */
  sendTemplates(): void;
  /** Hands out the message being filled, if it has records. */
  flush(): void;
  /** A new transport session (TCP reconnect): sequence numbers start again. */
  resetSession(): void;
  /** Data records added so far (the IPFIX sequence number of the next message). */
  readonly records: number;
}

export abstract class MessageEncoder implements FlowEncoder {
  abstract readonly format: "ipfix" | "netflow9";
  protected readonly buf: Uint8Array;
  protected readonly w: RecordWriter;
  /** Offset of the open set's header, -1 when no set is open. */
  #setStart = -1;
  #setId = -1;
  /** Records (data and template) in the message being filled. */
  protected recordsInMessage = 0;
  protected dataRecordsInMessage = 0;
  records = 0;

  constructor(
    protected readonly templates: readonly Template[],
    protected readonly sink: (message: Uint8Array) => void,
    /** Bytes of the format's header, written last over the start of the message. */
    protected readonly headerSize: number,
    readonly maxSize = DEFAULT_MAX_MESSAGE,
  ) {
    this.buf = new Uint8Array(Math.min(maxSize, MAX_MESSAGE));
    this.w = new RecordWriter(this.buf);
    this.w.off = headerSize;
  }

  protected abstract readonly templateSetId: number;
  /** Sets are padded to this many bytes (NetFlow v9 pads flowsets to 32 bits; IPFIX needs none). */
  protected abstract readonly setAlign: number;
  /** Writes the header over the first headerSize bytes once the message is complete. */
  protected abstract writeHeader(length: number): void;
  abstract resetSession(): void;
  abstract template(r: ExportRecord): Template;

  add(r: ExportRecord): void {
    const t = this.template(r);
    const size = recordSize(t, r);
    if (size + 4 + this.headerSize > this.buf.length) return; // cannot happen with the bounded labels
    this.#room(t.id, size);
    writeRecord(this.w, t, r);
    this.recordsInMessage++;
    this.dataRecordsInMessage++;
  }

  sendTemplates(): void {
    this.flush();
    for (const t of this.templates) {
      this.#room(this.templateSetId, templateSize(t));
      writeTemplate(this.w, t);
      this.recordsInMessage++;
    }
    this.flush();
  }

  flush(): void {
    if (this.recordsInMessage === 0) return;
    this.#closeSet();
    const length = this.w.off;
    this.writeHeader(length);
    this.records += this.dataRecordsInMessage;
    this.sink(this.buf.slice(0, length));
    this.w.off = this.headerSize;
    this.recordsInMessage = this.dataRecordsInMessage = 0;
  }

  /** Makes room for `size` bytes in a set with id `setId`, closing the set or the message as needed. */
  #room(setId: number, size: number): void {
    const needSet = this.#setId !== setId;
    const pad = this.setAlign - 1;
    if (this.w.off + (needSet ? 4 : 0) + size + pad > this.buf.length) this.flush();
    if (this.#setId !== setId || this.#setStart < 0) {
      this.#closeSet();
      this.#setStart = this.w.off;
      this.#setId = setId;
      this.w.u16(setId);
      this.w.u16(0); // length, written when the set closes
    }
  }

  #closeSet(): void {
    if (this.#setStart < 0) return;
    while ((this.w.off - this.#setStart) % this.setAlign !== 0) this.w.u8(0);
    this.w.view.setUint16(this.#setStart + 2, this.w.off - this.#setStart);
    this.#setStart = -1;
    this.#setId = -1;
  }
}
