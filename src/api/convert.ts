/** Domain records (epoch seconds) to the API's JSON shapes (ISO-8601 UTC): used by route handlers and the WebSocket hub only. */
import type { DeviceEdit } from "../devices/edit.ts";
import type { Device } from "../devices/model.ts";
import type { LiveStats } from "../service/bus.ts";
import type { CaptureState, HealthState } from "../service/context.ts";
import type { ThreatDismissal } from "../threats/dismissal.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { Threat } from "../threats/model.ts";
import type { ChannelStatus } from "../notify/status.ts";
import type { ApiCaptureStatus, ApiChannelStatus, ApiDevice, ApiFlow, ApiHealth, ApiThreat } from "./schemas.ts";

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

/** A user's name and type win over the guesses (confidence 1); the guesses stay in `suggested`. */
export function toApiDevice(d: Device & { edit?: DeviceEdit | null }): ApiDevice {
  const { edit: e = null, ...device } = d;
  return {
    ...device,
    name: e?.name ? { value: e.name, confidence: 1 } : d.name,
    type: e?.type ? { value: e.type, confidence: 1 } : d.type,
    notes: e?.notes ?? null,
    known: e?.known ?? false,
    suggested: { name: d.name, type: d.type },
    edited: e && { name: e.name, type: e.type, notes: e.notes, known: e.known, updatedAt: iso(e.updatedAt) },
    firstSeen: iso(d.firstSeen),
    lastSeen: iso(d.lastSeen),
    evidence: d.evidence.map((ev) => ({ ...ev, firstSeen: iso(ev.firstSeen), lastSeen: iso(ev.lastSeen) })),
  };
}

export function toApiThreat(t: Threat & { dismissal?: ThreatDismissal | null }): ApiThreat {
  const { dismissal = null, ...threat } = t;
  return {
    ...threat, firstSeen: iso(t.firstSeen), lastSeen: iso(t.lastSeen),
    dismissedAt: dismissal ? iso(dismissal.at) : null, dismissedBy: dismissal?.by ?? null,
  };
}

export function toApiCaptureStatus(s: CaptureState): ApiCaptureStatus {
  return {
    ...s,
    since: isoOrNull(s.since),
    interruptions: s.interruptions.map((g) => ({ from: isoOrNull(g.from)!, to: isoOrNull(g.to), reason: g.reason })),
  };
}

export function toApiHealth(h: HealthState): ApiHealth {
  return {
    status: h.problems.length ? "degraded" : "ok",
    version: h.version,
    uptimeSeconds: h.uptimeSeconds,
    captureRunning: h.captureRunning,
    database: {
      ok: h.dbOk,
      sizeBytes: h.dbSizeBytes,
      pendingRows: h.pendingRows,
      droppedRows: h.droppedRows,
      lastFlush: isoOrNull(h.lastFlushAt === null ? null : h.lastFlushAt / 1000),
      lastFlushError: h.lastFlushError,
    },
    problems: h.problems,
    notifications: (h.notifications ?? []).map(toApiChannel),
  };
}

const isoMs = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A notification channel's delivery status (GET /api/health, GET /api/notifications). */
export function toApiChannel(c: ChannelStatus): ApiChannelStatus {
  return {
    name: c.name, pending: c.pending, delivered: c.delivered, failedAttempts: c.failedAttempts, abandoned: c.abandoned,
    lastDelivered: isoMs(c.lastDeliveredAt), lastError: c.lastError, failingSince: isoMs(c.failingSince),
  };
}

/** The live stats message body (ws/messages.ts StatsPayload). */
export function toApiStats(s: LiveStats) {
  return { ...s, time: new Date(s.time * 1000).toISOString() };
}
