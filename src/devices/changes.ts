/**
 * Device change events: "new" exactly once per device, "updated" at most once per device per
 * UPDATE_INTERVAL_SECONDS (changes in between are coalesced), and merges of a new MAC into a device.
 */
import type { Device } from "./model.ts";
import type { DeviceState } from "./state.ts";

/** At most one "updated" event per device per this many seconds. */
export const UPDATE_INTERVAL_SECONDS = 1;

export type DeviceListener = (device: Device, isNew: boolean) => void;
export type MergeListener = (fromId: string, intoId: string) => void;

export class ChangeFeed {
  private readonly pending = new Set<DeviceState>();
  private readonly listeners: DeviceListener[] = [];
  private readonly mergeListeners: MergeListener[] = [];

  /** Returns an unsubscribe function. */
  onChange(fn: DeviceListener): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  onMerge(fn: MergeListener): void {
    this.mergeListeners.push(fn);
  }

  changed(st: DeviceState): void {
    // The device's flag says it is pending already (every flow end lands here): no Set probe.
    if (st.dirty) return;
    st.dirty = true;
    this.pending.add(st);
  }

  /** The device is gone (evicted or merged): nothing more is said about it. */
  forget(st: DeviceState): void {
    st.dirty = false;
    this.pending.delete(st);
  }

  merged(fromId: string, intoId: string): void {
    for (const fn of this.mergeListeners) {
      try { fn(fromId, intoId); } catch { /* a listener's failure must not stop capture */ }
    }
  }

  /** Emits what is due at `now` (capture time). */
  tick(now: number): void {
    for (const st of this.pending) {
      if (st.emittedNew && now - st.lastEmit < UPDATE_INTERVAL_SECONDS) continue;
      this.emit(st, now);
    }
  }

  /** Emits every pending change now (end of a capture file, shutdown). */
  flush(): void {
    for (const st of this.pending) this.emit(st, st.device.lastSeen);
  }

  private emit(st: DeviceState, now: number): void {
    st.dirty = false;
    this.pending.delete(st);
    const isNew = !st.emittedNew;
    st.emittedNew = true;
    st.lastEmit = now;
    if (this.listeners.length === 0) return;
    const snap = st.snapshot();
    for (const fn of this.listeners) {
      try { fn(snap, isNew); } catch { /* a listener's failure must not stop capture */ }
    }
  }
}
