/**
 * The "analytics" analyzer: names each flow's server (TLS/QUIC SNI, HTTP Host, the DNS query of a
 * DNS flow, or the DNS answer that resolved the server address) and maps it to an application.
 */
import type { DnsMessage } from "../decode/types.ts";
import type { Analyzer, Observation, ObservationKind, PacketMeta } from "../engine/events.ts";
import { PORT_SERVICES, serviceByPort } from "../decode/service.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { FlowTable } from "../flows/table.ts";
import { AddressMatcher } from "./address-applications.ts";
import { DnsAnswerCache } from "./dns-cache.ts";
import { DomainMatcher, defaultDomainMatcher, isIpLiteral, normalizeHost } from "./domain-match.ts";
import { BoundedMap } from "../util/ordered-map.ts";

/** Flows remembered with the strength of their label; flowEnded forgets them, this caps the rest. */
export const MAX_LABELLED_FLOWS = 200_000;
/**
 * Host names whose label is remembered; the cache starts over past this. Names come back long
 * after (bench-v2: 97 k lookups of 22 k names): at 4096 the memo missed 82 k times, at this size
 * only the first time of each name.
 */
const MAX_CACHED_HOSTS = 1 << 15;
/** #hosts' answer for a raw host that is no name (empty, oversized). */
const NOT_A_NAME = -1;
/** A host whose label ids are not held yet (#hostIds). */
const HOST_UNHELD = -1;

/** The patch of a host label, filled per use from the host columns (consumers copy a patch's fields at once). */
interface HostPatch { hostname: string; application: string | null; category: string | null }

export interface FlowLabelPatch {
  service?: string | null;
  serviceBy?: "payload" | "port" | null;
  hostname?: string | null;
  application?: string | null;
  category?: string | null;
}

export interface FlowLabelerOptions {
  /** Sets labels on a flow: `(id, patch) => engine.flows.label(id, patch)`. */
  labelFlow: (flowId: string, patch: FlowLabelPatch) => void;
  /**
   * The same by the flow's index in the table (`engine.flows.labelAt`), used by the numeric hooks when
   * given. Then host labels and port guesses are written into that table's label columns
   * (`flows.labels`) by ids the labeler holds per host name and per service: no lookup of a text per flow.
   */
  labelFlowAt?: (index: number, patch: FlowLabelPatch) => void;
  matcher?: DomainMatcher;
  addresses?: AddressMatcher;
  dnsCache?: DnsAnswerCache;
}

/** How sure a hostname is; a stronger source replaces a weaker one, never the reverse. */
const Strength = { Address: 0, DnsAnswer: 1, DnsQuery: 2, Handshake: 3 } as const;
type Strength = (typeof Strength)[keyof typeof Strength];

const WANTS: readonly ObservationKind[] = ["dns", "http", "tlsClientHello", "quicClientHello"];

export class FlowLabeler implements Analyzer {
  readonly name = "analytics";
  readonly wants = WANTS;
  readonly dnsCache: DnsAnswerCache;
  readonly #matcher: DomainMatcher;
  readonly #addresses: AddressMatcher;
  readonly #labelFlow: FlowLabelerOptions["labelFlow"];
  readonly #labelFlowAt: FlowLabelerOptions["labelFlowAt"];
  /** Label strength by the record's flow id (the FlowRecord hooks). */
  readonly #strength = new BoundedMap<string, Strength>(MAX_LABELLED_FLOWS);
  /**
   * Label strength + 1 (0: none) by flow index, once the engine's numeric hooks run: a byte per
   * slot of the table, cleared when the flow ends, instead of a map entry made and dropped per flow.
   */
  #strengthAt: Uint8Array | undefined;
  /** The engine's flow table, once a numeric hook has been handed it. */
  #flows: FlowTable | undefined;
  /**
   * Raw host -> its number in the host columns below (NOT_A_NAME: not a name). Clients ask for the
   * same names again and again; a host is kept as three texts and three ids, no object per host.
   */
  readonly #hosts = new Map<string, number>();
  /** Per host number: the name as labelled (normalized), its application and category (null: none). */
  readonly #hostNames: string[] = [];
  readonly #hostApps: (string | null)[] = [];
  readonly #hostCategories: (string | null)[] = [];
  /**
   * Per host number, its three texts' ids in the table's label columns (hostname, application,
   * category; 0: none), held (`labels.hold`) from the host's first label by index until the host
   * cache starts over. HOST_UNHELD: not asked for yet.
   */
  #hostIds = new Int32Array(0);
  /**
   * Per entry of serviceNames, its id in the table's label columns (0: not held yet), held from its
   * first port guess by index while the labeler labels that table: no text interned per flow.
   */
  readonly #serviceIds = new Int32Array(serviceNames.length);
  readonly #hostPatch: HostPatch = { hostname: "", application: null, category: null };

  constructor(opts: FlowLabelerOptions) {
    this.#labelFlow = opts.labelFlow;
    this.#labelFlowAt = opts.labelFlowAt;
    this.#matcher = opts.matcher ?? defaultDomainMatcher();
    this.#addresses = opts.addresses ?? sharedAddressMatcher();
    this.dnsCache = opts.dnsCache ?? new DnsAnswerCache();
  }

  observe(o: Observation): void {
    switch (o.kind) {
      case "tlsClientHello":
      case "quicClientHello":
        if (o.msg.sni) this.#label(o.meta, o.msg.sni, Strength.Handshake);
        return;
      case "http":
        if (o.msg.isRequest && o.msg.host) this.#label(o.meta, o.msg.host, Strength.Handshake);
        return;
      case "dns": {
        const msg = o.msg;
        if (msg.isResponse) this.#learn(o.meta, msg);
        // A DNS flow is about the name it asks for (as nDPI reports it), not about the resolver.
        const q = msg.questions[0];
        if (q?.name) this.#label(o.meta, q.name, Strength.DnsQuery);
        return;
      }
    }
  }

  /** Learns a DNS response's answers for the client it is sent to (an IPv4 client by number, from the flow table). */
  #learn(meta: PacketMeta, msg: DnsMessage): void {
    const flows = this.#flows, index = meta.flowIndex;
    if (flows !== undefined && index !== undefined && index >= 0) {
      const client4 = meta.fromInitiator ? flows.responderIp4(index) : flows.initiatorIp4(index);
      if (client4 >= 0) return this.dnsCache.learn4(client4, msg, meta.ts);
    }
    this.dnsCache.learn(meta.dstIp, msg, meta.ts);
  }

  flowStarted(flow: FlowRecord): void {
    this.#started(flow.id, flow.ipProtocol, flow.srcPort, flow.dstPort, flow.srcIp, flow.dstIp, -1, -1, flow.startTime, !!flow.service, !!flow.hostname);
  }

  /** flowStarted read from the flow table: no FlowRecord is made for the labeler, the flow is its index. */
  flowStartedAt(flows: FlowTable, i: number): void {
    if (this.#flows !== flows) this.#useTable(flows);
    const labels = flows.labels;
    // An IPv4 flow is looked up by its addresses' numbers: no address text made for it.
    const dst4 = flows.responderIp4(i), v4 = dst4 >= 0;
    this.#started(i, flows.ipProtocolOf(i), flows.initiatorPort(i), flows.responderPort(i),
      v4 ? "" : flows.initiatorIp(i), v4 ? "" : flows.responderIp(i), v4 ? flows.initiatorIp4(i) : -1, dst4,
      flows.firstSeenOf(i), labels.idOf(i, "service") !== 0, labels.idOf(i, "hostname") !== 0);
  }

  #useTable(flows: FlowTable): void {
    this.#unholdHosts();
    this.#unholdServices();
    this.#flows = flows;
    this.#strengthAt = new Uint8Array(flows.capacity);
  }

  /**
   * `flow`: the record's id, or the flow's index in the table (numeric hooks); `srcIp4`, `dstIp4`: the
   * addresses as numbers for IPv4 flows from the table (-1 otherwise; then their text is given).
   */
  #started(flow: string | number, ipProtocol: number, srcPort: number, dstPort: number, srcIp: string, dstIp: string,
    srcIp4: number, dstIp4: number, startTime: number, hasService: boolean, hasHostname: boolean): void {
    // A flow that never carries payload (a SYN scan, a lone probe) is still named by its port;
    // the engine replaces this guess once a payload packet identifies the service.
    if (!hasService) {
      const code = typeof flow === "number" && this.#labelFlowAt ? portServiceCode(ipProtocol, srcPort, dstPort) : -1;
      if (code > 0) this.#setPortServiceAt(flow as number, code);
      else if (code < 0) {
        const guess = portServicePatch(ipProtocol, srcPort, dstPort);
        if (guess) this.#setLabels(flow, guess);
      }
    }
    if (hasHostname || (dstIp4 < 0 && !dstIp)) return;
    const name = dstIp4 >= 0 ? this.dnsCache.lookup4(srcIp4, dstIp4, startTime) : this.dnsCache.lookup(srcIp, dstIp, startTime);
    if (name) {
      this.#labelHost(flow, name, Strength.DnsAnswer);
      return;
    }
    // No name yet: the server's network or a LAN port may still say whose traffic this is.
    const known = this.#addresses.matchPort(ipProtocol, srcPort, dstPort) ??
      (dstIp4 >= 0 ? this.#addresses.matchIpv4(dstIp4) : this.#addresses.matchAddress(dstIp));
    if (known) {
      this.#remember(flow, Strength.Address);
      // The match is the patch ({ application, category }): nothing made per flow.
      this.#setLabels(flow, known);
    }
  }

  flowEnded(flow: FlowRecord): void {
    this.#strength.delete(flow.id);
  }

  flowEndedAt(_flows: FlowTable, i: number): void {
    if (this.#strengthAt) this.#strengthAt[i] = 0;
  }

  /** The application and category a host name maps to (null when the table has none). */
  classify(host: string): { application: string | null; category: string | null } {
    return appOf(this.#matcher.match(host));
  }

  /** Labels the flow of an observed packet (by its index once the numeric hooks run, else by its id). */
  #label(meta: PacketMeta, rawHost: string, strength: Strength): void {
    // By index, the engine's meta never makes its flow id text (a packet of a flow has both).
    const index = meta.flowIndex;
    if (this.#flows && index !== undefined && index >= 0) return this.#labelHost(index, rawHost, strength);
    const flowId = meta.flowId;
    if (flowId) this.#labelHost(flowId, rawHost, strength);
  }

  /** `flow`: the flow's id text, or its index in the table (numeric hooks). */
  #labelHost(flow: string | number, rawHost: string, strength: Strength): void {
    // A flow labelled as strongly already (a DNS answer after its query) needs no host label looked up.
    if (!this.#weaker(flow, strength)) return;
    const host = this.#hostOf(rawHost);
    if (host === NOT_A_NAME) return;
    this.#remember(flow, strength);
    if (typeof flow === "number" && this.#labelFlowAt) return this.#setHostAt(flow, host);
    // One patch filled per use: nothing made per flow.
    const patch = this.#hostPatch;
    patch.hostname = this.#hostNames[host]!;
    patch.application = this.#hostApps[host]!;
    patch.category = this.#hostCategories[host]!;
    this.#setLabels(flow, patch);
  }

  /** A host's labels on a flow of the table by the host's held ids (held at its first use here). */
  #setHostAt(index: number, host: number): void {
    const labels = this.#flows!.labels, ids = this.#hostIds, at = host * 3;
    if (ids[at] === HOST_UNHELD) {
      const app = this.#hostApps[host]!, category = this.#hostCategories[host]!;
      ids[at] = labels.hold(this.#hostNames[host]!);
      ids[at + 1] = app === null ? 0 : labels.hold(app);
      ids[at + 2] = category === null ? 0 : labels.hold(category);
    }
    labels.setId(index, "hostname", ids[at]!);
    labels.setId(index, "application", ids[at + 1]!);
    labels.setId(index, "category", ids[at + 2]!);
  }

  /** A port guess (code: its serviceNames entry + 1) on a flow of the table, by the service's held id. */
  #setPortServiceAt(index: number, code: number): void {
    const labels = this.#flows!.labels;
    let id = this.#serviceIds[code - 1]!;
    if (id === 0) id = this.#serviceIds[code - 1] = labels.hold(serviceNames[code - 1]!);
    labels.setServiceId(index, id, "port");
  }

  #unholdServices(): void {
    const labels = this.#flows?.labels, ids = this.#serviceIds;
    for (let k = 0; k < ids.length; k++) {
      if (ids[k] !== 0) labels?.unhold(ids[k]!);
      ids[k] = 0;
    }
  }

  /** Gives back the ids held for the host columns (the cache starts over, or another table comes). */
  #unholdHosts(): void {
    const labels = this.#flows?.labels, ids = this.#hostIds;
    for (let at = 0; at < ids.length; at += 3) {
      if (ids[at] === HOST_UNHELD) continue;
      for (let k = 0; k < 3; k++) if (ids[at + k] !== 0) labels?.unhold(ids[at + k]!);
      ids[at] = HOST_UNHELD;
    }
  }

  /** Labels a flow by index (labelFlowAt, or labelFlow with its id made text) or by its id text. */
  #setLabels(flow: string | number, patch: FlowLabelPatch): void {
    if (typeof flow === "string") this.#labelFlow(flow, patch);
    else if (this.#labelFlowAt) this.#labelFlowAt(flow, patch);
    else this.#labelFlow(String(this.#flows!.ids[flow]), patch);
  }

  /** The number of a raw host in the host columns (made at its first sight), or NOT_A_NAME. */
  #hostOf(rawHost: string): number {
    let host = this.#hosts.get(rawHost);
    if (host === undefined) {
      if (this.#hosts.size >= MAX_CACHED_HOSTS) this.#clearHosts();
      const name = normalizeHost(rawHost);
      host = name ? this.#addHost(name) : NOT_A_NAME;
      this.#hosts.set(rawHost, host);
    }
    return host;
  }

  #addHost(name: string): number {
    // A host given as an address (SNI or Host: 52.114.250.153) is looked up as an address.
    // Normalized once: the matcher is asked by the name as it is (match() would normalize it again).
    const app = isIpLiteral(name) ? this.#addresses.matchAddress(name) : this.#matcher.matchName(name);
    const host = this.#hostNames.length;
    this.#hostNames.push(name);
    this.#hostApps.push(app ? app.application : null);
    this.#hostCategories.push(app ? app.category : null);
    if (this.#hostIds.length < (host + 1) * 3) {
      const grown = new Int32Array(Math.min(MAX_CACHED_HOSTS, Math.max(64, (host + 1) * 2)) * 3).fill(HOST_UNHELD);
      grown.set(this.#hostIds);
      this.#hostIds = grown;
    }
    return host;
  }

  #clearHosts(): void {
    this.#unholdHosts();
    this.#hosts.clear();
    this.#hostNames.length = this.#hostApps.length = this.#hostCategories.length = 0;
  }

  /** Whether the flow has no label yet as strong as `strength`. */
  #weaker(flow: string | number, strength: Strength): boolean {
    if (typeof flow === "number") return this.#strengthAt![flow]! <= strength;
    const had = this.#strength.get(flow);
    return had === undefined || had < strength;
  }

  /** Records a label's strength; false when the flow already has one at least as strong. */
  #remember(flow: string | number, strength: Strength): boolean {
    if (typeof flow === "number") {
      const at = this.#strengthAt!;
      if (at[flow]! > strength) return false;
      at[flow] = strength + 1;
      return true;
    }
    const had = this.#strength.get(flow);
    if (had !== undefined && had >= strength) return false;
    this.#strength.set(flow, strength);
    return true;
  }
}

function appOf(m: { application: string; category: string } | undefined): { application: string | null; category: string | null } {
  return m ? { application: m.application, category: m.category } : { application: null, category: null };
}

/** PORT_SERVICES as typed arrays over every port, per transport: an index into serviceNames + 1 (0: none), built once. */
const serviceNames: string[] = [];
const portCodes = { 6: codesOf("tcp"), 17: codesOf("udp") };

function codesOf(transport: string): Uint16Array {
  const codes = new Uint16Array(65536);
  for (const [key, service] of Object.entries(PORT_SERVICES)) {
    const slash = key.indexOf("/");
    const port = Number(key.slice(slash + 1));
    // Only keys the per-port lookup could have built ("tcp/443"), as it read them.
    if (key.slice(0, slash) !== transport || !(port >= 0 && port < 65536) || `${transport}/${port}` !== key) continue;
    codes[port] = serviceNames.push(service);
  }
  return codes;
}

/** The label patch of each entry of serviceNames ({ service, serviceBy: "port" }), made once. */
const servicePatches: FlowLabelPatch[] = serviceNames.map((service) => ({ service, serviceBy: "port" }));

/**
 * serviceByPort's answer for TCP and UDP as its serviceNames entry + 1 (0: none), -1 for other
 * transports (portServicePatch answers those).
 */
function portServiceCode(ipProtocol: number, srcPort: number, dstPort: number): number {
  if (ipProtocol !== 6 && ipProtocol !== 17) return -1;
  const codes = portCodes[ipProtocol];
  const lo = srcPort < dstPort ? srcPort : dstPort, hi = srcPort < dstPort ? dstPort : srcPort;
  const code = codes[lo] !== 0 ? codes[lo]! : codes[hi]!;
  return code !== 0 && serviceNames[code - 1] ? code : 0;
}

/**
 * The labels of serviceByPort's answer (the lower port's entry, else the higher one's) without
 * building two "tcp/443" keys or a patch per flow: two reads of a typed array.
 */
function portServicePatch(ipProtocol: number, srcPort: number, dstPort: number): FlowLabelPatch | undefined {
  if (ipProtocol !== 6 && ipProtocol !== 17) {
    const service = serviceByPort(ipProtocol, srcPort, dstPort)?.service;
    return service ? { service, serviceBy: "port" } : undefined;
  }
  const code = portServiceCode(ipProtocol, srcPort, dstPort);
  return code > 0 ? servicePatches[code - 1] : undefined;
}

let sharedAddresses: AddressMatcher | undefined;
function sharedAddressMatcher(): AddressMatcher {
  sharedAddresses ??= new AddressMatcher();
  return sharedAddresses;
}
