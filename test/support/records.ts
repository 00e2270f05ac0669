/**
 * Whole domain records for tests that drive the LiveBus or a ServiceContext by hand: every field
 * set to a plain default, times in epoch seconds; pass what the test is about.
 */
import type { EditedDevice } from "../../src/devices/edit.ts";
import type { FlowRecord } from "../../src/flows/record.ts";
import type { LiveStats } from "../../src/service/bus.ts";
import type { CaptureState } from "../../src/service/context.ts";
import type { ThreatWithDismissal } from "../../src/threats/dismissal.ts";

/** 2026-11-25T18:00:00Z */
export const T_RECORDS = 1_795_629_600;

export function flowRecord(p: Partial<FlowRecord> & { id: string }): FlowRecord {
  return {
    protocol: "TCP", ipProtocol: 6, ipVersion: 4, srcIp: "10.213.0.2", srcPort: 40000, dstIp: "10.213.0.1", dstPort: 443,
    srcMac: null, dstMac: null, vlan: 0, packetsSent: 1, bytesSent: 0, packetsReceived: 0, bytesReceived: 0,
    startTime: T_RECORDS, lastSeen: T_RECORDS, status: "active", tcpState: "established", tcpFlags: "SA", service: null,
    serviceBy: null, hostname: null, application: null, category: null, srcDeviceId: null, dstDeviceId: null, ...p,
  };
}

export function deviceRecord(p: Partial<EditedDevice> & { id: string }): EditedDevice {
  const label = { value: null, confidence: 0 };
  return {
    mac: p.id.replace(/(..)(?!$)/g, "$1:"), macs: [], ips: [], vendor: label, hostname: null, name: label, type: label, os: label,
    isRandomizedMac: false, isGateway: false, firstSeen: T_RECORDS, lastSeen: T_RECORDS, packetsSent: 0, bytesSent: 0,
    packetsReceived: 0, bytesReceived: 0, flowCount: 0, evidence: [], edit: null, ...p,
  };
}

export function threatRecord(p: Partial<ThreatWithDismissal> & { id: string }): ThreatWithDismissal {
  return {
    type: "port_scan", severity: "high", title: `Port scan ${p.id}`, description: "", sourceIp: null, sourceMac: null,
    targetIp: null, targetPort: null, deviceId: null, firstSeen: T_RECORDS, lastSeen: T_RECORDS, count: 1, evidence: {},
    status: "active", dismissal: null, ...p,
  };
}

export function captureState(p: Partial<CaptureState> = {}): CaptureState {
  return {
    running: false, mode: null, interface: null, file: null, filter: null, since: null, packets: 0, bytes: 0, drops: 0,
    packetsPerSecond: 0, bytesPerSecond: 0, error: null, restarts: 0, interruptions: [], ...p,
  };
}

export function liveStats(p: Partial<LiveStats> = {}): LiveStats {
  return { time: T_RECORDS, packetsPerSecond: 0, bytesPerSecond: 0, activeFlows: 0, devices: 0, drops: 0, packets: 0, bytes: 0, ...p };
}
