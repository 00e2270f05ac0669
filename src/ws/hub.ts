/**
 * The live WebSocket hub behind `/ws`: authenticates upgrades, forwards LiveBus events to Bun's
 * pub/sub topics (flows, devices and threats coalesced per window, converted to the API's shapes
 * when sent) and closes clients that stop reading.
 */
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import pkg from "../../package.json" with { type: "json" };
import { toApiCaptureStatus, toApiDevice, toApiFlow, toApiStats, toApiThreat } from "../api/convert.ts";
import type { EditedDevice } from "../devices/edit.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { DeviceEventKind, FlowEventKind, LiveBus, LiveEvent, ThreatEventKind } from "../service/bus.ts";
import type { ThreatWithDismissal } from "../threats/dismissal.ts";
import { tokenFromUpgrade, unauthorizedResponse } from "./auth.ts";
import { Coalescer } from "./coalesce.ts";
import { handleClientMessage, parseTopicsParam } from "./client.ts";
import { LIVE_TOPICS, type LiveTopic, type ServerMessage } from "./messages.ts";

/** A client whose unsent backlog stays above this for STALL_CLOSE_MS is closed. */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Bun drops messages for a client past maxBufferedBytes * this: the hard memory bound per client. */
export const BACKPRESSURE_LIMIT_FACTOR = 1.5;
export const COALESCE_MS = 500;
export const STALL_CLOSE_MS = 10_000;
export const STALL_CHECK_MS = 1_000;
/** Keeps one flow message well below a phone's comfortable JSON.parse size. */
export const MAX_FLOWS_PER_MESSAGE = 500;
/** Flush early rather than hold more than this many distinct entities between windows. */
export const MAX_PENDING_ENTITIES = 20_000;
/** A close frame cannot get through a full buffer; after this the socket is dropped outright. */
export const TERMINATE_AFTER_CLOSE_MS = 2_000;
export const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024;
export const IDLE_TIMEOUT_SECONDS = 120;
export const CLOSE_TOO_SLOW = 1008;
export const CLOSE_GOING_AWAY = 1001;

export interface LiveClientData {
  topics: Set<LiveTopic>;
  /** False until the client picks topics itself; the first `subscribe` then replaces "all". */
  explicit: boolean;
  /** Since when (ms) the backlog has been above the limit; 0 when it is not. */
  overLimitSince: number;
  closing: boolean;
}

export interface LiveHubOptions {
  bus: LiveBus;
  checkToken: (token: string | null) => boolean;
  maxBufferedBytes?: number;
  /** Shorter windows for tests; the defaults are the documented behaviour. */
  coalesceMs?: number;
  stallCloseMs?: number;
  version?: string;
  /** Told when the first client subscribes to flows and when the last one leaves (the pipeline then sends flow events or stops). */
  onFlowInterest?: (wanted: boolean) => void;
}

export interface LiveHub {
  websocket: WebSocketHandler<LiveClientData>;
  /** Undefined when the request was upgraded (Bun wants `undefined` from fetch then); else the error response. */
  upgrade(req: Request, server: Server<LiveClientData>): Response | undefined;
  close(): void;
  clientCount(): number;
}

export function createLiveHub(opts: LiveHubOptions): LiveHub {
  const maxBuffered = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const coalesceMs = opts.coalesceMs ?? COALESCE_MS;
  const stallCloseMs = opts.stallCloseMs ?? STALL_CLOSE_MS;
  const version = opts.version ?? pkg.version;
  const clients = new Set<ServerWebSocket<LiveClientData>>();
  const flows = new Coalescer<FlowEventKind, FlowRecord>(["updated", "new", "closed"]);
  const devices = new Coalescer<DeviceEventKind, EditedDevice>(["updated", "new"]);
  const threats = new Coalescer<ThreatEventKind, ThreatWithDismissal>(["updated", "new", "dismissed"]);
  let server: Server<LiveClientData> | undefined;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;

  const publish = (topic: LiveTopic, msg: ServerMessage) => {
    server?.publish(topic, JSON.stringify(msg), false);
  };
  const hasSubscribers = (topic: LiveTopic) => server !== undefined && server.subscriberCount(topic) > 0;
  let flowInterest = false;
  /** After anything that changes subscriptions: tell the pipeline when flows became wanted or not. */
  const checkInterest = () => {
    const wanted = hasSubscribers("flow");
    if (wanted === flowInterest) return;
    flowInterest = wanted;
    opts.onFlowInterest?.(wanted);
  };

  function flush(): void {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    const batch: Record<FlowEventKind, FlowRecord[]> = { new: [], updated: [], closed: [] };
    for (const p of flows.drain()) batch[p.event].push(p.data);
    for (const event of ["new", "updated", "closed"] as const) {
      const list = batch[event];
      for (let i = 0; i < list.length; i += MAX_FLOWS_PER_MESSAGE) {
        publish("flow", { type: "flow", event, flows: list.slice(i, i + MAX_FLOWS_PER_MESSAGE).map(toApiFlow) });
      }
    }
    for (const p of devices.drain()) publish("device", { type: "device", event: p.event, device: toApiDevice(p.data) });
    for (const p of threats.drain()) publish("threat", { type: "threat", event: p.event, threat: toApiThreat(p.data) });
  }

  function queue<E extends string, D extends { id: string }>(c: Coalescer<E, D>, event: E, data: D): void {
    c.add(data.id, event, data);
    if (flows.size + devices.size + threats.size >= MAX_PENDING_ENTITIES) flush();
    else flushTimer ??= setTimeout(flush, coalesceMs);
  }

  function onEvent(e: LiveEvent): void {
    if (!hasSubscribers(e.type)) return;
    switch (e.type) {
      case "stats":
        publish("stats", { type: "stats", ...toApiStats(e.data) });
        break;
      case "capture":
        publish("capture", { type: "capture", event: e.event, status: toApiCaptureStatus(e.data) });
        break;
      case "flow":
        queue(flows, e.event, e.data);
        break;
      case "device":
        queue(devices, e.event, e.data);
        break;
      case "threat":
        queue(threats, e.event, e.data);
        break;
      default: {
        const unhandled: never = e;
        throw new Error(`live hub: no handling for ${(unhandled as LiveEvent).type} events`);
      }
    }
  }
  const unsubscribeBus = opts.bus.subscribe(onEvent);

  /** Bun's backpressureLimit already drops what a slow client cannot take; this closes the ones that never catch up. */
  function checkStalled(): void {
    const now = Date.now();
    for (const ws of clients) {
      if (ws.data.closing) continue;
      if (ws.getBufferedAmount() <= maxBuffered) {
        ws.data.overLimitSince = 0;
      } else if (ws.data.overLimitSince === 0) {
        ws.data.overLimitSince = now;
      } else if (now - ws.data.overLimitSince > stallCloseMs) {
        ws.data.closing = true;
        ws.close(CLOSE_TOO_SLOW, "client too slow");
        setTimeout(() => clients.has(ws) && ws.terminate(), TERMINATE_AFTER_CLOSE_MS).unref();
      }
    }
  }
  const stallTimer = setInterval(checkStalled, Math.min(STALL_CHECK_MS, stallCloseMs));
  stallTimer.unref();

  const websocket: WebSocketHandler<LiveClientData> = {
    data: {} as LiveClientData,
    maxPayloadLength: MAX_CLIENT_MESSAGE_BYTES,
    backpressureLimit: Math.ceil(maxBuffered * BACKPRESSURE_LIMIT_FACTOR),
    closeOnBackpressureLimit: false,
    idleTimeout: IDLE_TIMEOUT_SECONDS,
    sendPings: true,
    open(ws) {
      clients.add(ws);
      for (const t of ws.data.topics) ws.subscribe(t);
      checkInterest();
      ws.send(JSON.stringify({ type: "hello", version, topics: [...ws.data.topics] } satisfies ServerMessage));
    },
    message(ws, raw) {
      handleClientMessage(ws, typeof raw === "string" ? raw : raw.toString("utf8"));
      checkInterest();
    },
    close(ws) {
      clients.delete(ws);
      // The socket may still count as a subscriber while its close handler runs.
      checkInterest();
      setTimeout(checkInterest, 0);
    },
  };

  return {
    websocket,
    upgrade(req, srv) {
      const { token, subprotocol } = tokenFromUpgrade(req);
      if (!opts.checkToken(token)) return unauthorizedResponse();
      server = srv;
      const topics = parseTopicsParam(new URL(req.url).searchParams.get("topics"));
      const data: LiveClientData = {
        topics: new Set(topics ?? LIVE_TOPICS),
        explicit: topics !== undefined,
        overLimitSince: 0,
        closing: false,
      };
      const headers = subprotocol ? { "sec-websocket-protocol": subprotocol } : undefined;
      if (srv.upgrade(req, { data, headers })) return undefined;
      return Response.json(
        { error: { code: "upgrade_required", message: "this endpoint speaks WebSocket only", details: { upgrade: "websocket" } } },
        { status: 426, headers: { upgrade: "websocket" } },
      );
    },
    close() {
      unsubscribeBus();
      clearInterval(stallTimer);
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
      for (const ws of clients) ws.close(CLOSE_GOING_AWAY, "server shutting down");
    },
    clientCount: () => clients.size,
  };
}
