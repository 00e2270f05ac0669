/**
 * The "analytics" analyzer: names each flow's server (TLS/QUIC SNI, HTTP Host, the DNS query of a
 * DNS flow, or the DNS answer that resolved the server address) and maps it to an application.
 */
import type { Analyzer, Observation, ObservationKind } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import { DnsAnswerCache } from "./dns-cache.ts";
import { DomainMatcher, defaultDomainMatcher, isIpLiteral, normalizeHost } from "./domain-match.ts";

/** Flows remembered with the strength of their label; flowEnded forgets them, this caps the rest. */
export const MAX_LABELLED_FLOWS = 200_000;

export interface FlowLabelPatch {
  hostname?: string | null;
  application?: string | null;
  category?: string | null;
}

export interface FlowLabelerOptions {
  /** Sets labels on a flow: `(id, patch) => engine.flows.label(id, patch)`. */
  labelFlow: (flowId: string, patch: FlowLabelPatch) => void;
  matcher?: DomainMatcher;
  dnsCache?: DnsAnswerCache;
}

/** How sure a hostname is; a stronger source replaces a weaker one, never the reverse. */
const Strength = { DnsAnswer: 1, DnsQuery: 2, Handshake: 3 } as const;
type Strength = (typeof Strength)[keyof typeof Strength];

const WANTS: readonly ObservationKind[] = ["dns", "http", "tlsClientHello", "quicClientHello"];

export class FlowLabeler implements Analyzer {
  readonly name = "analytics";
  readonly wants = WANTS;
  readonly dnsCache: DnsAnswerCache;
  readonly #matcher: DomainMatcher;
  readonly #labelFlow: FlowLabelerOptions["labelFlow"];
  readonly #strength = new Map<string, Strength>();

  constructor(opts: FlowLabelerOptions) {
    this.#labelFlow = opts.labelFlow;
    this.#matcher = opts.matcher ?? defaultDomainMatcher();
    this.dnsCache = opts.dnsCache ?? new DnsAnswerCache();
  }

  observe(o: Observation): void {
    switch (o.kind) {
      case "tlsClientHello":
      case "quicClientHello":
        if (o.msg.sni) this.#label(o.meta.flowId, o.msg.sni, Strength.Handshake);
        return;
      case "http":
        if (o.msg.isRequest && o.msg.host) this.#label(o.meta.flowId, o.msg.host, Strength.Handshake);
        return;
      case "dns": {
        const msg = o.msg;
        if (msg.isResponse) this.dnsCache.learn(o.meta.dstIp, msg, o.meta.ts);
        // A DNS flow is about the name it asks for (as nDPI reports it), not about the resolver.
        const q = msg.questions[0];
        if (q?.name) this.#label(o.meta.flowId, q.name, Strength.DnsQuery);
        return;
      }
    }
  }

  flowStarted(flow: FlowRecord): void {
    if (flow.hostname || !flow.dstIp) return;
    const name = this.dnsCache.lookup(flow.srcIp, flow.dstIp, flow.startTime);
    if (name) this.#label(flow.id, name, Strength.DnsAnswer);
  }

  flowEnded(flow: FlowRecord): void {
    this.#strength.delete(flow.id);
  }

  /** The application and category a host name maps to (null when the table has none). */
  classify(host: string): { application: string | null; category: string | null } {
    const m = this.#matcher.match(host);
    return m ? { application: m.application, category: m.category } : { application: null, category: null };
  }

  #label(flowId: string | null, rawHost: string, strength: Strength): void {
    if (!flowId) return;
    const host = normalizeHost(rawHost);
    if (!host) return;
    const had = this.#strength.get(flowId);
    if (had !== undefined && had >= strength) return;
    if (had === undefined && this.#strength.size >= MAX_LABELLED_FLOWS) {
      const oldest = this.#strength.keys().next().value;
      if (oldest !== undefined) this.#strength.delete(oldest);
    }
    this.#strength.set(flowId, strength);
    const app = isIpLiteral(host) ? { application: null, category: null } : this.classify(host);
    this.#labelFlow(flowId, { hostname: host, ...app });
  }
}
