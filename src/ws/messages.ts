/**
 * The `/ws` protocol as zod schemas: every message the hub sends and every message a client may send.
 * The hub, the OpenAPI description and the tests all read these, so the documented shape is the tested one.
 */
import { z } from "zod";

/** One Bun pub/sub topic per message family; a client subscribes to any subset. */
export const LIVE_TOPICS = ["stats", "flow", "device", "threat", "capture"] as const;
export const LiveTopicSchema = z.enum(LIVE_TOPICS);
export type LiveTopic = z.infer<typeof LiveTopicSchema>;

const IsoTime = z.string().describe("ISO-8601 UTC time");
const Count = z.number().nonnegative();

/**
 * Entity payloads are the REST API's JSON shapes (src/api owns them). Only the fields the live view
 * relies on are required here; the rest passes through untouched.
 */
export const LabelSchema = z.looseObject({ value: z.string().nullable(), confidence: z.number() });

export const FlowPayloadSchema = z.looseObject({
  id: z.string(),
  protocol: z.string(),
  srcIp: z.string(),
  srcPort: z.number(),
  dstIp: z.string(),
  dstPort: z.number(),
  bytesSent: Count,
  bytesReceived: Count,
  status: z.enum(["active", "closed"]),
});

export const DevicePayloadSchema = z.looseObject({
  id: z.string(),
  mac: z.string(),
  ips: z.array(z.string()),
  vendor: LabelSchema,
  name: LabelSchema,
  type: LabelSchema,
});

export const ThreatPayloadSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  severity: z.enum(["low", "medium", "high", "critical"]),
  title: z.string(),
  status: z.enum(["active", "dismissed"]),
});

export const CaptureStatusPayloadSchema = z.looseObject({ running: z.boolean() });

export const StatsPayloadSchema = z.object({
  time: IsoTime,
  packetsPerSecond: Count,
  bytesPerSecond: Count,
  activeFlows: Count,
  devices: Count,
  drops: Count,
  packets: Count,
  bytes: Count,
});
export type StatsPayload = z.infer<typeof StatsPayloadSchema>;

// ---- server -> client ----

export const HelloMessageSchema = z.object({
  type: z.literal("hello"),
  version: z.string(),
  topics: z.array(LiveTopicSchema).describe("the topics this connection is subscribed to"),
});

export const StatsMessageSchema = StatsPayloadSchema.extend({ type: z.literal("stats") });

export const FlowMessageSchema = z.object({
  type: z.literal("flow"),
  event: z.enum(["new", "updated", "closed"]),
  flows: z.array(FlowPayloadSchema).describe("a coalesced batch: at most one entry per flow id"),
});

export const DeviceMessageSchema = z.object({
  type: z.literal("device"),
  event: z.enum(["new", "updated"]),
  device: DevicePayloadSchema,
});

export const ThreatMessageSchema = z.object({
  type: z.literal("threat"),
  event: z.enum(["new", "updated", "dismissed"]),
  threat: ThreatPayloadSchema,
});

export const CaptureMessageSchema = z.object({
  type: z.literal("capture"),
  event: z.enum(["started", "stopped", "error", "restarted"]).describe("restarted: the pipeline worker died and a new one took over"),
  status: CaptureStatusPayloadSchema,
});

export const SubscribedMessageSchema = z.object({
  type: z.literal("subscribed"),
  topics: z.array(LiveTopicSchema),
});

export const PongMessageSchema = z.object({ type: z.literal("pong"), time: IsoTime });

/** Same inner shape as the REST error body. */
export const ErrorMessageSchema = z.object({
  type: z.literal("error"),
  error: z.object({ code: z.string(), message: z.string() }),
});

export const ServerMessageSchema = z.discriminatedUnion("type", [
  HelloMessageSchema,
  StatsMessageSchema,
  FlowMessageSchema,
  DeviceMessageSchema,
  ThreatMessageSchema,
  CaptureMessageSchema,
  SubscribedMessageSchema,
  PongMessageSchema,
  ErrorMessageSchema,
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

// ---- client -> server ----

export const SubscribeRequestSchema = z.strictObject({ subscribe: z.array(LiveTopicSchema) });
export const UnsubscribeRequestSchema = z.strictObject({ unsubscribe: z.array(LiveTopicSchema) });
export const PingRequestSchema = z.strictObject({ type: z.literal("ping") });

export const ClientMessageSchema = z.union([SubscribeRequestSchema, UnsubscribeRequestSchema, PingRequestSchema]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
