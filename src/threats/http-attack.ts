/**
 * HTTP request risks (nDPI's flow risks): SQL injection, XSS, command injection / RCE, path
 * traversal and Log4Shell strings in what a client sends a web server — the URI, the free-text
 * headers and the start of the body — whatever port the server listens on.
 */
import type { Observation } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { FlowTable } from "../flows/table.ts";
import {
  INSPECTED_HEADERS, matchWebAttacks, MAX_INSPECTED_CHARS, normalizeRequestText, type WebAttackKind, type WebAttackMatch,
} from "./http-attack-rules.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { BoundedMap, hashName, reportGrowth, reportOnce, type Reported, type TrackedAnalyzer, FlowRef, type PayloadFlow } from "./util.ts";

const TITLES: Record<WebAttackKind, string> = {
  sql_injection: "SQL injection attempt",
  xss: "Cross-site scripting attempt",
  command_injection: "Command injection / remote code execution attempt",
  path_traversal: "Path traversal attempt",
  log4shell: "Log4Shell (JNDI lookup) exploit attempt",
};
const SEVERITY = { sql_injection: "high", xss: "medium", command_injection: "high", path_traversal: "medium", log4shell: "critical" } as const;
/** Requests kept as evidence per threat. */
const SAMPLES = 3;
const SAMPLE_CHARS = 200;

interface AttackState extends Reported {
  start: number;
  requests: number;
  rules: Set<string>;
  samples: string[];
  mac: string | null;
  port: number;
}

/** Where in the request the text came from: rules of every kind, or only the header-wide ones. */
type Part = { text: string; headerOnly: boolean };

/** "METHOD " (3-10 capitals and a space) at the start, as the request-line test below needs. */
function startsWithMethod(data: Uint8Array): boolean {
  let i = 0;
  while (i < data.length && i <= 10 && data[i] >= 0x41 && data[i] <= 0x5a) i++;
  return i >= 3 && i <= 10 && data[i] === 0x20;
}

/** Bytes as text, one character per byte (ISO-8859-1: TextDecoder's "latin1" is windows-1252). */
function byteText(data: Uint8Array, n: number): string {
  return Buffer.from(data.buffer, data.byteOffset, n).toString("latin1");
}

const REQUEST_LINE = /^[A-Z]{3,10} \S+ HTTP\/\d/;

/** The request line of a request packet ("GET /x HTTP/1.1"), or null when the packet does not start one. */
export function requestLineOf(data: Uint8Array): string | null {
  if (!startsWithMethod(data)) return null; // most payloads: no text is built
  const n = Math.min(data.length, MAX_INSPECTED_CHARS);
  let lineEnd = -1;
  for (let i = 0; i + 1 < n; i++) {
    if (data[i] === 0x0d && data[i + 1] === 0x0a) {
      lineEnd = i;
      break;
    }
  }
  const requestLine = byteText(data, lineEnd < 0 ? n : lineEnd);
  return REQUEST_LINE.test(requestLine) ? requestLine : null;
}

/** Splits the head of a request packet into the parts the rules read. */
export function requestParts(data: Uint8Array): { requestLine: string; parts: Part[] } | null {
  const requestLine = requestLineOf(data);
  return requestLine === null ? null : { requestLine, parts: partsOf(data, requestLine) };
}

/** The request line, the header values and the start of the body of a request packet. */
function partsOf(data: Uint8Array, requestLine: string): Part[] {
  const text = byteText(data, Math.min(data.length, MAX_INSPECTED_CHARS));
  const lineEnd = requestLine.length < text.length ? requestLine.length : -1;
  const parts: Part[] = [{ text: requestLine, headerOnly: false }];
  const headEnd = text.indexOf("\r\n\r\n");
  const head = text.slice(lineEnd + 2, headEnd < 0 ? text.length : headEnd);
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    parts.push({ text: line.slice(colon + 1), headerOnly: !INSPECTED_HEADERS.has(name) && name !== "host" });
  }
  if (headEnd >= 0 && headEnd + 4 < text.length) parts.push({ text: text.slice(headEnd + 4), headerOnly: false });
  return parts;
}

/** Rule matches of header values seen before (User-Agent, Host, Accept repeat request after request). */
const MAX_REMEMBERED_PARTS = 2048;
const REMEMBERED_PART_CHARS = 512;

/** `matchWebAttacks(normalizeRequestText(text))`, remembered for short texts that recur. */
class PartMatcher {
  #seen = [new Map<string, WebAttackMatch[]>(), new Map<string, WebAttackMatch[]>()];

  match(text: string, headerOnly: boolean, remember: boolean): WebAttackMatch[] {
    if (!remember || text.length > REMEMBERED_PART_CHARS) return matchWebAttacks(normalizeRequestText(text), headerOnly);
    const seen = this.#seen[headerOnly ? 1 : 0];
    let found = seen.get(text);
    if (found === undefined) {
      if (seen.size >= MAX_REMEMBERED_PARTS) seen.clear();
      found = matchWebAttacks(normalizeRequestText(text), headerOnly);
      seen.set(text, found);
    }
    return found;
  }
}

export function createHttpAttackDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer & {
  payload(flow: PayloadFlow, data: Uint8Array, fromInitiator: boolean, ts: number): void;
} {
  /** The flow of the current numeric payload call. */
  const ref = new FlowRef();
  const attacks = new BoundedMap<string, AttackState>(s.maxTrackedKeys);
  /** Requests already judged (flow + request line): the URI and the raw packet describe the same request. */
  const judged = new BoundedMap<string, true>(s.maxTrackedKeys);

  const raise = (key: string, a: AttackState): void => {
    const [kind, client, server] = key.split("|") as [WebAttackKind, string, string];
    store.raise({
      type: kind,
      severity: SEVERITY[kind],
      title: `${TITLES[kind]} against ${server}`,
      description: `${client} sent ${a.requests} HTTP request${a.requests === 1 ? "" : "s"} to ${server}:${a.port} matching ` +
        `${[...a.rules].join(", ")}.`,
      ts: a.last,
      sourceIp: client,
      sourceMac: a.mac,
      targetIp: server,
      targetPort: a.port,
      key: `${kind}|${client}|${server}|${a.port}`,
      evidence: { requests: a.requests, rules: [...a.rules], sampleRequests: [...a.samples], threshold: s.webAttackRequests },
    });
  };

  /** Whether this request of this flow was judged already (the URI and the raw packet describe the same request). */
  const seenBefore = (flowKey: string, requestLine: string): boolean => {
    const seen = `${flowKey}|${hashName(requestLine)}`;
    if (judged.get(seen)) return true;
    judged.set(seen, true);
    return false;
  };

  const matcher = new PartMatcher();

  const judge = (requestLine: string, parts: Part[], client: string, mac: string | null, server: string, port: number, ts: number): void => {
    const found = new Map<WebAttackKind, WebAttackMatch>();
    for (let i = 0; i < parts.length; i++) {
      // parts[0] is the request line: unique per request, not worth remembering.
      for (const m of matcher.match(parts[i].text, parts[i].headerOnly, i > 0)) if (!found.has(m.kind)) found.set(m.kind, m);
    }
    for (const [kind, m] of found) {
      const key = `${kind}|${client}|${server}|${port}`;
      const a = attacks.upsert(key, () => ({ start: ts, last: ts, requests: 0, rules: new Set(), samples: [], mac, port, raised: false, dirty: false }));
      a.last = Math.max(a.last, ts);
      a.requests++;
      a.rules.add(m.rule);
      if (a.samples.length < SAMPLES) a.samples.push(`${requestLine.slice(0, SAMPLE_CHARS)} [${m.rule}: ${m.excerpt.slice(0, 120)}]`);
      if (a.requests >= s.webAttackRequests) reportOnce(a, (st) => raise(key, st));
    }
  };

  const payload = (flow: PayloadFlow, data: Uint8Array, fromInitiator: boolean, ts: number): void => {
    if (!fromInitiator || data.length < 16 || data[0] < 0x41 || data[0] > 0x5a) return;
    const requestLine = requestLineOf(data);
    if (requestLine === null || seenBefore(flow.id, requestLine)) return;
    judge(requestLine, partsOf(data, requestLine), flow.srcIp, flow.srcMac, flow.dstIp, flow.dstPort, ts);
  };

  return {
    name: "threats.http-attack",
    tracked: () => attacks.size + judged.size,
    wants: ["http"],
    observe(o: Observation): void {
      if (o.kind !== "http" || !o.msg.isRequest || !o.msg.uri) return;
      const m = o.meta;
      if (!m.srcIp || !m.dstIp) return;
      const requestLine = `${o.msg.method ?? "GET"} ${o.msg.uri} HTTP/${o.msg.version}`;
      if (seenBefore(m.flowId ?? `${m.srcIp}:${m.srcPort}`, requestLine)) return;
      const parts: Part[] = [{ text: requestLine, headerOnly: false }];
      if (o.msg.userAgent) parts.push({ text: o.msg.userAgent, headerOnly: false });
      judge(requestLine, parts, m.srcIp, m.srcMac, m.dstIp, m.dstPort, m.ts);
    },
    payloadFilter: { ipProtocols: [6], direction: "initiator" },
    payloadAt(table: FlowTable, index: number, data: Uint8Array, fromInitiator: boolean, ts: number): void {
      payload(ref.at(table, index), data, fromInitiator, ts);
    },
    payload,
    tick(now: number): void {
      reportGrowth(attacks, now, s.stateExpirySeconds, (a, key) => raise(key, a));
    },
  };
}
