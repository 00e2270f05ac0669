/**
 * DNS tunnelling / exfiltration, per client and registered domain over time (RITA's view, not
 * per socket: iodine keeps one UDP socket, dig +tcp one TCP connection): long or high-entropy
 * labels, many unique subdomains, queries for record types that carry data (NULL, TXT, CNAME,
 * MX, SRV), DNS bytes, NXDOMAIN share and bytes per query; plus port 53 carrying something that is
 * not DNS at all (iodine's raw mode), and DNS hidden in HTTPS to a public resolver by address.
 */
import type { Observation, PacketMeta } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import {
  type Address, addressText, BoundedMap, entropy, flowPairKey, hashName, isLocalLowered, metaDst, metaSrc,
  registeredDomain, type TrackedAnalyzer, FlowRef, type PayloadFlow, withoutRootDot,
} from "./util.ts";
import { memoize } from "../util/memo.ts";
import { HashSet32 } from "./hash-set32.ts";
import { PairTable } from "./pair-table.ts";

const NULL_RR = 10;
/** Record types a client has little reason to ask for, and a tunnel uses to carry data down. */
const DATA_TYPES = new Set([NULL_RR, 16 /* TXT */, 5 /* CNAME */, 15 /* MX */, 33 /* SRV */]);
const NXDOMAIN = 3;
/** Public resolvers that answer DNS over HTTPS on their bare address. */
const DOH_RESOLVERS = new Set([
  "1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "149.112.112.112", "208.67.222.222", "208.67.220.220",
  "94.140.14.14", "94.140.15.15", "2606:4700:4700::1111", "2606:4700:4700::1001", "2001:4860:4860::8888",
  "2001:4860:4860::8844", "2620:fe::fe", "2620:fe::9",
]);
const DNS_PORT = 53;
const DNS_HEADER = 12;
/** Subdomain hashes remembered per (client, domain): past it the evidence reads "at least". */
const MAX_SUBDOMAINS_TRACKED = 1024;
/** Characters of the most telling query name kept as evidence. */
const SAMPLE_NAME_CHARS = 120;

/** Names with no real TLD (dnscat2 without a domain) all count under this one "domain". */
export const NO_TLD = "(no valid TLD)";

/** Query names whose facts are remembered (a query and its answer name the same; clients repeat names). */
const MAX_REMEMBERED_NAMES = 4096;

/**
 * The domain a name's queries count under, from the name lowered and without its root dot; asked
 * once per name not remembered (see nameFacts).
 */
function tunnelDomain(l: string): string {
  return plausibleTld(l, l.lastIndexOf(".") + 1) ? registeredDomain(l) : NO_TLD;
}

/** Whether l.slice(from) is a plausible TLD, /^(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})$/, read in place. */
export function plausibleTld(l: string, from: number): boolean {
  const n = l.length - from;
  if (n >= 2 && n <= 24) {
    let letters = true;
    for (let i = from; i < l.length && letters; i++) letters = isLowerLetter(l.charCodeAt(i));
    if (letters) return true;
  }
  if (n < 5 || n > 63 || !l.startsWith("xn--", from)) return false;
  for (let i = from + 4; i < l.length; i++) {
    const c = l.charCodeAt(i);
    if (!isLowerLetter(c) && !(c >= 48 && c <= 57) && c !== 45) return false;
  }
  return true;
}

function isLowerLetter(c: number): boolean {
  return c >= 97 && c <= 122;
}

/**
 * /^[0-9a-f]+$/.test(s.slice(from, to)), read in place. Hex has at most 4 bits per character, so
 * its entropy understates it; a long hex label is data.
 */
export function isHex(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 48 && c <= 57) && !(c >= 97 && c <= 102)) return false;
  }
  return true;
}

/** Whether every character is ASCII (its lower case is then the same length, character for character). */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return false;
  return true;
}

interface DomainState {
  /** The registered domain (a number key is checked against it: the key holds a hash of it). */
  domain: string;
  start: number;
  last: number;
  queries: number;
  /** Made on the first subdomain / encoded name (most states see a name or two, many none encoded). */
  subdomains: HashSet32 | null;
  encoded: number;
  encodedNames: HashSet32 | null;
  /** Encoded-label characters over the unique encoded names: the data they could carry. */
  encodedChars: number;
  longest: number;
  txtNull: number;
  nullQueries: number;
  nxdomains: number;
  responses: number;
  bytes: number;
  raised: boolean;
  sample: string;
}

/** Whether the bytes at `off` can be a DNS message header (a known opcode, a sane question count). */
/** A query name's facts (see nameFacts in the detector). */
interface NameFacts {
  local: boolean;
  domain: string;
  /** hashName(domain): half of a client's number key. */
  domainHash: number;
  /** Whether the name has a part below its domain, and that part's hash (the part itself is not kept). */
  hasSub: boolean;
  subHash: number;
  longestEncoded: number;
  encodedChars: number;
}
const LOCAL_NAME: NameFacts = { local: true, domain: "", domainHash: 0, hasSub: false, subHash: 0, longestEncoded: 0, encodedChars: 0 };

/** looksLikeDns for `length` bytes at `start` of a larger buffer (the payload read in place). */
function looksLikeDnsAt(d: Uint8Array, start: number, length: number): boolean {
  return length >= DNS_HEADER && looksLikeDns(d, start);
}

export function looksLikeDns(d: Uint8Array, off = 0): boolean {
  if (d.length < off + DNS_HEADER) return false;
  const opcode = (d[off + 2] >> 3) & 0x0f;
  const questions = d[off + 4] << 8 | d[off + 5];
  return (opcode <= 2 || (opcode >= 4 && opcode <= 6)) && questions <= 16;
}

/** Share of a port-53 conversation's packets that must fail as DNS (damaged or fuzzed DNS fails only now and then). */
const NOT_DNS_SHARE = 0.8;

interface OtherState {
  first: number;
  last: number;
  packets: number;
  /** Port-53 packets of the same conversation that were DNS. */
  dns: number;
  sample: string;
  raised: boolean;
}

export function createDnsTunnelingDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  /** The flow of the current numeric payload call. */
  const ref = new FlowRef();
  /** Port-53 flows carrying something else, and DoH-by-address sessions, by client|server. */
  /** By client and server: a number for IPv4 pairs on port 53, text for IPv6 and for DoH ("...|https"). */
  const others = new BoundedMap<number | string, OtherState>(s.maxTrackedKeys);

  const raiseOther = (kind: "not-dns" | "doh-by-address", client: string, mac: string | null, server: string, o: OtherState): void => {
    const notDns = kind === "not-dns";
    store.raise({
      type: "dns_tunneling",
      severity: notDns ? "high" : "medium",
      title: notDns ? `Port 53 to ${server} carries something that is not DNS` : `DNS hidden in HTTPS to ${server}`,
      description: notDns
        ? `${client} exchanged ${o.packets} packets with ${server}:53 that are not DNS messages (a tunnel's raw mode, such as iodine's).`
        : `${client} opened TLS to the public resolver ${server}:443 by address, without a server name: DNS over HTTPS from a ` +
          `program rather than a browser, invisible to the network's DNS (dns2tcp and other tunnels ride on it).`,
      ts: o.last,
      sourceIp: client,
      sourceMac: mac,
      targetIp: server,
      key: `dns_tunneling|${client}|${server}`,
      evidence: notDns
        ? { server, nonDnsPackets: o.packets, dnsPackets: o.dns, threshold: s.dnsNotDnsPackets, samplePayload: o.sample, rule: "UDP to port 53 whose payload has no DNS header" }
        : { server, sessions: o.packets, rule: "TLS ClientHello without SNI to a public DNS-over-HTTPS resolver's address on port 443" },
    });
  };

  /**
   * What a query name says, worked out once per name (clients ask for the same names again and
   * again): local or not, its tunnel domain, the part below it and its encoded-looking labels.
   */
  const nameFacts = memoize(MAX_REMEMBERED_NAMES, (qname: string): NameFacts => {
    // Lowered once (isLocalName and the domain each lowered the name and dropped its root dot).
    const lowered = qname.toLowerCase();
    const l = withoutRootDot(lowered);
    if (isLocalLowered(l)) return LOCAL_NAME;
    const domain = tunnelDomain(l);
    // The part below the domain: `qname.slice(0, n).toLowerCase()`. Read in place in the lowered name
    // when lowering goes character for character (no case to change, or ASCII), else made as before.
    const n = domain === NO_TLD ? qname.length : qname.length > domain.length ? qname.length - domain.length - 1 : 0;
    let text = lowered, end = n;
    if (lowered !== qname && !isAscii(qname)) {
      text = domain === NO_TLD ? lowered : qname.slice(0, n).toLowerCase();
      end = text.length;
    }
    let longestEncoded = 0, encodedChars = 0;
    // The labels found by their dots (no array, and no text for the labels).
    for (let from = 0; from <= end;) {
      let to = text.indexOf(".", from);
      if (to < 0 || to > end) to = end;
      if (to - from >= s.dnsEncodedLabel && (isHex(text, from, to) || entropy(text, from, to) >= s.dnsLabelEntropy)) {
        longestEncoded = Math.max(longestEncoded, to - from);
        encodedChars += to - from;
      }
      from = to + 1;
    }
    return { local: false, domain, domainHash: hashName(domain), hasSub: end > 0, subHash: hashName(text, 0, end), longestEncoded, encodedChars };
  });

  /**
   * States by client and domain: an IPv4 client's key is a number (its address and the domain's
   * hash; no text per query), checked against the domain it holds. A colliding domain, and an IPv6
   * client, take the text key "client|domain".
   */
  const domains = new PairTable<DomainState>(s.maxTrackedKeys);
  /** States ever filed under a text key for an IPv4 client (after a hash collision): 0, the usual case, skips looking for one. */
  let collided = 0;

  const state = (client: Address, name: NameFacts, ts: number): DomainState => {
    const domain = name.domain;
    // The number key (the domain's hash, the IPv4 client), or the text key when `text` is set.
    let text: string | null = null, slot: number;
    if (typeof client !== "number") {
      text = `${addressText(client)}|${domain}`;
      slot = domains.findText(text);
    } else {
      slot = domains.findNumber(name.domainHash, client);
      if (slot >= 0 ? domains.valueAt(slot).domain !== domain : collided > 0) {
        const key = `${addressText(client)}|${domain}`;
        const at = domains.findText(key);
        if (slot >= 0) collided++;
        // A colliding domain always takes its text key; a domain with no number entry, only when it has one.
        if (slot >= 0 || at >= 0) {
          text = key;
          slot = at;
        }
      }
    }
    let d = slot >= 0 ? domains.valueAt(slot) : undefined;
    if (!d || ts - d.start > s.dnsWindowSeconds) {
      // The key's past window reset in place, or the state the cap drops (no object per new client
      // and domain once the table is full), or new.
      const reuse = d ?? domains.evictForReuse();
      if (reuse === undefined) {
        d = { domain, start: ts, last: ts, queries: 0, subdomains: null, encoded: 0, encodedNames: null, encodedChars: 0, longest: 0, txtNull: 0, nullQueries: 0, nxdomains: 0, responses: 0, bytes: 0,
          raised: false, sample: "" };
        if (text === null) domains.addNumber(name.domainHash, client as number, d);
        else domains.addText(text, d);
      } else {
        reuse.domain = domain;
        reuse.start = reuse.last = ts;
        reuse.queries = reuse.encoded = reuse.encodedChars = reuse.longest = reuse.txtNull = reuse.nullQueries = reuse.nxdomains = reuse.responses = reuse.bytes = 0;
        reuse.subdomains = reuse.encodedNames = null;
        reuse.raised = false;
        reuse.sample = "";
        if (d === undefined) {
          if (text === null) domains.addNumber(name.domainHash, client as number, reuse);
          else domains.addText(text, reuse);
        }
        d = reuse;
      }
    }
    d.last = Math.max(d.last, ts);
    return d;
  };

  const judge = (clientIp: Address, meta: PacketMeta, domain: string, d: DomainState, ts: number): void => {
    // Whether any reason holds, before a reason is written (most queries cross nothing, a tunnel's
    // are re-raised once per 50 queries).
    const subdomains = d.subdomains === null ? 0 : d.subdomains.size;
    const any = d.longest >= s.dnsLongLabel || (d.encoded >= s.dnsEncodedQueries && d.encodedChars >= s.dnsEncodedChars) ||
      subdomains >= s.dnsUniqueSubdomains || d.txtNull >= s.dnsTxtNullQueries || d.nullQueries >= s.dnsNullQueries ||
      d.bytes >= s.dnsBytesPerDomain;
    if (!any || (d.raised && d.queries % 50 !== 0)) return;
    const client = addressText(clientIp), mac = meta.srcMac;
    const reasons: string[] = [];
    if (d.longest >= s.dnsLongLabel) reasons.push(`a ${d.longest}-character encoded label`);
    // Many unique hex/random names carrying little (an ad server's 32-hex frame ids) are not a channel: volume counts too.
    if (d.encoded >= s.dnsEncodedQueries && d.encodedChars >= s.dnsEncodedChars) {
      reasons.push(`${d.encoded} unique names with ${d.encodedChars} characters of encoded labels`);
    }
    if (subdomains >= s.dnsUniqueSubdomains) reasons.push(`${subdomains} unique subdomains`);
    if (d.txtNull >= s.dnsTxtNullQueries) reasons.push(`${d.txtNull} NULL/TXT/CNAME/MX/SRV queries`);
    if (d.nullQueries >= s.dnsNullQueries) reasons.push(`${d.nullQueries} NULL-record queries`);
    if (d.bytes >= s.dnsBytesPerDomain) reasons.push(`${d.bytes} bytes of DNS`);
    // Re-raise (an update) only as the picture grows, not on every query.
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
        uniqueSubdomains: subdomains,
        encodedNames: d.encoded,
        encodedChars: d.encodedChars,
        longestEncodedLabel: d.longest,
        txtNullQueries: d.txtNull,
        nullQueries: d.nullQueries,
        dnsBytes: d.bytes,
        bytesPerQuery: d.queries > 0 ? Math.round(d.bytes / d.queries) : 0,
        nxdomainRatio: d.responses > 0 ? Math.round((d.nxdomains / d.responses) * 100) / 100 : 0,
        windowSeconds: s.dnsWindowSeconds,
        reasons,
        sampleName: d.sample,
      },
    });
  };

  const payload = (f: PayloadFlow, data: Uint8Array, fromInitiator: boolean, ts: number): void => {
    if (f.ipProtocol !== 17 || f.dstPort !== DNS_PORT) return;
    const dns = looksLikeDns(data);
    const key = flowPairKey(f, "|");
    if (dns && !others.has(key)) return;
    // get, then set when absent (upsert's closure over `ts` gave every call a scope object).
    let o = others.get(key);
    if (o === undefined) {
      o = { first: ts, last: ts, packets: 0, dns: 0, sample: "", raised: false };
      others.set(key, o);
    }
    o.last = Math.max(o.last, ts);
    if (dns) {
      o.dns++;
      return;
    }
    o.packets++;
    if (!o.sample) o.sample = Array.from(data.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
    if (o.packets >= s.dnsNotDnsPackets && o.packets >= NOT_DNS_SHARE * (o.packets + o.dns) && (!o.raised || o.packets % 50 === 0)) {
      o.raised = true;
      raiseOther("not-dns", f.srcIp, fromInitiator ? f.srcMac : f.dstMac, f.dstIp, o);
    }
  };

  return {
    name: "threats.dns-tunneling",
    tracked: () => domains.size + others.size,
    wants: ["dns", "tlsClientHello"],
    // A DNS message matters only to a conversation already seen carrying something else (no view made otherwise).
    payloadFilter: { ipProtocols: [17], ports: [DNS_PORT], test: (d, start, length) => others.size > 0 || !looksLikeDnsAt(d, start, length) },
    payloadAt(table: FlowTable, index: number, data: Uint8Array, fromInitiator: boolean, ts: number): void {
      payload(ref.at(table, index), data, fromInitiator, ts);
    },
    payload,
    observe(o: Observation): void {
      if (o.kind === "tlsClientHello") {
        const m = o.meta;
        if (o.msg.sni || m.dstPort !== 443 || !m.dstIp || !DOH_RESOLVERS.has(m.dstIp) || !m.srcIp) return;
        const key = `${m.srcIp}|${m.dstIp}|https`;
        let st = others.get(key);
        if (st === undefined) {
          st = { first: m.ts, last: m.ts, packets: 0, dns: 0, sample: "", raised: false };
          others.set(key, st);
        }
        st.packets++;
        st.last = m.ts;
        raiseOther("doh-by-address", m.srcIp, m.srcMac, m.dstIp, st);
        return;
      }
      if (o.kind !== "dns") return;
      const q = o.msg.questions[0];
      if (!q) return;
      const name = nameFacts(q.name);
      if (name.local) return;
      const domain = name.domain;
      const client = o.msg.isResponse ? metaDst(o.meta) : metaSrc(o.meta);
      if (client === null || client === "") return;
      const d = state(client, name, o.meta.ts);
      d.bytes += o.msg.size;
      if (o.msg.isResponse) {
        d.responses++;
        if (o.msg.rcode === NXDOMAIN) d.nxdomains++;
        return;
      }
      d.queries++;
      const { subHash, longestEncoded, encodedChars } = name;
      if (name.hasSub) {
        const subdomains = d.subdomains ??= new HashSet32();
        if (subdomains.size < MAX_SUBDOMAINS_TRACKED) subdomains.add(subHash); // addCapped, with one class of set here
      }
      if (DATA_TYPES.has(q.type)) d.txtNull++;
      if (q.type === NULL_RR) d.nullQueries++;
      // Unique names only: one long load-balancer name looked up again and again is not data.
      const encodedNames = longestEncoded > 0 ? (d.encodedNames ??= new HashSet32()) : null;
      if (encodedNames !== null && !encodedNames.has(subHash) && encodedNames.size < MAX_SUBDOMAINS_TRACKED) {
        encodedNames.add(subHash);
        d.encoded++;
        d.encodedChars += encodedChars;
        if (longestEncoded > d.longest) {
          d.longest = longestEncoded;
          d.sample = q.name.slice(0, SAMPLE_NAME_CHARS);
        }
      }
      judge(client, o.meta, domain, d, o.meta.ts);
    },
    tick(now: number): void {
      domains.sweep((d) => now - d.last > s.dnsWindowSeconds);
      others.sweep((o) => now - o.last > s.dnsWindowSeconds);
    },
  };
}
