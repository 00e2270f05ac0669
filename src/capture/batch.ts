/**
 * A batch of packets as the shim lays them out in one buffer, and the walk over it.
 * Record: u32 ts_sec, u32 ts_usec, u32 caplen, u32 origlen, caplen bytes, padding to 8; or, for a
 * window of a mapped pcap file (`recordPad` 0), the records as they lie in the file (no padding).
 */
export const RECORD_HEADER = 16;

export interface PacketBatch {
  /** The shared buffer; valid until the source's next read. */
  bytes: Uint8Array;
  view: DataView;
  /** Packets in the batch. */
  count: number;
  /** Bytes of `bytes` in use. */
  used: number;
  /** Records are padded to a multiple of recordPad + 1 bytes: 7 (the default) or 0 (a mapped file). */
  recordPad?: number;
}

export function newBatch(size: number): PacketBatch {
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer), count: 0, used: 0 };
}

/** Offset of the record after the one at `off` with `caplen` bytes (`pad`: the batch's recordPad). */
export function nextRecord(off: number, caplen: number, pad = 7): number {
  return off + ((RECORD_HEADER + caplen + pad) & ~pad);
}

/** Appends one packet to a batch in the shim's layout (tests and synthetic sources). */
export function appendPacket(batch: PacketBatch, tsSec: number, tsUsec: number, data: Uint8Array, origLen = data.length): boolean {
  const off = batch.used;
  const end = nextRecord(off, data.length);
  if (end > batch.bytes.length) return false;
  batch.view.setUint32(off, tsSec, true);
  batch.view.setUint32(off + 4, tsUsec, true);
  batch.view.setUint32(off + 8, data.length, true);
  batch.view.setUint32(off + 12, origLen, true);
  batch.bytes.set(data, off + RECORD_HEADER);
  batch.used = end;
  batch.count++;
  return true;
}
