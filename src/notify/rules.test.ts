import { describe, expect, test } from "bun:test";
import type { EditedDevice } from "../devices/edit.ts";
import type { LiveEvent } from "../service/bus.ts";
import type { CaptureState } from "../service/context.ts";
import type { ThreatWithDismissal } from "../threats/dismissal.ts";
import type { Alert } from "./alert.ts";
import { AlertRules, type RuleSettings } from "./rules.ts";

const SETTINGS: RuleSettings = { minSeverity: "medium", newDevices: true, presence: "off", awayMinutes: 15, dropsPerMinute: 1000, link: "http://pi:8000" };

function rules(over: Partial<RuleSettings> = {}, now = () => 1_800_000_000_000) {
  const out: Alert[] = [];
  return { r: new AlertRules({ ...SETTINGS, ...over }, (a) => out.push(a), now), out };
}

const threat = (over: Record<string, unknown> = {}) => ({ dismissal: null,
  id: "7", type: "port_scan", severity: "high", title: "Port scan of 10.0.0.1", description: "120 ports", sourceIp: "10.0.0.9", sourceMac: null,
  targetIp: "10.0.0.1", targetPort: null, deviceId: null, firstSeen: 1000, lastSeen: 1060, count: 1, evidence: { ports: 120 }, status: "active", ...over,
}) as ThreatWithDismissal;
const device = (over: Record<string, unknown> = {}) => ({
  id: "a483e7223344", mac: "a4:83:e7:22:33:44", macs: [], ips: ["10.0.0.5"], vendor: { value: "Apple", confidence: 0.9 }, hostname: "alice-mbp",
  name: { value: "alice-mbp", confidence: 0.8 }, type: { value: "computer", confidence: 0.7 }, firstSeen: 1000, lastSeen: 1000, edit: null, ...over,
}) as unknown as EditedDevice;
const known = { deviceId: "a483e7223344", name: null, type: null, notes: null, known: true, updatedAt: 0 };
const capture = (o: Partial<CaptureState>) => o as CaptureState;
const stats = (drops: number) => ({ time: 0, packetsPerSecond: 0, bytesPerSecond: 0, activeFlows: 0, devices: 0, drops, packets: 0, bytes: 0 });
const ev = (e: LiveEvent) => e;

describe("alert rules", () => {
  test("threats at or above the threshold, once, and again only when they escalate", () => {
    const { r, out } = rules();
    r.onEvent(ev({ type: "threat", event: "new", data: threat({ severity: "low", id: "1" }) }));
    r.onEvent(ev({ type: "threat", event: "new", data: threat() }));
    r.onEvent(ev({ type: "threat", event: "updated", data: threat({ count: 50 }) }));
    r.onEvent(ev({ type: "threat", event: "updated", data: threat({ severity: "critical", count: 90 }) }));
    r.onEvent(ev({ type: "threat", event: "new", data: threat({ id: "8", type: "new_device", severity: "critical" }) }));
    expect(out.map((a) => [a.key, a.severity, a.title])).toEqual([
      ["threat:7", "high", "Port scan of 10.0.0.1"],
      ["threat:7", "critical", "Port scan of 10.0.0.1"],
    ]);
    expect(out[0]).toMatchObject({ kind: "threat", link: "http://pi:8000/#threat-7", threat: { id: "7", targetIp: "10.0.0.1", lastSeen: 1060 } });
  });

  test("new devices unless marked known; the user's name wins", () => {
    const { r, out } = rules();
    r.onEvent(ev({ type: "device", event: "new", data: device() }));
    r.onEvent(ev({ type: "device", event: "new", data: device({ id: "b", edit: { ...known, deviceId: "b" } }) }));
    r.onEvent(ev({ type: "device", event: "updated", data: device({ lastSeen: 2000 }) }));
    r.onEvent(ev({ type: "device", event: "new", data: device({ id: "c", edit: { ...known, known: false, name: "Anna's phone" } }) }));
    expect(out.map((a) => a.key)).toEqual(["device:a483e7223344", "device:c"]);
    expect(out[0]).toMatchObject({
      kind: "device_new", title: "New device: alice-mbp",
      device: { id: "a483e7223344", name: "alice-mbp", vendor: "Apple", type: "computer", ips: ["10.0.0.5"], firstSeen: 1000 },
    });
    expect(out[1].title).toBe("New device: Anna's phone");
    expect(rules({ newDevices: false }).out.length).toBe(0);
  });

  test("presence: a watched device silent for ALERT_AWAY_MINUTES left; activity again is a return", () => {
    const { r, out } = rules({ presence: "known", awayMinutes: 10 });
    r.onEvent(ev({ type: "device", event: "updated", data: device({ edit: known, lastSeen: 1000 }) }));
    r.onEvent(ev({ type: "device", event: "updated", data: device({ id: "other", lastSeen: 1000 }) }));
    r.onEvent(ev({ type: "device", event: "updated", data: device({ id: "clock", lastSeen: 1500 }) }));
    r.tick();
    expect(out.length).toBe(0);
    r.onEvent(ev({ type: "device", event: "updated", data: device({ id: "clock", lastSeen: 1700 }) }));
    r.tick();
    r.tick();
    expect(out.map((a) => [a.kind, a.device!.id])).toEqual([["device_left", "a483e7223344"]]);
    r.onEvent(ev({ type: "device", event: "updated", data: device({ edit: known, lastSeen: 1800 }) }));
    expect(out.map((a) => a.kind)).toEqual(["device_left", "device_returned"]);
    expect(out[1].description).toContain("after 13 min away");
  });

  test("capture: an error and a live stop are news, the end of a file is not; drops over the threshold", () => {
    let now = 1_800_000_000_000;
    const { r, out } = rules({ dropsPerMinute: 100 }, () => now);
    r.onEvent(ev({ type: "capture", event: "stopped", data: capture({ mode: "file", file: "x.pcap" }) }));
    r.onEvent(ev({ type: "capture", event: "error", data: capture({ mode: "live", interface: "eth0", error: "interface went away" }) }));
    r.onEvent(ev({ type: "capture", event: "started", data: capture({ mode: "live", interface: "eth0" }) }));
    r.onEvent(ev({ type: "capture", event: "stopped", data: capture({ mode: "live", interface: "eth0" }) }));
    for (const drops of [0, 40, 90, 150]) {
      r.onEvent(ev({ type: "stats", data: stats(drops) }));
      now += 1000;
    }
    expect(out.map((a) => [a.kind, a.title])).toEqual([
      ["capture_error", "Capture failed"], ["capture_stopped", "Capture running again"], ["capture_stopped", "Capture stopped"],
      ["capture_drops", "Capture is dropping packets"],
    ]);
    expect(out[3].description).toStartWith("150 packets dropped within a minute");
  });

  test("health: one alert per storage or memory problem while it lasts", () => {
    const { r, out } = rules();
    r.onHealth(["pipeline: starting"]);
    r.onHealth(["storage: last write failed (database or disk is full); 10 rows waiting", "capture: no such interface"]);
    r.onHealth(["storage: last write failed (database or disk is full); 20 rows waiting"]);
    r.onHealth([]);
    r.onHealth(["storage: last write failed (disk I/O error); 5 rows waiting"]);
    expect(out.map((a) => [a.key, a.description])).toEqual([
      ["health:storage", "storage: last write failed (database or disk is full); 10 rows waiting"],
      ["health:storage", "storage: last write failed (disk I/O error); 5 rows waiting"],
    ]);
  });
});
