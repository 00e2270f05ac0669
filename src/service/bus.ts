/**
 * The live event bus between the running pipeline and its listeners (the WebSocket hub, storage,
 * notifications). It carries domain records (epoch-second times); each edge converts them to its
 * own wire shape (ws/hub.ts: toApi*). A new topic is one member of LiveEvent; the compiler then
 * points at every switch over `type` that must handle it.
 */
import type { EditedDevice } from "../devices/edit.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { ThreatWithDismissal } from "../threats/dismissal.ts";
import type { CaptureState } from "./context.ts";

/** Once a second: the pipeline's counters. */
export interface LiveStats {
  /** Epoch seconds. */
  time: number;
  packetsPerSecond: number;
  bytesPerSecond: number;
  activeFlows: number;
  devices: number;
  drops: number;
  packets: number;
  bytes: number;
}

export type FlowEventKind = "new" | "updated" | "closed";
export type DeviceEventKind = "new" | "updated";
export type ThreatEventKind = "new" | "updated" | "dismissed";
/** "restarted": the pipeline worker died and a new one took over (and resumed live capture). */
export type CaptureEventKind = "started" | "stopped" | "error" | "restarted";

export type LiveEvent =
  | { type: "stats"; data: LiveStats }
  | { type: "flow"; event: FlowEventKind; data: FlowRecord }
  | { type: "device"; event: DeviceEventKind; data: EditedDevice }
  | { type: "threat"; event: ThreatEventKind; data: ThreatWithDismissal }
  | { type: "capture"; event: CaptureEventKind; data: CaptureState };

export type LiveEventType = LiveEvent["type"];

export type LiveListener = (e: LiveEvent) => void;

export class LiveBus {
  #listeners = new Set<LiveListener>();

  subscribe(fn: LiveListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  publish(e: LiveEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(e);
      } catch (err) {
        console.error(`live listener failed: ${(err as Error).message}`);
      }
    }
  }
}
