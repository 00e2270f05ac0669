/**
 * DNS tunnelling / exfiltration: long or high-entropy labels, many unique subdomains under one
 * registered domain, TXT/NULL query volume, and DNS bytes per domain, per client.
 */
import type { Observation } from "../engine/events.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { addCapped, BoundedMap, entropy, hashName, isLocalName, registeredDomain, type TrackedAnalyzer } from "./util.ts";

const TXT = 16;
const NULL_RR = 10;
/** Subdomain hashes remembered per (client, domain): past it the evidence reads "at least". */
const MAX_SUBDOMAINS_TRACKED = 1024;
/** Characters of the most telling query name kept as evidence. */
const SAMPLE_NAME_CHARS = 120;

/** Names with no real TLD (dnscat2 without a domain) all count under this one "domain". */
export const NO_TLD = "(no valid TLD)";
/** Hex has at most 4 bits per character, so its entropy understates it; a long hex label is data. */
const HEX = /^[0-9a-f]+$/;
const PLAUSIBLE_TLD = /^(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})$/;

function tunnelDomain(name: string): string {
  const l = name.toLowerCase().replace(/\.$/, "");
  return PLAUSIBLE_TLD.test(l.slice(l.lastIndexOf(".") + 1)) ? registeredDomain(l) : NO_TLD;
}

interface DomainState {
  start: number;
  last: number;
  queries: number;
  subdomains: Set<number>;
  encoded: number;
  encodedNames: Set<number>;
  longest: number;
  txtNull: number;
  bytes: number;
  raised: boolean;
  sample: string;
}

export function createDnsTunnelDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  const domains = new BoundedMap<string, DomainState>(s.maxTrackedKeys);

  const state = (client: string, domain: string, ts: number): DomainState => {
    const key = `${client}|${domain}`;
    let d = domains.get(key);
    if (!d || ts - d.start > s.dnsWindowSeconds) {
      d = { start: ts, last: ts, queries: 0, subdomains: new Set(), encoded: 0, encodedNames: new Set(), longest: 0, txtNull: 0, bytes: 0,
        raised: false, sample: "" };
      domains.set(key, d);
    }
    d.last = Math.max(d.last, ts);
    return d;
  };

  const judge = (client: string, mac: string | null, domain: string, d: DomainState, ts: number): void => {
    const reasons: string[] = [];
    if (d.longest >= s.dnsLongLabel) reasons.push(`a ${d.longest}-character encoded label`);
    if (d.encoded >= s.dnsEncodedQueries) reasons.push(`${d.encoded} unique names with encoded labels`);
    if (d.subdomains.size >= s.dnsUniqueSubdomains) reasons.push(`${d.subdomains.size} unique subdomains`);
    if (d.txtNull >= s.dnsTxtNullQueries) reasons.push(`${d.txtNull} TXT/NULL queries`);
    if (d.bytes >= s.dnsBytesPerDomain) reasons.push(`${d.bytes} bytes of DNS`);
    if (reasons.length === 0) return;
    // Re-raise (an update) only as the picture grows, not on every query.
    if (d.raised && d.queries % 50 !== 0) return;
    d.raised = true;
    store.raise({
      type: "dns_tunneling",
      severity: reasons.length >= 2 ? "high" : "medium",
      title: `Possible DNS tunnel to ${domain}`,
      description: `${client} sent DNS to ${domain} carrying data: ${reasons.join(", ")}.`,
      ts,
      sourceIp: client,
      sourceMac: mac,
      targetIp: null,
      key: `dns_tunneling|${client}|${domain}`,
      evidence: {
        domain,
        queries: d.queries,
        uniqueSubdomains: d.subdomains.size,
        encodedNames: d.encoded,
        longestEncodedLabel: d.longest,
        txtNullQueries: d.txtNull,
        dnsBytes: d.bytes,
        windowSeconds: s.dnsWindowSeconds,
        reasons,
        sampleName: d.sample,
      },
    });
  };

  return {
    name: "threats.dns-tunnel",
    tracked: () => domains.size,
    wants: ["dns"],
    observe(o: Observation): void {
      if (o.kind !== "dns") return;
      const q = o.msg.questions[0];
      if (!q || isLocalName(q.name)) return;
      const domain = tunnelDomain(q.name);
      const client = o.msg.isResponse ? o.meta.dstIp : o.meta.srcIp;
      if (!client) return;
      const d = state(client, domain, o.meta.ts);
      d.bytes += o.msg.size;
      if (o.msg.isResponse) return;
      d.queries++;
      const sub = domain === NO_TLD ? q.name.toLowerCase()
        : q.name.length > domain.length ? q.name.slice(0, q.name.length - domain.length - 1).toLowerCase() : "";
      const subHash = hashName(sub);
      if (sub) addCapped(d.subdomains, subHash, MAX_SUBDOMAINS_TRACKED);
      if (q.type === TXT || q.type === NULL_RR) d.txtNull++;
      let longestEncoded = 0;
      for (const label of sub.split(".")) {
        if (label.length >= s.dnsEncodedLabel && (HEX.test(label) || entropy(label) >= s.dnsLabelEntropy)) {
          longestEncoded = Math.max(longestEncoded, label.length);
        }
      }
      // Unique names only: one long load-balancer name looked up again and again is not data.
      if (longestEncoded > 0 && !d.encodedNames.has(subHash) && d.encodedNames.size < MAX_SUBDOMAINS_TRACKED) {
        d.encodedNames.add(subHash);
        d.encoded++;
        if (longestEncoded > d.longest) {
          d.longest = longestEncoded;
          d.sample = q.name.slice(0, SAMPLE_NAME_CHARS);
        }
      }
      judge(client, o.meta.srcMac, domain, d, o.meta.ts);
    },
    tick(now: number): void {
      domains.sweep((d) => now - d.last > s.dnsWindowSeconds);
    },
  };
}
