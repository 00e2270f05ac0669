/**
 * Device discovery: every unicast MAC that sends on the local segment is a device; its addresses
 * come from ARP, DHCP, NDP and flows, its labels from the evidence its traffic carries. The MAC
 * of a gateway carries many remote addresses: it is one device (isGateway) and gets none of them.
 */
import { ipv4Name, macName } from "../decode/addr.ts";
import type { Analyzer, Observation, ObservationKind, PacketMeta } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { EndReason, FlowTable } from "../flows/table.ts";
import { ChangeFeed, type DeviceListener, type MergeListener } from "./changes.ts";
import { identityKeys, shouldMerge } from "./identity.ts";
import { DeviceRegistry } from "./registry.ts";
import { isHostAddress, isIpv6 } from "../util/locality.ts";
import { HOST, KNOWN_LOCAL, LOCAL, Locality, v6Prefix64 } from "./locality.ts";
import type { Device } from "./model.ts";
import { signalsOf, type SignalSink } from "./signals.ts";
import { DeviceState, MAX_IPS_PER_DEVICE, isStationMac, macId, normalizeMac } from "./state.ts";

/** Devices kept; beyond this the least recently seen one is evicted. */
export const DEFAULT_MAX_DEVICES = 4096;
/** Distinct non-local addresses behind one MAC that make it a gateway. */
export const GATEWAY_MIN_REMOTE_IPS = 3;

/** Visits every flow in progress with its MACs and counters (out = from the source). */
export type ActiveTraffic = (visit: (srcMac: string | null, dstMac: string | null, pOut: number, bOut: number, pIn: number, bIn: number) => void) => void;

export type FlowLabeler = (flowId: string, patch: { srcDeviceId?: string; dstDeviceId?: string }) => void;
/** The same by the flow's index in the table, during a numeric hook (`flowTable.labelAt`): no id text made. */
export type FlowIndexLabeler = (index: number, patch: { srcDeviceId?: string; dstDeviceId?: string }) => void;

export interface DeviceTrackerOptions {
  maxDevices?: number;
  labelFlow?: FlowLabeler;
  /** Used instead of labelFlow by the numeric flow hooks when given. */
  labelFlowAt?: FlowIndexLabeler;
  /**
   * labelFlowAt labels the very table the numeric hooks are given (the pipeline's wiring): the
   * tracker then sets device labels in it itself, by an id it holds per device (no text looked up per flow).
   */
  labelsInTable?: boolean;
  /** The flows in progress: with it, device counters include them (refreshed every LIVE_COUNT_SECONDS). */
  activeFlows?: () => FlowRecord[];
  /** The same without a record per flow: visits each flow in progress (`flowTable.forEachTraffic`). */
  activeTraffic?: ActiveTraffic;
  /**
   * The same read from the flow table itself (used instead of the two above when given): its flows
   * in progress are counted by MAC number, with no MAC text made per flow at every recount.
   */
  activeFlowTable?: () => FlowTable | null | undefined;
}

/** ARP pairs remembered (see arpStation); all are forgotten past this. */
const MAX_ARP_PAIRS = 1024;

/** An ARP pair station() handled: the device `st` of MAC `mac` (normalized) holds `ip`, as of registry `version`. */
interface ArpPair { readonly ip: string; readonly mac: string; readonly st: DeviceState; readonly version: number }

/** How often the traffic of flows still in progress is counted into the devices. */
export const LIVE_COUNT_SECONDS = 10;

const WANTS: readonly ObservationKind[] = [
  "arp", "dhcp", "dhcpv6", "dns", "mdns", "llmnr", "netbios", "ssdp", "ndp", "http",
  "tlsClientHello", "quicClientHello", "tcpSyn", "sshBanner",
];

export class DeviceTracker implements Analyzer {
  readonly name = "devices";
  readonly wants = WANTS;
  readonly stats = { evictions: 0, merges: 0 };
  private readonly maxDevices: number;
  private readonly labelFlow?: FlowLabeler;
  private readonly labelFlowAt?: FlowIndexLabeler;
  private readonly labelsInTable: boolean;
  private readonly activeTraffic?: ActiveTraffic;
  private readonly activeFlowTable?: () => FlowTable | null | undefined;
  private nextLiveCount = 0;
  private readonly registry = new DeviceRegistry();
  private readonly changes = new ChangeFeed();
  private readonly locality = new Locality();
  private readonly routerIps = new Set<string>();
  private readonly evidence = new EvidenceSink(this.locality);
  /** ARP pairs handled, by the MAC's text as the message wrote it (see arpStation). */
  private readonly arpPairs = new Map<string, ArpPair>();
  /** Device labels of the flows in progress by index (made on the first numeric flow hook). */
  private marks: FlowMarks | null = null;

  constructor(options: DeviceTrackerOptions = {}) {
    this.maxDevices = options.maxDevices ?? DEFAULT_MAX_DEVICES;
    const flows = options.activeFlows;
    this.activeTraffic = options.activeTraffic ?? (flows && ((visit) => {
      for (const f of flows()) visit(f.srcMac, f.dstMac, f.packetsSent, f.bytesSent, f.packetsReceived, f.bytesReceived);
    }));
    this.activeFlowTable = options.activeFlowTable;
    this.labelFlow = options.labelFlow;
    this.labelFlowAt = options.labelFlowAt;
    this.labelsInTable = options.labelsInTable === true && options.labelFlowAt !== undefined;
  }

  // ---- queries ----
  list(): Device[] {
    return [...this.registry.values()].map((s) => s.snapshot()).sort((a, b) => a.firstSeen - b.firstSeen);
  }
  get(id: string): Device | undefined {
    return this.registry.byId.get(id)?.snapshot();
  }
  findByMac(mac: string): Device | undefined {
    const m = normalizeMac(mac);
    return m ? this.registry.byMac.get(m)?.snapshot() : undefined;
  }
  findByIp(ip: string): Device | undefined {
    return this.registry.byIp.get(ip)?.snapshot();
  }
  deviceIdFor(mac: string): string | undefined {
    const m = normalizeMac(mac);
    return m ? this.registry.byMac.get(m)?.device.id : undefined;
  }
  get size(): number {
    return this.registry.byId.size;
  }

  /** `isNew` is true exactly once per device; updates are coalesced (see changes.ts). Returns an unsubscribe function. */
  onChange(fn: DeviceListener): () => void {
    return this.changes.onChange(fn);
  }

  /** A device found to be another one's new (randomized) MAC was folded into it: `fromId` is gone. */
  onMerge(fn: MergeListener): void {
    this.changes.onMerge(fn);
  }

  /** Loads devices kept by storage (no events are raised for them). */
  restore(devices: Device[]): void {
    // Oldest first, so that recency order (and eviction) follows lastSeen.
    for (const d of [...devices].sort((a, b) => a.lastSeen - b.lastSeen)) {
      if (this.registry.byId.has(d.id)) continue;
      const st = new DeviceState(d.mac, d.firstSeen, d);
      this.registry.add(st);
      this.registerIdentity(st, false);
      while (this.registry.byId.size > this.maxDevices) this.evictOldest();
    }
  }

  // ---- analyzer hooks ----
  observe(o: Observation): void {
    const m = o.meta;
    let target: DeviceState | undefined;
    switch (o.kind) {
      case "arp": {
        const a = o.msg;
        this.arpStation(a.senderMac, a.senderIp, m.ts);
        if (a.op === 2) this.arpStation(a.targetMac, a.targetIp, m.ts);
        break;
      }
      case "dhcp": {
        const d = o.msg;
        if (d.op === 1) {
          const relayed = d.relayIp !== "0.0.0.0" && d.relayIp !== "" && normalizeMac(m.srcMac) !== normalizeMac(d.clientMac);
          if (relayed) return; // the client is on another segment
          target = this.station(d.clientMac, d.clientIp, m.ts, true);
          if (d.requestedIp) this.locality.learnAddress(d.requestedIp);
        } else {
          if (d.serverId) this.locality.learnAddress(d.serverId);
          const server = this.station(m.srcMac, m.srcIp, m.ts, true);
          if (server) this.addSignals(server, [["dhcp.server", d.serverId ?? m.srcIp ?? "?"]], m.ts);
          if (d.messageType === 5 && d.relayIp === "0.0.0.0") this.station(d.clientMac, d.yourIp, m.ts, true);
          for (const r of d.router ?? []) this.noteRouterIp(r, m.ts);
        }
        break;
      }
      case "ndp": {
        const n = o.msg;
        for (const p of n.prefixes ?? []) this.locality.learnPrefix(p);
        if (n.type === 136 && n.targetAddress && n.targetLinkAddress) this.station(n.targetLinkAddress, n.targetAddress, m.ts, true);
        const src = this.station(m.srcMac, m.srcIp, m.ts, true);
        if (src && n.type === 134 && (n.routerLifetime ?? 1) > 0) this.markGateway(src, "router advertisement", m.ts);
        break;
      }
    }
    // Any other sender: a device; its address only when local, its evidence only when the packet is its own.
    const src = this.sender(m);
    if (!target && !src) return;
    const sink = this.evidence;
    sink.begin(target ?? src!, m.ts, target ? null : m);
    signalsOf(o, sink);
    const st = sink.end();
    if (st) this.evidenceChanged(st);
  }

  flowStarted(flow: FlowRecord): void {
    const src = this.station(flow.srcMac, flow.srcIp, flow.startTime, false);
    const dst = this.seenAgain(flow.dstMac, flow.dstIp, flow.startTime);
    this.label(flow.id, flow.srcIp, flow.dstIp, flow.srcDeviceId, flow.dstDeviceId, src, dst);
  }

  /** flowStarted read from the flow table: no FlowRecord is made for the tracker, devices are found by MAC number. */
  flowStartedAt(flows: FlowTable, i: number): void {
    const ts = flows.firstSeenOf(i);
    const src = this.stationAt(flows, i, 0, ts);
    // The responder is a device only when its MAC is one already (then it is seen again).
    const dstMac = flows.responderMac(i), known = this.deviceAt(dstMac);
    const dst = known ? this.seenAt(known, dstMac, flows, i, 1, ts) : undefined;
    // A new flow carries no device labels yet (the table cleared them when its index was last freed).
    this.labelAt(flows, i, src, dst, this.flowMarks(flows, i, true), false);
  }

  flowEnded(flow: FlowRecord, _reason?: EndReason): void {
    const src = this.station(flow.srcMac, flow.srcIp, flow.lastSeen, false);
    const dstMac = normalizeMac(flow.dstMac);
    const dst = dstMac && (flow.packetsReceived > 0 || this.registry.byMac.has(dstMac)) ? this.station(dstMac, flow.dstIp, flow.lastSeen, false) : undefined;
    if (src) this.count(src, flow.packetsSent, flow.bytesSent, flow.packetsReceived, flow.bytesReceived);
    if (dst && dst !== src) this.count(dst, flow.packetsReceived, flow.bytesReceived, flow.packetsSent, flow.bytesSent);
    this.label(flow.id, flow.srcIp, flow.dstIp, flow.srcDeviceId, flow.dstDeviceId, src, dst);
  }

  /** flowEnded read from the flow table (counters by direction: 0 from the initiator, 1 from the responder). */
  flowEndedAt(flows: FlowTable, i: number, _reason?: EndReason): void {
    const ts = flows.lastSeenOf(i);
    const pOut = flows.packetsOf(i, 0), bOut = flows.bytesOf(i, 0), pIn = flows.packetsOf(i, 1), bIn = flows.bytesOf(i, 1);
    const src = this.stationAt(flows, i, 0, ts);
    const dstMac = flows.responderMac(i), known = this.deviceAt(dstMac);
    const dst = known ? this.seenAt(known, dstMac, flows, i, 1, ts) : isStationMac(dstMac) && pIn > 0 ? this.stationAt(flows, i, 1, ts) : undefined;
    if (src) this.count(src, pOut, bOut, pIn, bIn);
    if (dst && dst !== src) this.count(dst, pIn, bIn, pOut, bOut);
    this.labelAt(flows, i, src, dst, this.flowMarks(flows, i, false), true);
  }

  tick(now: number): void {
    if ((this.activeFlowTable || this.activeTraffic) && now >= this.nextLiveCount) {
      this.nextLiveCount = now + LIVE_COUNT_SECONDS;
      this.countLive();
    }
    this.changes.tick(now);
  }

  /**
   * Counters = flows that ended + flows in progress. The in-progress part is recomputed from the
   * flow table each time (a flow that ended since is counted twice until the next recount, at most
   * LIVE_COUNT_SECONDS later).
   */
  private countLive(): void {
    const sums = new Map<DeviceState, number[]>();
    const add = (st: DeviceState, pOut: number, bOut: number, pIn: number, bIn: number) => {
      const s = sums.get(st) ?? [0, 0, 0, 0, 0];
      s[0] += pOut; s[1] += bOut; s[2] += pIn; s[3] += bIn; s[4]++;
      sums.set(st, s);
    };
    const count = (src: DeviceState | undefined, dst: DeviceState | undefined, pOut: number, bOut: number, pIn: number, bIn: number) => {
      if (src) add(src, pOut, bOut, pIn, bIn);
      if (dst && dst !== src) add(dst, pIn, bIn, pOut, bOut);
    };
    if (this.activeFlowTable) {
      // As forEachTraffic visits them, by MAC number (deviceAt is byMac of the MAC's text, normalized).
      const flows = this.activeFlowTable();
      flows?.forEachActive((i) => count(this.deviceAt(flows.initiatorMac(i)), this.deviceAt(flows.responderMac(i)),
        flows.packetsOf(i, 0), flows.bytesOf(i, 0), flows.packetsOf(i, 1), flows.bytesOf(i, 1)));
    } else {
      const byMac = (mac: string | null) => {
        const m = normalizeMac(mac);
        return m ? this.registry.byMac.get(m) : undefined;
      };
      this.activeTraffic!((srcMac, dstMac, pOut, bOut, pIn, bIn) => count(byMac(srcMac), byMac(dstMac), pOut, bOut, pIn, bIn));
    }
    for (const st of this.registry.values()) {
      const next = sums.get(st);
      if (!next && st.live[1] === 0 && st.live[3] === 0 && st.live[0] === 0 && st.live[2] === 0 && !st.live[4]) continue;
      const now = next ?? [0, 0, 0, 0, 0];
      const d = st.device;
      d.packetsSent += now[0] - st.live[0]; d.bytesSent += now[1] - st.live[1];
      d.packetsReceived += now[2] - st.live[2]; d.bytesReceived += now[3] - st.live[3];
      // Flows in progress count too (a device whose flows are all still open is not at 0 flows).
      d.flowCount += now[4] - (st.live[4] ?? 0);
      st.live = now;
      this.dirty(st);
    }
  }

  /**
   * Emits every pending change now (end of a capture file, shutdown). Flows in progress are recounted
   * first: those the end of the capture just ended are no longer counted twice.
   */
  flush(): void {
    if (this.activeFlowTable || this.activeTraffic) this.countLive();
    this.changes.flush();
  }

  // ---- internals ----
  private dirty(st: DeviceState): void {
    this.changes.changed(st);
  }

  /**
   * The device for a sending MAC, created when new. `learned` addresses (ARP/DHCP/NDP) teach the
   * tracker the local subnets; other addresses are given to the device only when local.
   */
  private station(mac: string | null | undefined, ip: string | null | undefined, ts: number, learned: boolean): DeviceState | undefined {
    const m = normalizeMac(mac);
    if (!m) return undefined;
    let st = this.registry.byMac.get(m);
    if (!st) {
      while (this.registry.byId.size >= this.maxDevices) this.evictOldest();
      st = new DeviceState(m, ts);
      st.reclassify();
      this.registry.add(st);
      this.dirty(st);
      st.touch(ts);
    } else {
      this.seen(st, m, ts);
    }
    if (!ip) return st;
    let where = this.locality.flags(ip);
    if ((where & HOST) === 0) return st;
    // A new prefix changes the answer for this very address.
    if (learned && this.locality.learnAddress(ip)) where = this.locality.flags(ip);
    this.giveAddress(st, ip, ts, where);
    return st;
  }

  /**
   * `station(mac, ip, ts, true)` for an ARP pair. Hosts repeat theirs all day: a pair already handled
   * whose device holds the address (or whose address is none a device gets), with no MAC or address
   * index changed since, can only make its device seen again (learning its address again is no news).
   */
  private arpStation(mac: string, ip: string, ts: number): void {
    const known = this.arpPairs.get(mac);
    if (known !== undefined && known.ip === ip && known.version === this.registry.version) {
      this.seen(known.st, known.mac, ts);
      return;
    }
    const st = this.station(mac, ip, ts, true);
    if (st === undefined || (ip && (this.locality.flags(ip) & HOST) !== 0 && this.registry.byIp.get(ip) !== st)) return;
    if (known === undefined && this.arpPairs.size >= MAX_ARP_PAIRS) this.arpPairs.clear();
    this.arpPairs.set(mac, { ip, mac: normalizeMac(mac)!, st, version: this.registry.version });
  }

  /** A known device sent at `ts` with its MAC `mac` (text, or the flow table's number). */
  private seen(st: DeviceState, mac: string | number, ts: number): void {
    // Recency (for eviction at the cap) is kept to the second: most packets skip the reorder.
    const second = Math.floor(ts);
    if (st.recencySecond !== second) {
      st.recencySecond = second;
      this.registry.touch(st);
    }
    if (typeof mac === "number" ? st.macNumber !== mac : st.device.mac !== mac) {
      st.useMac(typeof mac === "number" ? macName(mac) : mac);
      this.dirty(st);
    }
    st.touch(ts);
  }

  /** The device of a MAC number from the flow table, if it is one already. */
  private deviceAt(mac: number): DeviceState | undefined {
    return isStationMac(mac) ? this.registry.byMacNumber.get(mac) : undefined;
  }

  /**
   * `station` for one end of a flow in the table (role 0 the initiator, 1 the responder): the device
   * by MAC number and an IPv4 address's locality by number; text only for what a device is given.
   */
  private stationAt(flows: FlowTable, i: number, role: 0 | 1, ts: number): DeviceState | undefined {
    const mac = role === 0 ? flows.initiatorMac(i) : flows.responderMac(i);
    const st = this.deviceAt(mac);
    if (!st) return isStationMac(mac) ? this.station(macName(mac), this.ipAt(flows, i, role), ts, false) : undefined;
    return this.seenAt(st, mac, flows, i, role, ts);
  }

  /** `stationAt` for an end whose device `st` (of MAC number `mac`) was found already. */
  private seenAt(st: DeviceState, mac: number, flows: FlowTable, i: number, role: 0 | 1, ts: number): DeviceState {
    this.seen(st, mac, ts);
    const ip4 = role === 0 ? flows.initiatorIp4(i) : flows.responderIp4(i);
    if (ip4 >= 0) this.address4(st, ip4, ts);
    else this.address6At(st, flows, i, role, ts);
    return st;
  }

  /**
   * `address` for an IPv6 end of a flow in the table, by its words: the address text is made only
   * when the device is given the address or counts it toward a gateway (not for a device's own
   * address flow after flow, nor for a gateway's remote ones).
   */
  private address6At(st: DeviceState, flows: FlowTable, i: number, role: 0 | 1, ts: number): void {
    const where = this.address6(st, flows.ipWord(i, role, 0), flows.ipWord(i, role, 1), flows.ipWord(i, role, 2), flows.ipWord(i, role, 3), ts);
    if (where >= 0) this.giveAddress(st, this.ipAt(flows, i, role), ts, where);
  }

  /**
   * The part of `address` an IPv6 address's words answer (as the capture path writes its text):
   * -1 when done (not a host, the device's own, or a gateway's remote one, whose evidence is
   * refreshed as in giveAddress), else its Locality flags: the caller gives the address's text.
   */
  private address6(st: DeviceState, w0: number, w1: number, w2: number, w3: number, ts: number): number {
    const where = this.locality.flags6(w0, w1, w2, w3);
    if ((where & HOST) === 0 || this.registry.ownerOf6(w0, w1, w2, w3) === st) return -1;
    const local = (where & LOCAL) !== 0 && (!st.device.isGateway || (where & KNOWN_LOCAL) !== 0);
    // As in giveAddress: past GATEWAY_MIN_REMOTE_IPS a remote address only refreshes the gateway evidence.
    if (!local && st.remoteIps.size >= GATEWAY_MIN_REMOTE_IPS) {
      this.markGateway(st, "carries remote addresses", ts);
      return -1;
    }
    return where;
  }

  /** `station(m.srcMac, m.srcIp, m.ts, false)` by numbers when the meta carries them (the engine's do). */
  private sender(m: PacketMeta): DeviceState | undefined {
    const mac = m.srcMacNumber;
    if (mac === undefined) return this.station(m.srcMac, m.srcIp, m.ts, false);
    const st = this.deviceAt(mac);
    if (!st) return isStationMac(mac) ? this.station(m.srcMac, m.srcIp, m.ts, false) : undefined;
    this.seen(st, mac, m.ts);
    const ip4 = m.srcIp4 ?? -1;
    if (ip4 >= 0) this.address4(st, ip4, m.ts);
    else if (m.ipVersion === 6 && m.srcIp6Word !== undefined) {
      // By the address's words: its text only when the device is given it (a gateway relays many).
      const where = this.address6(st, m.srcIp6Word(0), m.srcIp6Word(1), m.srcIp6Word(2), m.srcIp6Word(3), m.ts);
      if (where >= 0) this.giveAddress(st, m.srcIp!, m.ts, where);
    } else if (m.srcIp) this.address(st, m.srcIp, m.ts);
    return st;
  }

  /** The address half of `station` (not `learned`): the device is given a local address, a remote one counts toward a gateway. */
  private address(st: DeviceState, ip: string, ts: number): void {
    const where = this.locality.flags(ip);
    if ((where & HOST) !== 0) this.giveAddress(st, ip, ts, where);
  }

  /** `address` for an IPv4 address as a number: its text is made only when the device is given it. */
  private address4(st: DeviceState, n: number, ts: number): void {
    if (this.ownsIp4(st, n)) return;
    const where = this.locality.flags4(n);
    if ((where & HOST) === 0) return;
    const local = (where & LOCAL) !== 0 && (!st.device.isGateway || (where & KNOWN_LOCAL) !== 0);
    // A gateway's remote addresses (every remote flow comes here) only refresh its evidence, as in giveAddress.
    if (!local && st.remoteIps.size >= GATEWAY_MIN_REMOTE_IPS) this.markGateway(st, "carries remote addresses", ts);
    else this.giveAddress(st, ipv4Name(n), ts, where);
  }

  private ipAt(flows: FlowTable, i: number, role: 0 | 1): string {
    return role === 0 ? flows.initiatorIp(i) : flows.responderIp(i);
  }

  /** `where`: the address's Locality flags. */
  private giveAddress(st: DeviceState, ip: string, ts: number, where = this.locality.flags(ip)): void {
    // Already this device's: it was local when given, and locality only grows.
    if (this.registry.byIp.get(ip) === st) return;
    const local = (where & LOCAL) !== 0 && (!st.device.isGateway || (where & KNOWN_LOCAL) !== 0);
    if (!local) {
      // IPv6 counts per /64: one host's temporary (privacy) addresses share theirs.
      if (st.remoteIps.size < GATEWAY_MIN_REMOTE_IPS) st.remoteIps.add(isIpv6(ip) ? v6Prefix64(ip) ?? ip : ip);
      if (st.remoteIps.size >= GATEWAY_MIN_REMOTE_IPS) this.markGateway(st, "carries remote addresses", ts);
      return;
    }
    const owner = this.registry.byIp.get(ip);
    if (owner === st) return;
    if (owner) this.dropAddress(owner, ip);
    const ips = st.device.ips;
    if (ips.length >= MAX_IPS_PER_DEVICE) this.dropAddress(st, ips[0]!);
    ips.push(ip);
    this.registry.setIp(ip, st);
    this.dirty(st);
    if (this.routerIps.has(ip)) this.markGateway(st, "DHCP router option", ts);
  }

  private dropAddress(st: DeviceState, ip: string): void {
    const i = st.device.ips.indexOf(ip);
    if (i >= 0) st.device.ips.splice(i, 1);
    if (this.registry.byIp.get(ip) === st) this.registry.deleteIp(ip);
    this.dirty(st);
  }

  private noteRouterIp(ip: string, ts: number): void {
    if (!isHostAddress(ip) || this.routerIps.has(ip)) return;
    this.routerIps.add(ip);
    this.locality.learnAddress(ip);
    const st = this.registry.byIp.get(ip);
    if (st) this.markGateway(st, "DHCP router option", ts);
  }

  private markGateway(st: DeviceState, why: string, ts: number): void {
    if (st.device.isGateway) {
      // Known: refresh the evidence without building signal lists (every remote flow lands here).
      if (st.addEvidence("gateway", why, ts)) this.evidenceChanged(st);
      return;
    }
    st.device.isGateway = true;
    for (const ip of [...st.device.ips]) if (!this.locality.isKnownLocal(ip)) this.dropAddress(st, ip);
    this.addSignals(st, [["gateway", why]], ts);
  }

  private addSignals(st: DeviceState, signals: [string, string][], ts: number): void {
    let changed = false;
    for (const [signal, value] of signals) if (st.addEvidence(signal, value, ts)) changed = true;
    if (changed) this.evidenceChanged(st);
  }

  private evidenceChanged(st: DeviceState): void {
    st.reclassify();
    this.dirty(st);
    this.registerIdentity(st, true);
  }

  /** Indexes the device's identity keys; merges it with an earlier device that shares one. */
  private registerIdentity(st: DeviceState, merge: boolean): void {
    let current = st;
    for (const key of identityKeys(current)) {
      const other = this.registry.claimIdentity(key, current);
      if (other && merge && shouldMerge(other, current)) current = this.merge(other, current);
    }
  }

  /** Folds `from` (a new MAC of the same device) into `into`; `into` keeps its id. */
  private merge(into: DeviceState, from: DeviceState): DeviceState {
    const a = into.device;
    const b = from.device;
    for (const mac of b.macs) {
      const dropped = into.addMac(mac, b.firstSeen);
      if (dropped && this.registry.byMac.get(dropped) === into) this.registry.deleteMac(dropped);
      this.registry.setMac(mac, into);
    }
    if (b.lastSeen >= a.lastSeen) into.useMac(b.mac);
    for (const e of b.evidence) into.addEvidence(e.signal, e.value, e.firstSeen, e.lastSeen);
    for (const ip of [...b.ips]) { this.dropAddress(from, ip); this.giveAddress(into, ip, b.lastSeen); }
    a.packetsSent += b.packetsSent; a.bytesSent += b.bytesSent;
    a.packetsReceived += b.packetsReceived; a.bytesReceived += b.bytesReceived;
    a.flowCount += b.flowCount;
    into.live = into.live.map((v, i) => v + from.live[i]);
    a.firstSeen = Math.min(a.firstSeen, b.firstSeen);
    a.lastSeen = Math.max(a.lastSeen, b.lastSeen);
    a.isGateway ||= b.isGateway;
    this.registry.moveIdentities(from, into);
    this.registry.remove(from);
    from.releaseLabelId();
    this.changes.forget(from);
    this.changes.merged(b.id, a.id);
    into.reclassify();
    this.dirty(into);
    this.stats.merges++;
    this.registerIdentity(into, false);
    return into;
  }

  private evictOldest(): void {
    const first = this.registry.oldest();
    if (!first) return;
    this.registry.remove(first);
    first.releaseLabelId();
    this.changes.forget(first);
    this.stats.evictions++;
  }

  private count(st: DeviceState, pOut: number, bOut: number, pIn: number, bIn: number): void {
    const d = st.device;
    d.packetsSent += pOut; d.bytesSent += bOut; d.packetsReceived += pIn; d.bytesReceived += bIn;
    d.flowCount++;
    this.dirty(st);
  }

  /** A flow's responder: a device only when its MAC is one already (then it is seen again). */
  private seenAgain(mac: string | null, ip: string, ts: number): DeviceState | undefined {
    const m = normalizeMac(mac);
    const st = m ? this.registry.byMac.get(m) : undefined;
    if (st) this.station(m, ip, ts, false);
    return st;
  }

  /** The device id of a flow's end: none for an address the device does not own (behind the gateway). */
  private owner(st: DeviceState | undefined, ip: string): string | undefined {
    return st && (!ip || this.registry.byIp.get(ip) === st) ? st.device.id : undefined;
  }

  /** Tells the engine which devices a flow's ends are, when that changes its labels. */
  private label(flowId: string, srcIp: string, dstIp: string, srcNow: string | null, dstNow: string | null,
    src: DeviceState | undefined, dst: DeviceState | undefined): void {
    if (!this.labelFlow) return;
    const patch = labelPatch(this.owner(src, srcIp), this.owner(dst, dstIp), srcNow, dstNow);
    if (patch) this.labelFlow(flowId, patch);
  }

  /** Whether the device `st` owns the address of one end of a flow in the table (an IPv4 address by number). */
  private ownsAt(st: DeviceState, flows: FlowTable, i: number, role: 0 | 1): boolean {
    const ip4 = role === 0 ? flows.initiatorIp4(i) : flows.responderIp4(i);
    if (ip4 >= 0) return this.ownsIp4(st, ip4);
    return this.registry.ownerOf6(flows.ipWord(i, role, 0), flows.ipWord(i, role, 1), flows.ipWord(i, role, 2), flows.ipWord(i, role, 3)) === st;
  }

  /**
   * `registry.byIp4.get(n) === st`, remembered per device: a host sends from its one address flow
   * after flow, and the answer holds until the registry's indexes change (its version).
   */
  private ownsIp4(st: DeviceState, n: number): boolean {
    const version = this.registry.version;
    if (st.ownIp4 === n && st.ownIp4Version === version) return true;
    if (this.registry.byIp4.get(n) !== st) return false;
    st.ownIp4 = n;
    st.ownIp4Version = version;
    return true;
  }

  /**
   * The label marks of the flow at `i` (see FlowMarks), or null when its labels must be read from
   * the table. `start`: the flow was just made (no labels yet); else it ends (labelAt releases them).
   */
  private flowMarks(flows: FlowTable, i: number, start: boolean): FlowMarks | null {
    // With labelsInTable the table's label cells say it by number (see labelAt).
    if (this.labelsInTable || (!this.labelFlow && !this.labelFlowAt)) return null;
    let marks = this.marks;
    if (marks === null || marks.table !== flows) {
      if (!start) return null;
      this.marks = marks = new FlowMarks(flows);
    }
    if (start) marks.begin(i);
    else if (!marks.tracks(i)) return null;
    return marks;
  }

  /**
   * `label` for the numeric hooks: by index when labelFlowAt is given, else the id text is made only
   * when labels change. With `marks`, what the flow carries is known by device number (no text read).
   */
  private labelAt(flows: FlowTable, i: number, src: DeviceState | undefined, dst: DeviceState | undefined, marks: FlowMarks | null, ending: boolean): void {
    if (!this.labelFlow && !this.labelFlowAt) return;
    const srcOwns = src !== undefined && this.ownsAt(src, flows, i, 0);
    const dstOwns = dst !== undefined && this.ownsAt(dst, flows, i, 1);
    if (this.labelsInTable) {
      // A cell holds its device's held id exactly when the flow carries that device's id text: setId
      // leaves such a flow as it is, so no marks are kept.
      const labels = flows.labels;
      if (srcOwns) labels.setId(i, "srcDeviceId", src!.labelIdIn(labels));
      if (dstOwns) labels.setId(i, "dstDeviceId", dst!.labelIdIn(labels));
      return;
    }
    if (srcOwns || dstOwns) {
      const srcNew = srcOwns && !this.carries(flows, i, 0, src!, marks);
      const dstNew = dstOwns && !this.carries(flows, i, 1, dst!, marks);
      if (srcNew || dstNew) {
        // One end's label (nearly every flow): that device's own patch, made once; both ends: one made now.
        const patch = !dstNew ? src!.asSource() : !srcNew ? dst!.asDestination() : { srcDeviceId: src!.device.id, dstDeviceId: dst!.device.id };
        if (this.labelFlowAt) this.labelFlowAt(i, patch);
        else this.labelFlow!(String(flows.ids[i]), patch);
      }
    }
    if (ending && marks !== null) marks.end(i);
  }

  /** Whether the flow's `role` end is labeled with the device `st` already (and marks it so). */
  private carries(flows: FlowTable, i: number, role: 0 | 1, st: DeviceState, marks: FlowMarks | null): boolean {
    if (marks !== null) {
      const had = marks.deviceOf(i, role);
      marks.set(i, role, st.serial);
      if (had === st.serial) return true;
      // Unlabeled: the label is new. Another device (merged or evicted since): compare the texts below.
      if (had === 0) return false;
    }
    return flows.labels.textOf(i, role === 0 ? "srcDeviceId" : "dstDeviceId") === st.device.id;
  }
}

/**
 * The device labels the tracker put on flows in progress, by flow index: the number (DeviceState.serial)
 * of the device each end was labeled with, 0 none. Only this tracker labels flows with devices, so a
 * flow whose start it saw carries exactly these; flow ends compare numbers, not label texts.
 */
class FlowMarks {
  /** Per flow index: [initiator device, responder device, tracked (1: its start was seen)]. */
  private readonly cells: Int32Array;
  constructor(readonly table: FlowTable) {
    this.cells = new Int32Array(table.capacity * 3);
  }

  begin(i: number): void {
    const c = this.cells, at = i * 3;
    c[at] = 0; c[at + 1] = 0; c[at + 2] = 1;
  }

  tracks(i: number): boolean {
    return this.cells[i * 3 + 2] === 1;
  }

  deviceOf(i: number, role: 0 | 1): number {
    return this.cells[i * 3 + role];
  }

  set(i: number, role: 0 | 1, serial: number): void {
    this.cells[i * 3 + role] = serial;
  }

  end(i: number): void {
    this.cells[i * 3 + 2] = 0;
  }
}

/**
 * Adds an observation's evidence to its device as signals.ts finds it: no list of pairs made, and
 * evidence a device already has only refreshed. Evidence about the sender counts only when the sender
 * is local; most observed packets (SYN-ACKs, DNS names no rule reads) say nothing, so that locality
 * probe waits for the first signal.
 */
class EvidenceSink implements SignalSink {
  private st: DeviceState | undefined;
  private ts = 0;
  private changed = false;
  /** The packet whose sender's locality is still to be checked (null: checked, or nothing to check). */
  private sender: PacketMeta | null = null;
  private dropped = false;

  constructor(private readonly locality: Locality) {}

  begin(st: DeviceState, ts: number, sender: PacketMeta | null): void {
    this.st = st;
    this.ts = ts;
    this.sender = sender;
    this.changed = false;
    this.dropped = false;
  }

  add(signal: string, value: string): void {
    const m = this.sender;
    if (m !== null) {
      this.sender = null;
      const ip4 = m.srcIp4 ?? -1;
      this.dropped = ip4 >= 0 ? (this.locality.flags4(ip4) & LOCAL) === 0
        : m.ipVersion === 6 && m.srcIp6Word !== undefined
          ? (this.locality.flags6(m.srcIp6Word(0), m.srcIp6Word(1), m.srcIp6Word(2), m.srcIp6Word(3)) & LOCAL) === 0
          : !!m.srcIp && !this.locality.isLocal(m.srcIp);
    }
    if (!this.dropped && this.st!.addEvidence(signal, value, this.ts)) this.changed = true;
  }

  /** The device when some evidence was new (its labels must be recomputed), else undefined. */
  end(): DeviceState | undefined {
    const st = this.changed ? this.st : undefined;
    this.st = undefined;
    this.sender = null;
    return st;
  }
}

/** The device ids that differ from a flow's current ones, or undefined when none does. */
function labelPatch(srcId: string | undefined, dstId: string | undefined, srcNow: string | null, dstNow: string | null):
  { srcDeviceId?: string; dstDeviceId?: string } | undefined {
  const src = srcId && srcId !== srcNow ? srcId : undefined;
  const dst = dstId && dstId !== dstNow ? dstId : undefined;
  if (!src && !dst) return undefined;
  const patch: { srcDeviceId?: string; dstDeviceId?: string } = {};
  if (src) patch.srcDeviceId = src;
  if (dst) patch.dstDeviceId = dst;
  return patch;
}


export { macId, normalizeMac };
export type { DeviceListener, MergeListener };
