/** Internal records (epoch seconds) to the API's JSON shapes (ISO-8601 UTC). Used by routes and the live bus. */
import type { Device } from "../devices/model.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { Threat } from "../threats/model.ts";
import type { ApiDevice, ApiFlow, ApiThreat } from "./schemas.ts";

export function iso(epochSeconds: number): string {
  return new Date(Math.round(epochSeconds * 1000)).toISOString();
}

export function isoOrNull(epochSeconds: number | null | undefined): string | null {
  return epochSeconds == null || !Number.isFinite(epochSeconds) ? null : iso(epochSeconds);
}

export function toApiFlow(f: FlowRecord): ApiFlow {
  return {
    ...f,
    startTime: iso(f.startTime),
    lastSeen: iso(f.lastSeen),
    durationSeconds: Math.max(0, Math.round((f.lastSeen - f.startTime) * 1e6) / 1e6),
  };
}

export function toApiDevice(d: Device): ApiDevice {
  return {
    ...d,
    firstSeen: iso(d.firstSeen),
    lastSeen: iso(d.lastSeen),
    evidence: d.evidence.map((e) => ({ ...e, firstSeen: iso(e.firstSeen), lastSeen: iso(e.lastSeen) })),
  };
}

export function toApiThreat(t: Threat): ApiThreat {
  return { ...t, firstSeen: iso(t.firstSeen), lastSeen: iso(t.lastSeen) };
}
