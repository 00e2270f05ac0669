/**
 * Paces a capture file: hands its packets to the engine at `speed` times the pace of their time
 * stamps, in runs, sleeping between them and yielding when it has to catch up.
 */
import { nextRecord, type PacketBatch } from "../capture/batch.ts";

/** Longest stretch of feeding before yielding to the event loop (fast feeds and catching up). */
export const FEED_SLICE_MS = 8;
/** How early a paced packet may be handed out (one wake-up per this many ms at most). */
export const PACE_SLACK_MS = 10;
/** Longest single sleep while pacing, so a stop is noticed quickly. */
const MAX_SLEEP_MS = 250;

/** Hands out a file's packets at `speed` times the pace of their time stamps. */
export class Pacer {
  #firstTs: number | null = null;
  #wallStart = 0;

  constructor(readonly speed: number) {}

  /** The file's time at `perfNow` (performance.now() ms) as the pacing maps it; null before the first packet. */
  timeAt(perfNow: number): number | null {
    return this.#firstTs === null ? null : this.#firstTs + ((perfNow - this.#wallStart) / 1000) * this.speed;
  }

  /** Feeds the batch in runs of packets that are due, sleeping until the next one is. */
  async feed(batch: PacketBatch, process: (part: PacketBatch) => void, cancelled: () => boolean): Promise<void> {
    const { view } = batch;
    let runStart = 0;
    let runCount = 0;
    let off = 0;
    let slice = performance.now();
    for (let n = 0; n < batch.count; n++) {
      const ts = view.getUint32(off, true) + view.getUint32(off + 4, true) / 1e6;
      if (this.#firstTs === null) {
        this.#firstTs = ts;
        this.#wallStart = performance.now();
      }
      const due = this.#wallStart + ((ts - this.#firstTs) * 1000) / this.speed;
      const now = performance.now();
      // Packets due within PACE_SLACK_MS go now: sleeping per packet would cost more than the packets.
      const early = due > now + PACE_SLACK_MS;
      // Behind schedule (a busy moment): catch up in slices, letting the API answer in between.
      const overSlice = now - slice > FEED_SLICE_MS;
      if (early || overSlice) {
        if (runCount > 0) process(subBatch(batch, runStart, off, runCount));
        runStart = off;
        runCount = 0;
        if (early) {
          for (let wait = due - performance.now(); wait > 0 && !cancelled(); wait = due - performance.now()) {
            await Bun.sleep(Math.min(wait, MAX_SLEEP_MS));
          }
        } else {
          await new Promise((r) => setImmediate(r));
        }
        if (cancelled()) return;
        slice = performance.now();
      }
      runCount++;
      off = nextRecord(off, view.getUint32(off + 8, true));
    }
    if (runCount > 0) process(subBatch(batch, runStart, off, runCount));
  }
}

/** Records [start, end) of a batch as a batch of their own (same memory). */
function subBatch(batch: PacketBatch, start: number, end: number, count: number): PacketBatch {
  const bytes = batch.bytes.subarray(start, end);
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), count, used: end - start };
}
