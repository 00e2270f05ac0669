/**
 * The API's JSON shapes as zod schemas (the OpenAPI document is generated from them). camelCase
 * fields, ISO-8601 UTC times, string ids.
 */
import { z } from "@hono/zod-openapi";
import { THREAT_TYPES } from "../threats/model.ts";

const Iso = (example: string) => z.string().openapi({ format: "date-time", example });
const T0 = "2026-11-25T18:00:00.000Z";
const T1 = "2026-11-25T18:05:00.000Z";

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().openapi({ example: "invalid_request" }),
    message: z.string().openapi({ example: "limit: Too big: expected number to be <=1000" }),
    details: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())])
      .openapi({ description: "what the error adds to its message (the parameter, the limit, the allowed methods); {} when nothing" }),
  }),
}).openapi("Error");

export const FlowSchema = z.object({
  id: z.string().openapi({ example: "1042" }),
  protocol: z.enum(["TCP", "UDP", "ICMP", "ICMPv6", "ARP", "IGMP", "GRE", "ESP", "SCTP", "OTHER"]),
  ipProtocol: z.number().int().openapi({ example: 6 }),
  ipVersion: z.union([z.literal(4), z.literal(6), z.literal(0)]),
  srcIp: z.string().openapi({ example: "192.168.1.23", description: "initiator (sender of the first packet)" }),
  srcPort: z.number().int().openapi({ example: 51544 }),
  dstIp: z.string().openapi({ example: "142.250.74.110" }),
  dstPort: z.number().int().openapi({ example: 443 }),
  srcMac: z.string().nullable().openapi({ example: "a4:c3:f0:12:34:56" }),
  dstMac: z.string().nullable().openapi({ example: "b8:27:eb:aa:bb:cc" }),
  vlan: z.number().int().openapi({ example: 0 }),
  packetsSent: z.number().int().openapi({ example: 12, description: "src -> dst" }),
  bytesSent: z.number().int().openapi({ example: 1830, description: "whole frame lengths, src -> dst" }),
  packetsReceived: z.number().int().openapi({ example: 10 }),
  bytesReceived: z.number().int().openapi({ example: 9120 }),
  startTime: Iso(T0),
  lastSeen: Iso(T1),
  durationSeconds: z.number().openapi({ example: 300 }),
  status: z.enum(["active", "closed"]),
  tcpState: z.enum(["attempt", "established", "closed", "reset"]).nullable(),
  tcpFlags: z.string().openapi({ example: "SAFP", description: "flags seen either way, in the order S A F R P U E C" }),
  service: z.string().nullable().openapi({ example: "TLS" }),
  serviceBy: z.enum(["payload", "port"]).nullable(),
  hostname: z.string().nullable().openapi({ example: "www.youtube.com" }),
  application: z.string().nullable().openapi({ example: "YouTube" }),
  category: z.string().nullable().openapi({ example: "video" }),
  srcDeviceId: z.string().nullable().openapi({ example: "a4c3f0123456" }),
  dstDeviceId: z.string().nullable(),
}).openapi("Flow");

const LabelSchema = z.object({ value: z.string().nullable(), confidence: z.number().min(0).max(1) });

export const EvidenceSchema = z.object({
  signal: z.string().openapi({ example: "dhcp.hostname" }),
  value: z.string().openapi({ example: "Annas-iPhone" }),
  firstSeen: Iso(T0),
  lastSeen: Iso(T1),
}).openapi("Evidence");

export const DEVICE_TYPES = ["phone", "computer", "tablet", "tv", "speaker", "camera", "printer", "iot", "game_console", "router", "nas", "unknown"] as const;
export const DeviceTypeSchema = z.enum(DEVICE_TYPES).openapi({ example: "phone" });

export const DeviceEditSchema = z.object({
  name: z.string().nullable().openapi({ example: "Anna's iPhone" }),
  type: DeviceTypeSchema.nullable(),
  notes: z.string().nullable().openapi({ example: "the blue case" }),
  known: z.boolean(),
  updatedAt: Iso(T1),
}).openapi("DeviceEdit");

export const DevicePatchSchema = z.object({
  name: z.string().max(80).nullable().optional().openapi({ example: "Anna's iPhone", description: "null or empty: back to the guess" }),
  type: DeviceTypeSchema.nullable().optional(),
  notes: z.string().max(2000).nullable().optional().openapi({ example: "the blue case" }),
  known: z.boolean().optional().openapi({ example: true }),
}).strict().openapi("DevicePatch", { example: { name: "Anna's iPhone", type: "phone", known: true } });

export const DeviceSchema = z.object({
  id: z.string().openapi({ example: "a4c3f0123456" }),
  mac: z.string().openapi({ example: "a4:c3:f0:12:34:56" }),
  macs: z.array(z.string()),
  ips: z.array(z.string()).openapi({ example: ["192.168.1.23", "fe80::1c2b:3aff:fe4d:5e6f"] }),
  vendor: LabelSchema.openapi({ example: { value: "Apple, Inc.", confidence: 0.95 } }),
  hostname: z.string().nullable().openapi({ example: "Annas-iPhone" }),
  name: LabelSchema,
  type: LabelSchema.openapi({ example: { value: "phone", confidence: 0.8 } }),
  os: LabelSchema.openapi({ example: { value: "iOS", confidence: 0.7 } }),
  isRandomizedMac: z.boolean(),
  isGateway: z.boolean(),
  firstSeen: Iso(T0),
  lastSeen: Iso(T1),
  packetsSent: z.number().int(),
  bytesSent: z.number().int(),
  packetsReceived: z.number().int(),
  bytesReceived: z.number().int(),
  flowCount: z.number().int(),
  evidence: z.array(EvidenceSchema),
  notes: z.string().nullable().openapi({ example: "Anna's phone, the blue case" }),
  known: z.boolean().openapi({ description: "the household marked this device known (no new-device alerts)", example: true }),
  suggested: z.object({ name: LabelSchema, type: LabelSchema }).openapi({
    description: "what fingerprinting guesses; `name` and `type` show the user's edit instead when there is one",
    example: { name: { value: "Annas-iPhone", confidence: 0.8 }, type: { value: "phone", confidence: 0.8 } },
  }),
  edited: DeviceEditSchema.nullable().openapi({ description: "the user's edit (PATCH /api/devices/{device_id}); null: none" }),
}).openapi("Device");

export const SeveritySchema = z.enum(["low", "medium", "high", "critical"]);

export const ThreatSchema = z.object({
  id: z.string().openapi({ example: "port_scan-192.168.1.66-192.168.1.10" }),
  type: z.string().openapi({ example: "port_scan", enum: [...THREAT_TYPES], description: "the kind of threat (threats/model.ts THREAT_TYPES)" }),
  severity: SeveritySchema,
  title: z.string().openapi({ example: "Port scan from 192.168.1.66" }),
  description: z.string().openapi({ example: "192.168.1.66 probed 120 ports of 192.168.1.10 within 60 s" }),
  sourceIp: z.string().nullable(),
  sourceMac: z.string().nullable(),
  targetIp: z.string().nullable(),
  targetPort: z.number().int().nullable(),
  deviceId: z.string().nullable(),
  firstSeen: Iso(T0),
  lastSeen: Iso(T1),
  count: z.number().int().openapi({ example: 3 }),
  evidence: z.record(z.string(), z.unknown()).openapi({ example: { ports: 120, windowSeconds: 60, threshold: 50 } }),
  status: z.enum(["active", "dismissed"]),
  dismissedAt: Iso(T1).nullable().openapi({ description: "when it was last dismissed (wall clock); null: never" }),
  dismissedBy: z.string().nullable().openapi({ example: "live view", description: "who dismissed it, as the client said, or its address" }),
}).openapi("Threat");

export const CaptureStatusSchema = z.object({
  running: z.boolean(),
  mode: z.enum(["live", "file"]).nullable().openapi({ description: "live interface or capture file; null before the first start" }),
  interface: z.string().nullable().openapi({ example: "eth0" }),
  file: z.string().nullable(),
  filter: z.string().nullable().openapi({ example: "not port 22" }),
  since: Iso(T0).nullable(),
  packets: z.number().int(),
  bytes: z.number().int(),
  drops: z.number().int().openapi({ description: "dropped by the kernel buffer and by the interface" }),
  packetsPerSecond: z.number(),
  bytesPerSecond: z.number(),
  error: z.string().nullable().openapi({ description: "why capture is not running (or is waiting to resume), with what to do about it" }),
  restarts: z.number().int().openapi({ description: "times live capture reopened its interface by itself after losing it", example: 1 }),
  interruptions: z.array(z.object({
    from: Iso(T0),
    to: Iso(T1).nullable().openapi({ description: "null while capture is still waiting for the interface" }),
    reason: z.string().openapi({ example: "capture on eth0 stopped: The interface disappeared" }),
  }).openapi("CaptureInterruption")).openapi({ description: "the latest gaps in live capture, oldest first (at most 20)" }),
}).openapi("CaptureStatus");

export const CaptureStartSchema = z.object({
  interface: z.string().min(1).max(64).optional().openapi({ example: "eth0" }),
  filter: z.string().max(1024).optional().openapi({ example: "not port 22" }),
}).strict().openapi("CaptureStart");

export const ChannelStatusSchema = z.object({
  name: z.string().openapi({ example: "webhook:ntfy:ntfy.sh" }),
  pending: z.number().int().openapi({ description: "Waiting in the outbox (new, or retried with backoff)" }),
  delivered: z.number().int(),
  failedAttempts: z.number().int().openapi({ description: "Failed attempts since start (each retried)" }),
  abandoned: z.number().int().openapi({ description: "Given up after failing for a day" }),
  lastDelivered: Iso(T1).nullable(),
  lastError: z.string().nullable(),
  failingSince: Iso(T0).nullable(),
}).openapi("NotificationChannel");

export const HealthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  version: z.string().openapi({ example: "0.1.0" }),
  uptimeSeconds: z.number().openapi({ example: 3600 }),
  captureRunning: z.boolean(),
  database: z.object({
    ok: z.boolean(),
    sizeBytes: z.number().int(),
    pendingRows: z.number().int(),
    droppedRows: z.number().int().openapi({ description: "rows dropped since start because the write queue was full (a problem for a minute after each drop)" }),
    lastFlush: Iso(T1).nullable(),
    lastFlushError: z.string().nullable(),
  }),
  problems: z.array(z.string()).openapi({ example: [] }),
  notifications: z.array(ChannelStatusSchema).openapi({ description: "Delivery status per notification channel" }),
}).openapi("Health");

export const ServiceInfoSchema = z.object({
  name: z.literal("NetInsight"),
  version: z.string().openapi({ example: "0.1.0" }),
  description: z.string(),
  startedAt: Iso(T0),
  endpoints: z.record(z.string(), z.string()).openapi({ example: { docs: "/docs", openapi: "/openapi.json", health: "/api/health" } }),
}).openapi("ServiceInfo");

export const AnalyticsSchema = z.object({
  hours: z.number().openapi({ example: 24 }),
  from: Iso(T0),
  to: Iso(T1),
  totals: z.object({ bytes: z.number(), packets: z.number(), flows: z.number(), devices: z.number(), threats: z.number() }),
  throughput: z.array(z.object({ time: Iso(T0), bytes: z.number(), packets: z.number() })),
  topTalkers: z.array(z.object({
    deviceId: z.string().nullable(), ip: z.string().nullable(), name: z.string().nullable(),
    bytesSent: z.number(), bytesReceived: z.number(), flows: z.number(),
  })),
  topApplications: z.array(z.object({ application: z.string(), category: z.string().nullable(), bytes: z.number(), flows: z.number() })),
  topDestinations: z.array(z.object({ host: z.string(), bytes: z.number(), flows: z.number() })),
}).openapi("Analytics");

export const ProtocolsSchema = z.object({
  hours: z.number().nullable().openapi({ example: 24, description: "the window; null for all stored history" }),
  services: z.array(z.object({ service: z.string(), bytes: z.number(), packets: z.number(), flows: z.number(), percent: z.number() })),
  applications: z.array(z.object({ application: z.string(), category: z.string().nullable(), bytes: z.number(), flows: z.number(), percent: z.number() })),
}).openapi("Protocols");

export const FlowListSchema = z.object({
  flows: z.array(FlowSchema),
  limit: z.number().int(),
  offset: z.number().int(),
  count: z.number().int().openapi({ description: "flows in this page" }),
}).openapi("FlowList");

export const DeviceListSchema = z.object({ devices: z.array(DeviceSchema), count: z.number().int() }).openapi("DeviceList");
export const ThreatListSchema = z.object({ threats: z.array(ThreatSchema), count: z.number().int() }).openapi("ThreatList");

export const DeviceApplicationsSchema = z.object({
  deviceId: z.string().openapi({ example: "a4c3f0123456" }),
  hours: z.number().openapi({ example: 24 }),
  applications: z.array(z.object({
    application: z.string().openapi({ example: "YouTube" }), category: z.string().nullable().openapi({ example: "video" }),
    bytesSent: z.number().openapi({ example: 52000 }), bytesReceived: z.number().openapi({ example: 4100000 }), flows: z.number().int().openapi({ example: 14 }),
  })),
}).openapi("DeviceApplications");

export const DeviceDestinationsSchema = z.object({
  deviceId: z.string().openapi({ example: "a4c3f0123456" }),
  hours: z.number().openapi({ example: 24 }),
  destinations: z.array(z.object({
    host: z.string().openapi({ example: "www.youtube.com", description: "host name (SNI, HTTP Host, DNS) or the address" }),
    ip: z.string().openapi({ example: "142.250.74.110" }),
    bytesSent: z.number().openapi({ example: 52000 }), bytesReceived: z.number().openapi({ example: 4100000 }), flows: z.number().int().openapi({ example: 14 }),
  })),
}).openapi("DeviceDestinations");

export const DeviceTimelineSchema = z.object({
  deviceId: z.string().openapi({ example: "a4c3f0123456" }),
  hours: z.number().openapi({ example: 24 }),
  stepSeconds: z.number().int().openapi({ example: 600, description: "length of each point's bucket" }),
  points: z.array(z.object({
    time: Iso(T0), bytesSent: z.number().openapi({ example: 5200 }), bytesReceived: z.number().openapi({ example: 410000 }), packets: z.number().openapi({ example: 380 }),
  })),
}).openapi("DeviceTimeline");

export type ApiFlow = z.infer<typeof FlowSchema>;
export type ApiDevice = z.infer<typeof DeviceSchema>;
export type ApiThreat = z.infer<typeof ThreatSchema>;
export type ApiCaptureStatus = z.infer<typeof CaptureStatusSchema>;
export type ApiHealth = z.infer<typeof HealthSchema>;
export type ApiChannelStatus = z.infer<typeof ChannelStatusSchema>;
export type Analytics = z.infer<typeof AnalyticsSchema>;
export type Protocols = z.infer<typeof ProtocolsSchema>;
