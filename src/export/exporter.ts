/**
 * The flow exporter: an analyzer behind the engine that turns flows into IPFIX / NetFlow v9 records
 * for every configured collector. A flow is exported when it ends, and in parts while it goes on:
 * after IDLE seconds without packets and every ACTIVE seconds for long flows (each part carries
 * the packets and bytes since the previous one, as routers do).
 */
import type { Analyzer } from "../engine/events.ts";
import type { Engine } from "../engine/engine.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { Collector } from "./collectors.ts";
import { END_REASON } from "./elements.ts";
import { IpfixEncoder } from "./ipfix.ts";
import type { FlowEncoder } from "./message.ts";
import { Netflow9Encoder } from "./netflow9.ts";
import { addressBytes, type ExportRecord } from "./templates.ts";
import { openTransport, type Transport, type TransportStats } from "./transport.ts";

export interface ExportSettings {
  collectors: Collector[];
  /** Long flows are exported in parts every this many seconds (capture time). */
  activeTimeout: number;
  /** A flow without packets for this long is exported (what it has so far); it is not exported again unless it moves. */
  idleTimeout: number;
  /** UDP: templates are sent again this often (wall clock), so a collector started later learns them. */
  templateRefreshSeconds: number;
  /** IPFIX: one RFC 5103 biflow record per flow instead of one record per direction. */
  biflow: boolean;
  observationDomain: number;
  /** Bytes queued per collector before messages are dropped (analyze raises it: a file may wait, capture may not). */
  queueBytes?: number;
}

export const EXPORT_DEFAULTS = { activeTimeout: 60, idleTimeout: 15, templateRefreshSeconds: 60, biflow: false, observationDomain: 1 } as const;

/** Labels are cut to this many UTF-8 bytes so a record always fits a message. */
const MAX_LABEL_BYTES = 100;
const REASONS = { idle: END_REASON.idle, closed: END_REASON.closed, evicted: END_REASON.evicted, shutdown: END_REASON.shutdown } as const;

export interface CollectorStatus extends TransportStats {
  collector: string;
  format: "ipfix" | "netflow9";
  records: number;
}

interface Target {
  collector: Collector;
  encoder: FlowEncoder;
  transport: Transport | null;
  lastTemplates: number;
  /** Records dropped by a session reset (TCP reconnect) before their message went out. */
}

const encoder = new TextEncoder();
function label(s: string | null): Uint8Array | null {
  if (!s) return null;
  const b = encoder.encode(s);
  return b.length > MAX_LABEL_BYTES ? b.subarray(0, MAX_LABEL_BYTES) : b;
}

export class FlowExporter implements Analyzer {
  readonly name = "flow-export";
  readonly #s: ExportSettings;
  readonly #engine: Engine;
  readonly #targets: Target[] = [];
  // What has been exported of each flow in the table, by flow index (numbers only, no per-flow objects).
  #expId = new Float64Array(0);
  #expPackets = new Float64Array(0);
  #expBytes = new Float64Array(0);
  /** Capture time the next part of the flow starts at (its start, or the end of the previous part). */
  #partStart = new Float64Array(0);
  #nextScan = 0;
  /** Flow parts exported, per reason. */
  readonly counts = { records: 0, active: 0, idle: 0, ended: 0 };

  private constructor(settings: ExportSettings, engine: Engine) {
    this.#s = settings;
    this.#engine = engine;
  }

  /** Opens a socket per collector (TCP collectors that are down are retried in the background). */
  static async create(settings: ExportSettings, engine: Engine): Promise<FlowExporter> {
    const x = new FlowExporter(settings, engine);
    for (const c of settings.collectors) {
      const target: Target = { collector: c, encoder: null as never, transport: null, lastTemplates: 0 };
      const sink = (m: Uint8Array) => target.transport?.send(m);
      target.encoder = c.format === "netflow9"
        ? new Netflow9Encoder({ sourceId: settings.observationDomain }, sink)
        : new IpfixEncoder({ biflow: settings.biflow, observationDomain: settings.observationDomain }, sink);
      target.transport = await openTransport(c, {
        queueBytes: settings.queueBytes,
        onSession: (t) => {
          target.transport = t;
          target.encoder.resetSession();
          target.encoder.sendTemplates();
          target.lastTemplates = Date.now();
        },
      });
      if (c.transport === "udp") {
        target.encoder.sendTemplates();
        target.lastTemplates = Date.now();
      }
      x.#targets.push(target);
    }
    return x;
  }

  flowEnded(flow: FlowRecord, reason: "idle" | "closed" | "evicted" | "shutdown"): void {
    const table = this.#engine.flows;
    const i = table.indexOf(flow.id);
    this.#exportPart(flow, i, REASONS[reason], flow.lastSeen);
    if (i >= 0 && i < this.#expId.length) this.#expId[i] = 0;
    this.counts.ended++;
  }

  /** Every few seconds for a flow that sends (engine.flowUpdated): a part once it is past the active timeout. */
  flowUpdated(flow: FlowRecord): void {
    const i = this.#engine.flows.indexOf(flow.id);
    const tracked = i >= 0 && i < this.#expId.length && this.#expId[i] === Number(flow.id);
    const start = tracked ? this.#partStart[i] : flow.startTime;
    if (flow.lastSeen - start < this.#s.activeTimeout) return;
    this.#exportPart(flow, i, END_REASON.active, flow.lastSeen);
    this.counts.active++;
  }

  /** Once a second of capture time: a part of each flow that went quiet (idle timeout) since it last moved. */
  tick(now: number): void {
    if (now < this.#nextScan) return;
    this.#nextScan = now + 1;
    const t = this.#engine.flows;
    this.#grow(t.capacity);
    const idleTimeout = this.#s.idleTimeout;
    t.forEachActive((i) => {
      if (now - t.lastSeenOf(i) < idleTimeout) return;
      const fresh = this.#expId[i] !== t.ids[i];
      const packets = t.packetsOf(i, 0) + t.packetsOf(i, 1);
      const exported = fresh ? 0 : this.#expPackets[2 * i] + this.#expPackets[2 * i + 1];
      if (packets === exported) return;
      this.#exportPart(t.record(i), i, END_REASON.idle, t.lastSeenOf(i));
      this.counts.idle++;
    });
    this.#refreshTemplates();
  }

  #grow(capacity: number): void {
    if (this.#expId.length >= capacity) return;
    this.#expId = new Float64Array(capacity);
    this.#expPackets = new Float64Array(capacity * 2);
    this.#expBytes = new Float64Array(capacity * 2);
    this.#partStart = new Float64Array(capacity);
  }

  /** Exports what the flow did since its previous part (all of it when it had none). */
  #exportPart(f: FlowRecord, i: number, reason: ExportRecord["endReason"], end: number): void {
    const t = this.#engine.flows;
    const tracked = i >= 0 && i < this.#expId.length && this.#expId[i] === Number(f.id);
    const p0 = tracked ? this.#expPackets[2 * i] : 0, p1 = tracked ? this.#expPackets[2 * i + 1] : 0;
    const b0 = tracked ? this.#expBytes[2 * i] : 0, b1 = tracked ? this.#expBytes[2 * i + 1] : 0;
    const fwdPackets = f.packetsSent - p0, revPackets = f.packetsReceived - p1;
    if (fwdPackets + revPackets <= 0) return;
    const start = tracked ? this.#partStart[i] : f.startTime;
    const fwdFlags = i >= 0 && f.ipProtocol === 6 ? t.tcpFlagsOf(i, 0) : 0;
    const revFlags = i >= 0 && f.ipProtocol === 6 ? t.tcpFlagsOf(i, 1) : 0;
    if (i >= 0 && reason !== END_REASON.idle && reason !== END_REASON.active) {
      // the flow leaves the table: nothing to remember
    } else if (i >= 0) {
      this.#grow(t.capacity);
      this.#expId[i] = Number(f.id);
      this.#expPackets[2 * i] = f.packetsSent;
      this.#expPackets[2 * i + 1] = f.packetsReceived;
      this.#expBytes[2 * i] = f.bytesSent;
      this.#expBytes[2 * i + 1] = f.bytesReceived;
      this.#partStart[i] = end;
    }
    const src = addressBytes(f.srcIp), dst = addressBytes(f.dstIp);
    const r: ExportRecord = {
      flowId: Number(f.id), ipVersion: f.ipVersion === 6 ? 6 : 4, srcAddr: src, dstAddr: dst, srcPort: f.srcPort,
      dstPort: f.dstPort, protocol: f.ipProtocol, vlan: f.vlan, packets: fwdPackets, octets: f.bytesSent - b0,
      tcpFlags: fwdFlags, reversePackets: revPackets, reverseOctets: f.bytesReceived - b1, reverseTcpFlags: revFlags,
      startMs: Math.round(start * 1000), endMs: Math.round(end * 1000), endReason: reason,
      application: label(f.application), service: label(f.service), hostname: label(f.hostname), category: label(f.category),
      srcDeviceId: label(f.srcDeviceId), dstDeviceId: label(f.dstDeviceId),
    };
    for (const target of this.#targets) {
      const biflow = target.encoder.format === "ipfix" && this.#s.biflow;
      if (biflow) {
        target.encoder.add(r);
        this.counts.records++;
        continue;
      }
      if (fwdPackets > 0) {
        target.encoder.add(r);
        this.counts.records++;
      }
      if (revPackets > 0) {
        target.encoder.add(reversed(r));
        this.counts.records++;
      }
    }
  }

  #refreshTemplates(): void {
    const now = Date.now();
    for (const t of this.#targets) {
      if (t.collector.transport !== "udp") continue;
      if (now - t.lastTemplates >= this.#s.templateRefreshSeconds * 1000) {
        t.encoder.sendTemplates();
        t.lastTemplates = now;
      }
    }
  }

  /** Sends what is waiting in half-filled messages (the service calls this every second). */
  flush(): void {
    for (const t of this.#targets) t.encoder.flush();
    this.#refreshTemplates();
  }

  status(): CollectorStatus[] {
    return this.#targets.map((t) => ({
      collector: t.collector.text, format: t.collector.format, records: t.encoder.records,
      ...(t.transport?.stats ?? { sentMessages: 0, sentBytes: 0, droppedMessages: 0, connected: false, lastError: null }),
    }));
  }

  /** Problems for the health report: collectors that drop records or cannot be reached. */
  problems(): string[] {
    const out: string[] = [];
    for (const s of this.status()) {
      if (s.droppedMessages > 0 || s.lastError) {
        out.push(`export: ${s.format} collector ${s.collector}: ${s.droppedMessages} messages dropped` +
          `${s.lastError ? ` (${s.lastError})` : ""}; capture goes on`);
      }
    }
    return out;
  }

  /** Flushes, waits up to `timeoutMs` for the queues to empty, closes the sockets. */
  async close(timeoutMs = 5000): Promise<void> {
    for (const t of this.#targets) t.encoder.flush();
    const deadline = Date.now() + timeoutMs;
    for (const t of this.#targets) await t.transport?.drain(Math.max(0, deadline - Date.now()));
    for (const t of this.#targets) t.transport?.close();
  }
}

/** The responder -> initiator half of a flow as its own record. */
function reversed(r: ExportRecord): ExportRecord {
  return {
    ...r, srcAddr: r.dstAddr, dstAddr: r.srcAddr, srcPort: r.dstPort, dstPort: r.srcPort, packets: r.reversePackets,
    octets: r.reverseOctets, tcpFlags: r.reverseTcpFlags, reversePackets: 0, reverseOctets: 0, reverseTcpFlags: 0,
    srcDeviceId: r.dstDeviceId, dstDeviceId: r.srcDeviceId,
  };
}
