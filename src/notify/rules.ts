/**
 * What is worth a notification: turns the service's live events and health into Alerts. Threats at or
 * above the severity threshold (again only when they escalate), devices that are new and not marked
 * known, devices leaving and returning (optional), capture stopping or dropping packets, storage trouble.
 */
import type { EditedDevice } from "../devices/edit.ts";
import type { CaptureEventKind, LiveEvent, LiveStats } from "../service/bus.ts";
import type { CaptureState } from "../service/context.ts";
import type { Severity, Threat } from "../threats/model.ts";
import { severityRank, type Alert, type AlertDevice, type AlertThreat } from "./alert.ts";

export interface RuleSettings {
  minSeverity: Severity;
  newDevices: boolean;
  presence: "off" | "known" | "all";
  awayMinutes: number;
  dropsPerMinute: number;
  /** The live view's base URL, for links. */
  link: string;
}

/** The one place that decides whether a device counts as known (PATCH /api/devices/{id} sets `known`). */
export function isKnownDevice(d: EditedDevice): boolean {
  return d.edit?.known === true;
}

const DROP_WINDOW_MS = 60_000;

/** A flat copy of a device for channels, with the user's name and type when they gave one. */
export function alertDevice(d: EditedDevice): AlertDevice {
  return {
    id: d.id, mac: d.mac, ips: [...d.ips], name: d.edit?.name ?? d.name.value, hostname: d.hostname, vendor: d.vendor.value,
    type: d.edit?.type ?? d.type.value, firstSeen: d.firstSeen, lastSeen: d.lastSeen,
  };
}

export function alertThreat(t: Threat): AlertThreat {
  return {
    id: t.id, type: t.type, severity: t.severity, sourceIp: t.sourceIp, sourceMac: t.sourceMac, targetIp: t.targetIp,
    targetPort: t.targetPort, deviceId: t.deviceId, firstSeen: t.firstSeen, lastSeen: t.lastSeen, count: t.count, evidence: { ...t.evidence },
  };
}

export const deviceLabel = (d: AlertDevice): string => d.name ?? d.hostname ?? d.vendor ?? d.mac;

interface Presence { device: AlertDevice; known: boolean; away: boolean }

export class AlertRules {
  readonly #notifiedThreats = new Map<string, number>();
  readonly #presence = new Map<string, Presence>();
  readonly #problems = new Set<string>();
  #drops: { at: number; drops: number }[] = [];
  #captureFailed = false;

  constructor(readonly settings: RuleSettings, readonly emit: (a: Alert) => void, readonly now: () => number = Date.now) {}

  #link(fragment = ""): string {
    return `${this.settings.link.replace(/\/+$/, "")}/${fragment ? `#${fragment}` : ""}`;
  }

  onEvent(e: LiveEvent): void {
    switch (e.type) {
      case "threat": if (e.event !== "dismissed") this.#threat(e.data); return;
      case "device": this.#device(e.data, e.event === "new"); return;
      case "capture": this.#capture(e.event, e.data); return;
      case "stats": this.#stats(e.data); return;
      case "flow": return;
      default: {
        const unhandled: never = e;
        return unhandled;
      }
    }
  }

  #threat(data: Threat): void {
    const t = alertThreat(data);
    // New devices have their own rule (and the known-device check).
    if (t.type === "new_device") return;
    const rank = severityRank(t.severity);
    if (rank < severityRank(this.settings.minSeverity)) return;
    if ((this.#notifiedThreats.get(t.id) ?? -1) >= rank) return;
    this.#notifiedThreats.set(t.id, rank);
    this.emit({
      key: `threat:${t.id}`, kind: "threat", severity: t.severity,
      title: data.title, description: data.description,
      time: t.lastSeen || this.now() / 1000, count: 1, device: null, threat: t, link: this.#link(`threat-${t.id}`),
    });
  }

  #device(data: EditedDevice, isNew: boolean): void {
    const d = alertDevice(data);
    const known = isKnownDevice(data);
    if (isNew && this.settings.newDevices && !known) {
      const where = [d.ips.join(", "), d.vendor].filter(Boolean).join(", ");
      this.emit({
        key: `device:${d.id}`, kind: "device_new", severity: "medium", title: `New device: ${deviceLabel(d)}`,
        description: `A device not seen before joined the network: ${deviceLabel(d)} (${d.mac}${where ? `, ${where}` : ""}).`,
        time: d.firstSeen || this.now() / 1000, count: 1, device: d, threat: null, link: this.#link(`device-${d.id}`),
      });
    }
    if (this.settings.presence === "off") return;
    const p = this.#presence.get(d.id);
    if (p?.away && d.lastSeen > p.device.lastSeen && this.#watched(known)) {
      const awayMin = Math.round((d.lastSeen - p.device.lastSeen) / 60);
      this.emit({
        key: `presence:${d.id}:${d.lastSeen}`, kind: "device_returned", severity: "low", title: `${deviceLabel(d)} is back`,
        description: `${deviceLabel(d)} (${d.mac}) is on the network again after ${awayMin} min away.`,
        time: d.lastSeen, count: 1, device: d, threat: null, link: this.#link(`device-${d.id}`),
      });
    }
    this.#presence.set(d.id, { device: d, known, away: p?.away === true && d.lastSeen <= p.device.lastSeen });
  }

  #watched(known: boolean): boolean {
    return this.settings.presence === "all" || (this.settings.presence === "known" && known);
  }

  /**
   * Devices silent for ALERT_AWAY_MINUTES have left. "Now" is the newest activity of any device, so a
   * capture file read at full speed and a quiet capture (nothing newer) behave alike.
   */
  tick(): void {
    if (this.settings.presence === "off") return;
    let clock = 0;
    for (const p of this.#presence.values()) clock = Math.max(clock, p.device.lastSeen);
    for (const p of this.#presence.values()) {
      if (p.away || !this.#watched(p.known) || clock - p.device.lastSeen < this.settings.awayMinutes * 60) continue;
      p.away = true;
      const d = p.device;
      this.emit({
        key: `presence:${d.id}:${d.lastSeen}`, kind: "device_left", severity: "low", title: `${deviceLabel(d)} left`,
        description: `${deviceLabel(d)} (${d.mac}) has not been seen for ${this.settings.awayMinutes} min (last seen ${new Date(d.lastSeen * 1000).toISOString()}).`,
        time: clock, count: 1, device: d, threat: null, link: this.#link(`device-${d.id}`),
      });
    }
  }

  #capture(event: CaptureEventKind, s: CaptureState): void {
    const t = this.now() / 1000;
    const where = s.mode === "file" ? `reading ${s.file}` : `on ${s.interface ?? "?"}`;
    if (event === "error") {
      this.#captureFailed = true;
      this.emit({
        key: "capture:error", kind: "capture_error", severity: "high", title: "Capture failed",
        description: `Capture ${where} failed: ${s.error ?? "unknown error"}.`, time: t, count: 1, device: null, threat: null, link: this.#link(),
      });
    } else if (event === "stopped" && s.mode !== "file") {
      // The end of a capture file is not news; a live capture stopping is.
      this.emit({
        key: `capture:stopped:${Math.floor(t)}`, kind: "capture_stopped", severity: "medium", title: "Capture stopped",
        description: `Capture ${where} stopped; NetInsight sees no traffic until it is started again.`, time: t, count: 1, device: null, threat: null, link: this.#link(),
      });
    } else if ((event === "started" || event === "restarted") && this.#captureFailed) {
      this.#captureFailed = false;
      this.emit({
        key: `capture:resumed:${Math.floor(t)}`, kind: "capture_stopped", severity: "low", title: "Capture running again",
        description: `Capture ${where} is running again.`, time: t, count: 1, device: null, threat: null, link: this.#link(),
      });
    }
  }

  #stats(s: LiveStats): void {
    const drops = s.drops;
    const now = this.now();
    const last = this.#drops.at(-1);
    if (last && drops < last.drops) this.#drops = []; // a new capture: counters start again
    this.#drops.push({ at: now, drops });
    while (this.#drops.length > 1 && now - this.#drops[0].at > DROP_WINDOW_MS) this.#drops.shift();
    const dropped = drops - this.#drops[0].drops;
    if (dropped >= this.settings.dropsPerMinute) {
      this.emit({
        key: "capture:drops", kind: "capture_drops", severity: "medium", title: "Capture is dropping packets",
        description: `${dropped} packets dropped within a minute (${drops} since capture started): the box cannot keep up; a capture filter can leave out bulk traffic.`,
        time: now / 1000, count: 1, device: null, threat: null, link: this.#link(),
      });
      this.#drops = [{ at: now, drops }];
    }
  }

  /** Health problems about storage, memory or the pipeline: one alert when each starts. */
  onHealth(problems: string[]): void {
    const now = new Set<string>();
    for (const p of problems) {
      const category = /^(\w+):/.exec(p)?.[1] ?? "other";
      if (category === "capture" || category === "notify" || p.startsWith("pipeline: starting")) continue;
      now.add(category);
      if (this.#problems.has(category)) continue;
      this.emit({
        key: `health:${category}`, kind: "health", severity: "high", title: `NetInsight problem: ${category}`,
        description: p, time: this.now() / 1000, count: 1, device: null, threat: null, link: this.#link(),
      });
    }
    this.#problems.clear();
    for (const c of now) this.#problems.add(c);
  }
}
