/**
 * The capture path: walks a batch of packets, decodes L2-L4 into one reusable Packet, counts each
 * IP packet into its flow, hands the first payload packets of each flow to the application
 * decoders (dispatch.ts), and reports flows and observations to the analyzers.
 */
import { decodeFrame, linkDecoder, linkTypeName, type LinkDecoder } from "../decode/linktype.ts";
import { DecodeError, Packet } from "../decode/packet.ts";
import { nextRecord, RECORD_HEADER, type PacketBatch } from "../capture/batch.ts";
import { loadedShim } from "../capture/shim.ts";
import { FlowTable, type EndReason, type FlowTimeouts } from "../flows/table.ts";
import type { FlowRecord } from "../flows/record.ts";
import { refreshFlowRecord } from "../flows/snapshot.ts";
import {
  FLOW_UPDATE_SECONDS, PAYLOAD_BUDGET_PACKETS, type Analyzer, type FlowFilter, type Observation, type ObservationKind,
  type PayloadFilter,
} from "./events.ts";
import { Dispatcher } from "./dispatch.ts";
import { FragmentTracker } from "./fragments.ts";

export interface EngineOptions {
  analyzers?: Analyzer[];
  maxFlows?: number;
  timeouts?: Partial<FlowTimeouts>;
  firstFlowId?: number;
}

export interface EngineStats {
  packets: number;
  bytes: number;
  /** Frames whose headers were truncated or invalid (counted, never thrown). */
  decodeErrors: number;
  /** Frames that were not IP (ARP, STP, LLDP, ...). */
  nonIp: number;
  firstSeen: number | null;
  lastSeen: number | null;
  linkType: number | null;
  linkTypeName: string | null;
  flowsCreated: number;
  flowsActive: number;
  flowsEvicted: number;
  /** Analyzer hooks that threw (caught, counted, logged once per analyzer). */
  analyzerErrors: number;
}

export class Engine {
  readonly flows: FlowTable;
  readonly stats: EngineStats = {
    packets: 0, bytes: 0, decodeErrors: 0, nonIp: 0, firstSeen: null, lastSeen: null, linkType: null,
    linkTypeName: null, flowsCreated: 0, flowsActive: 0, flowsEvicted: 0, analyzerErrors: 0,
  };
  private readonly packet = new Packet();
  private readonly analyzers: Analyzer[] = [];
  private readonly wanted = new Set<ObservationKind>();
  /** Per observation kind, the analyzers that want it (in the order they were added). */
  private readonly observers = new Map<ObservationKind, Analyzer[]>();
  private readonly dispatcher: Dispatcher;
  private readonly fragments = new FragmentTracker();
  private readonly failedAnalyzers = new Set<string>();
  // Per hook, the analyzers that have it, in the order they were added. Plain listeners
  // (onFlowStart, ...) sit in the same lists as analyzers of their own, so the order holds.
  private readonly starters: Analyzer[] = [];
  private readonly enders: Analyzer[] = [];
  private readonly updaters: Analyzer[] = [];
  private readonly payloaders: Analyzer[] = [];
  private readonly tickers: Analyzer[] = [];
  /** Whether some starter / ender takes a FlowRecord (else none is made for the event). */
  private startNeedsRecord = false;
  private endNeedsRecord = false;
  /** The plain listeners: their errors propagate, as before (an analyzer's are caught and counted). */
  private readonly listeners = new Set<Analyzer>();
  private readonly batchListeners: ((batch: PacketBatch, linkType: number) => void)[] = [];
  /** The flow id of each packet of the batch being processed (0: not an IP packet); batch listeners read it. */
  batchFlowIds = new Float64Array(1024);
  /** The record payload analyzers share per flow index, until the next update period (no strings per packet). */
  private readonly payloadRecords = new Map<number, FlowRecord>();
  private nextUpdate = 0;
  private readonly reportUpdate = (index: number): void => this.flowUpdated(index);
  private decoder: LinkDecoder | null = null;
  private decoderLinkType = -1;
  private nextTick = 0;

  constructor(opts: EngineOptions = {}) {
    this.flows = new FlowTable({
      maxFlows: opts.maxFlows,
      timeouts: opts.timeouts,
      firstId: opts.firstFlowId,
      onEnd: (index, reason) => this.flowEnded(index, reason),
    });
    this.dispatcher = new Dispatcher(this.flows, (o) => this.emit(o), (kind) => this.wanted.has(kind));
    for (const a of opts.analyzers ?? []) this.addAnalyzer(a);
  }

  addAnalyzer(a: Analyzer): void {
    this.analyzers.push(a);
    if (a.observe) {
      const kinds = a.wants ?? ALL_KINDS;
      for (const k of kinds) {
        this.wanted.add(k);
        let list = this.observers.get(k);
        if (!list) this.observers.set(k, (list = []));
        if (!list.includes(a)) list.push(a);
      }
    }
    this.addFlowHooks(a);
    if (a.tick) this.tickers.push(a);
  }

  /** Files an analyzer (or a plain listener dressed as one) under each flow hook it has. */
  private addFlowHooks(a: Analyzer): void {
    if (a.flowStartedAt || a.flowStarted) {
      this.starters.push(a);
      if (!a.flowStartedAt) this.startNeedsRecord = true;
    }
    if (a.flowEndedAt || a.flowEnded) {
      this.enders.push(a);
      if (!a.flowEndedAt) this.endNeedsRecord = true;
    }
    if (a.flowUpdatedAt || a.flowUpdated) this.updaters.push(a);
    if (a.payloadAt || a.payload) this.payloaders.push(a);
  }

  private addListener(a: Analyzer): void {
    this.listeners.add(a);
    this.addFlowHooks(a);
  }

  /** Listens to flows as they start / end (the service uses this for storage and live events). */
  onFlowStart(fn: (f: FlowRecord) => void): void {
    this.addListener({ name: "onFlowStart", flowStarted: fn });
  }
  /** As onFlowStart, with the table and the flow's index: no record is made unless the listener makes one. */
  onFlowStartAt(fn: (flows: FlowTable, index: number) => void): void {
    this.addListener({ name: "onFlowStart", flowStartedAt: fn });
  }
  onFlowEnd(fn: (f: FlowRecord, reason: EndReason) => void): void {
    this.addListener({ name: "onFlowEnd", flowEnded: fn });
  }
  /** As onFlowEnd, with the table and the flow's index (readable during the call): no record is made for it. */
  onFlowEndAt(fn: (flows: FlowTable, index: number, reason: EndReason) => void): void {
    this.addListener({ name: "onFlowEnd", flowEndedAt: fn });
  }
  /**
   * Numeric, and before every other end hook: the flow as it was when it ended, as the end record
   * shows it (end hooks may still label it). `analyze --json` serialises flows from here.
   */
  onFlowEndFirstAt(fn: (flows: FlowTable, index: number, reason: EndReason) => void): void {
    const listener: Analyzer = { name: "onFlowEnd", flowEndedAt: fn };
    this.listeners.add(listener);
    this.enders.unshift(listener);
  }
  /** Flows in progress that saw packets, every FLOW_UPDATE_SECONDS of capture time. */
  onFlowUpdate(fn: (f: FlowRecord) => void): void {
    this.addListener({ name: "onFlowUpdate", flowUpdated: fn });
  }

  /** Called after each batch, with `batchFlowIds` filled (the packet ring copies the batch). */
  onBatch(fn: (batch: PacketBatch, linkType: number) => void): void {
    this.batchListeners.push(fn);
  }

  processBatch(batch: PacketBatch, linkType: number): void {
    if (batch.count > this.batchFlowIds.length) this.batchFlowIds = new Float64Array(batch.count * 2);
    const flowIds = this.batchFlowIds;
    if (linkType !== this.decoderLinkType) {
      this.decoder = linkDecoder(linkType); // throws UnsupportedLinkTypeError once, not per packet
      this.decoderLinkType = linkType;
      this.stats.linkType = linkType;
      this.stats.linkTypeName = linkTypeName(linkType);
    }
    const decode = this.decoder!;
    const { bytes, view } = batch;
    const p = this.packet;
    const flows = this.flows;
    const stats = this.stats;
    const inspect = this.dispatcher;
    const pad = batch.recordPad ?? 7;
    // Only the packet ring reads the flow id of each packet: no read of the id column otherwise.
    const keepIds = this.batchListeners.length > 0;
    // Batches come from the shim (loaded by then); synthetic ones (tests) go without the warmer.
    const warm = loadedShim()?.ni_flow_prefetch;
    let warmAt = warm !== undefined && batch.count > 1 ? 0 : Infinity;
    let off = 0;
    for (let n = 0; n < batch.count; n++) {
      if (n === warmAt) {
        flows.warmFor(batch, linkType, warm!, off, Math.min(WARM_PACKETS, batch.count - n));
        warmAt += WARM_PACKETS;
      }
      const caplen = view.getUint32(off + 8, true);
      const start = off + RECORD_HEADER;
      const ts = view.getUint32(off, true) + view.getUint32(off + 4, true) / 1e6;
      const wireLen = view.getUint32(off + 12, true);
      off = nextRecord(off, caplen, pad);
      p.reset(bytes, view, start, start + caplen, ts, wireLen);
      decodeFrame(p, decode);
      stats.packets++;
      stats.bytes += wireLen;
      if (ts >= this.nextTick) this.tick(ts);
      if (p.error !== DecodeError.None) stats.decodeErrors++;
      if (p.ipVersion === 0) {
        flowIds[n] = 0;
        stats.nonIp++;
        if (p.arpOff >= 0) inspect.arp(p);
        continue;
      }
      if (p.fragOffset > 0 || p.moreFragments) this.fragments.apply(p);
      const index = flows.update(p);
      if (keepIds) flowIds[n] = flows.ids[index];
      if (flows.lastIsNew) this.flowStarted(index);
      const dir = flows.lastDirection;
      inspect.packet(p, index, dir, flows.lastIsNew);
      if (p.payloadLength > 0 && this.payloaders.length > 0) this.payload(index, dir);
    }
    if (stats.firstSeen === null && stats.packets > 0) stats.firstSeen = this.firstTs(batch);
    stats.lastSeen = p.ts || stats.lastSeen;
    stats.flowsActive = flows.size;
    stats.flowsCreated = flows.created;
    stats.flowsEvicted = flows.evictions;
    for (const fn of this.batchListeners) fn(batch, linkType);
  }

  private firstTs(batch: PacketBatch): number {
    return batch.view.getUint32(0, true) + batch.view.getUint32(4, true) / 1e6;
  }

  /**
   * Once per second of packet time: expire idle flows, report flows in progress every
   * FLOW_UPDATE_SECONDS, let analyzers look at windows.
   */
  private tick(now: number): void {
    if (this.nextTick !== 0) {
      this.flows.expire(now);
      if (now >= this.nextUpdate) this.reportUpdates(now);
      const tickers = this.tickers;
      for (let k = 0; k < tickers.length; k++) {
        const a = tickers[k];
        try {
          a.tick!(now);
        } catch (e) {
          this.failed(a, e);
        }
      }
    } else {
      this.nextUpdate = Math.floor(now) + FLOW_UPDATE_SECONDS;
    }
    this.nextTick = Math.floor(now) + 1;
  }

  private reportUpdates(now: number): void {
    this.nextUpdate = Math.floor(now) + FLOW_UPDATE_SECONDS;
    this.payloadRecords.clear();
    if (this.updaters.length === 0) this.flows.takeTouched(noop);
    else this.flows.takeTouched(this.reportUpdate);
  }

  /** One of the first payload packets of a flow, within the per-direction DPI budget. */
  private payload(index: number, dir: number): void {
    const flows = this.flows;
    const seen = flows.payloadSeenOf(index, dir);
    if (seen >= PAYLOAD_BUDGET_PACKETS) return;
    flows.setPayloadSeen(index, dir, seen + 1);
    const p = this.packet;
    const fromInitiator = dir === 0;
    const list = this.payloaders;
    let record: FlowRecord | undefined;
    let data: Uint8Array | undefined;
    for (let k = 0; k < list.length; k++) {
      const a = list[k];
      const filter = a.payloadFilter;
      if (filter !== undefined && (!payloadWanted(filter, flows, index, fromInitiator) ||
        (filter.test !== undefined && !filter.test(p.bytes, p.payloadOff, p.payloadLength, flows, index)))) continue;
      // Made for the first hook that takes the packet: most payload packets pass no hook's filter.
      data ??= p.bytes.subarray(p.payloadOff, p.payloadOff + p.payloadLength);
      try {
        if (a.payloadAt !== undefined) a.payloadAt(flows, index, data, fromInitiator, p.ts);
        else a.payload!((record ??= this.payloadRecord(index)), data, fromInitiator, p.ts);
      } catch (e) {
        this.failed(a, e);
      }
    }
    if (seen + 1 === PAYLOAD_BUDGET_PACKETS && this.payloadRecords.size > 0 && flows.payloadSeenOf(index, dir ^ 1) >= PAYLOAD_BUDGET_PACKETS) {
      this.payloadRecords.delete(index);
    }
  }

  /** The record payload hooks share for a flow within an update period, its counters brought up to date. */
  private payloadRecord(index: number): FlowRecord {
    const flows = this.flows;
    let record = this.payloadRecords.get(index);
    if (record === undefined || flows.lastIsNew) {
      record = flows.record(index);
      this.payloadRecords.set(index, record);
    } else {
      refreshFlowRecord(flows, index, record);
    }
    return record;
  }

  /** Live capture with no packets: time still passes for timeouts and detectors. */
  tickIdle(now: number): void {
    if (now >= this.nextTick) this.tick(now);
    this.stats.flowsActive = this.flows.size;
  }

  /** End of a capture file or shutdown: every flow still in the table is reported. */
  finish(): void {
    this.flows.endAll("shutdown");
    this.stats.flowsActive = 0;
  }

  // One FlowRecord per event, made before the first hook runs (as the hooks saw it before the
  // numeric hooks existed) and only when some hook takes one; numeric hooks get the index.

  private flowStarted(index: number): void {
    const list = this.starters;
    if (list.length === 0) return;
    const flows = this.flows;
    const record = this.startNeedsRecord ? flows.record(index) : null;
    for (let k = 0; k < list.length; k++) {
      const a = list[k];
      try {
        if (a.flowStartedAt !== undefined) a.flowStartedAt(flows, index);
        else a.flowStarted!(record!);
      } catch (e) {
        this.failed(a, e);
      }
    }
  }

  private flowUpdated(index: number): void {
    const list = this.updaters, flows = this.flows;
    let record: FlowRecord | undefined;
    for (let k = 0; k < list.length; k++) {
      const a = list[k];
      if (a.updateFilter !== undefined && !flowWanted(a.updateFilter, flows, index)) continue;
      try {
        if (a.flowUpdatedAt !== undefined) a.flowUpdatedAt(flows, index);
        else a.flowUpdated!((record ??= flows.record(index)));
      } catch (e) {
        this.failed(a, e);
      }
    }
  }

  private flowEnded(index: number, reason: EndReason): void {
    if (this.payloadRecords.size > 0) this.payloadRecords.delete(index);
    const list = this.enders;
    if (list.length === 0) return;
    const flows = this.flows;
    let record: FlowRecord | null = null;
    if (this.endNeedsRecord) {
      record = flows.record(index);
      if (reason !== "shutdown") record.status = "closed";
    }
    for (let k = 0; k < list.length; k++) {
      const a = list[k];
      try {
        if (a.flowEndedAt !== undefined) a.flowEndedAt(flows, index, reason);
        else a.flowEnded!(record!, reason);
      } catch (e) {
        this.failed(a, e);
      }
    }
  }

  private emit(o: Observation): void {
    const list = this.observers.get(o.kind);
    if (list === undefined) return;
    for (let k = 0; k < list.length; k++) {
      const a = list[k];
      try {
        a.observe!(o);
      } catch (e) {
        this.failed(a, e);
      }
    }
  }

  private failed(a: Analyzer, e: unknown): void {
    if (this.listeners.has(a)) throw e;
    this.stats.analyzerErrors++;
    if (!this.failedAnalyzers.has(a.name)) {
      this.failedAnalyzers.add(a.name);
      console.error(`analyzer ${a.name} failed: ${(e as Error).stack ?? e}`);
    }
  }
}

function noop(): void {}

/**
 * Packets whose flows the native warmer fetches at a time, just before they are processed: with
 * the analyzers running, their own memory evicts what was fetched for packets further ahead (one
 * warm per 2048-packet window still left update() ~500 ns of CPU a packet in analyze --json).
 */
const WARM_PACKETS = 256;

/** Whether a flow matches a hook's filter (numbers only). */
function flowWanted(f: FlowFilter, flows: FlowTable, index: number): boolean {
  if (f.ipProtocols !== undefined && !f.ipProtocols.includes(flows.ipProtocolOf(index))) return false;
  if (f.ports !== undefined && !f.ports.includes(flows.initiatorPort(index)) && !f.ports.includes(flows.responderPort(index))) return false;
  return true;
}

function payloadWanted(f: PayloadFilter, flows: FlowTable, index: number, fromInitiator: boolean): boolean {
  if (f.direction !== undefined && (f.direction === "initiator") !== fromInitiator) return false;
  return flowWanted(f, flows, index);
}

const ALL_KINDS: ObservationKind[] = [
  "arp", "dhcp", "dhcpv6", "dns", "mdns", "llmnr", "netbios", "ssdp", "ndp", "http", "tlsClientHello",
  "tlsServerHello", "quicClientHello", "tcpSyn", "sshBanner", "cleartextAuth", "icmp",
];
