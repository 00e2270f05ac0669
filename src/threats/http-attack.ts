/**
 * HTTP request risks (nDPI's flow risks): SQL injection, XSS, command injection / RCE, path
 * traversal and Log4Shell strings in what a client sends a web server — the URI, the free-text
 * headers and the start of the body — whatever port the server listens on.
 */
import { isRegexSpaceByte } from "../decode/read.ts";
import type { Observation } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { FlowTable } from "../flows/table.ts";
import {
  INSPECTED_HEADERS, matchWebAttacks, MAX_INSPECTED_CHARS, mayMatchWebAttack, normalizeRequestText, type WebAttackKind, type WebAttackMatch,
} from "./http-attack-rules.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import {
  addressText, BoundedMap, metaDst, metaSrc, reportGrowth, reportOnce, type Reported, type TrackedAnalyzer, FlowRef, type PayloadFlow,
} from "./util.ts";
import { PairTable } from "./pair-table.ts";

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


/**
 * The length of the request line at the start of `data` when it is one (REQUEST_LINE's test, read
 * on the bytes: "METHOD ", non-space characters, " HTTP/" and a digit), else -1. No text is made.
 */
export function requestLineLength(data: Uint8Array): number {
  if (!startsWithMethod(data)) return -1;
  const n = Math.min(data.length, MAX_INSPECTED_CHARS);
  let lineEnd = n;
  for (let i = 0; i + 1 < n; i++) {
    if (data[i] === 0x0d && data[i + 1] === 0x0a) {
      lineEnd = i;
      break;
    }
  }
  let i = 0;
  while (data[i] !== 0x20) i++; // past the method (startsWithMethod found its space)
  const target = ++i;
  while (i < lineEnd && !isRegexSpaceByte(data[i])) i++;
  // At least one non-space character, then " HTTP/" and a digit within the line.
  if (i === target || i + 6 >= lineEnd || data[i] !== 0x20 || data[i + 1] !== 0x48 || data[i + 2] !== 0x54 || data[i + 3] !== 0x54 || data[i + 4] !== 0x50 ||
    data[i + 5] !== 0x2f || data[i + 6] < 0x30 || data[i + 6] > 0x39) return -1;
  return lineEnd;
}

/** hashName of the first `n` bytes read as Latin-1 text (the same number, no text made). */
function hashBytes(data: Uint8Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ data[i], 0x01000193);
  return h >>> 0;
}

/** hashName continued over more text (FNV-1a runs left to right: parts hash as their concatenation). */
function hashMore(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

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

/**
 * mayMatchWebAttack of the line "METHOD URI HTTP/VERSION" without making it: no trigger holds a
 * space, so one that matches the line matches within one of its three parts ("HTTP/" included:
 * "/bin/" may start there).
 */
export function mayMatchRequestLine(method: string, uri: string, version: string): boolean {
  return mayMatchWebAttack(method) || mayMatchWebAttack(uri) || (version !== "1.1" && version !== "1.0" && mayMatchWebAttack(`HTTP/${version}`));
}

/** Rule matches of header values seen before (User-Agent, Host, Accept repeat request after request). */
const MAX_REMEMBERED_PARTS = 2048;
const REMEMBERED_PART_CHARS = 512;

/** `matchWebAttacks(normalizeRequestText(text))`, remembered for short texts that recur. */
const NO_MATCHES: readonly WebAttackMatch[] = [];

class PartMatcher {
  #seen = [new Map<string, readonly WebAttackMatch[]>(), new Map<string, readonly WebAttackMatch[]>()];

  match(text: string, headerOnly: boolean, remember: boolean): readonly WebAttackMatch[] {
    if (!mayMatchWebAttack(text)) return NO_MATCHES;
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
  /**
   * Requests already judged (flow + request line): the URI and the raw packet describe the same
   * request. Keyed by the flow's number and the line's hash (text only for a record's flow id); the
   * oldest forgotten first at the cap.
   */
  const judged = new PairTable<true>(s.maxTrackedKeys);

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
  const seenBefore = (flowKey: number | string, lineHash: number): boolean => {
    if (typeof flowKey === "string") {
      // A record's flow id (text) meets the engine's number for the same flow under one key.
      const n = Number(flowKey);
      if (Number.isInteger(n) && String(n) === flowKey) flowKey = n;
    }
    if (typeof flowKey === "number" && flowKey >= 0 && flowKey < 0x7ff00000) {
      if (judged.findNumber(flowKey, lineHash) >= 0) return true;
      judged.addNumber(flowKey, lineHash, true);
      return false;
    }
    const seen = `${flowKey}|${lineHash}`;
    if (judged.findText(seen) >= 0) return true;
    judged.addText(seen, true);
    return false;
  };

  const matcher = new PartMatcher();

  /** Adds one part's matches to `found` (made on the first match), the first match per kind kept. */
  const matchPart = (found: Map<WebAttackKind, WebAttackMatch> | null, text: string, headerOnly: boolean, remember: boolean):
    Map<WebAttackKind, WebAttackMatch> | null => {
    const matches = matcher.match(text, headerOnly, remember);
    for (let k = 0; k < matches.length; k++) {
      const m = matches[k];
      found ??= new Map();
      if (!found.has(m.kind)) found.set(m.kind, m);
    }
    return found;
  };

  /** The first match of each kind in a request's parts, or null for none (most requests: no Map made). */
  const matchParts = (parts: Part[]): Map<WebAttackKind, WebAttackMatch> | null => {
    let found: Map<WebAttackKind, WebAttackMatch> | null = null;
    // parts[0] is the request line: unique per request, not worth remembering.
    for (let i = 0; i < parts.length; i++) found = matchPart(found, parts[i].text, parts[i].headerOnly, i > 0);
    return found;
  };

  const judge = (requestLine: string, found: Map<WebAttackKind, WebAttackMatch>, client: string, mac: string | null, server: string,
    port: number, ts: number): void => {
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
    // The line is checked and hashed on the bytes: its text is made only for a request not judged yet.
    const lineLength = requestLineLength(data);
    if (lineLength < 0 || seenBefore(flow instanceof FlowRef ? flow.idNumber : flow.id, hashBytes(data, lineLength))) return;
    const requestLine = byteText(data, lineLength);
    const found = matchParts(partsOf(data, requestLine));
    if (found !== null) judge(requestLine, found, flow.srcIp, flow.srcMac, flow.dstIp, flow.dstPort, ts);
  };

  return {
    name: "threats.http-attack",
    tracked: () => attacks.size + judged.size,
    wants: ["http"],
    observe(o: Observation): void {
      if (o.kind !== "http" || !o.msg.isRequest || !o.msg.uri) return;
      const m = o.meta;
      const src = metaSrc(m), dst = metaDst(m); // numbers for IPv4: no text unless a rule matches
      if (src === null || src === "" || dst === null || dst === "") return;
      const method = o.msg.method ?? "GET", uri = o.msg.uri, version = o.msg.version;
      // hashName of "METHOD URI HTTP/VERSION", hashed part by part (the line is made only when new).
      const lineHash = hashMore(hashMore(hashMore(hashMore(0x811c9dc5, method), " "), uri), " HTTP/");
      const flowKey = m.flowNumber !== undefined && m.flowNumber >= 0 ? m.flowNumber : m.flowId ?? `${m.srcIp}:${m.srcPort}`;
      if (seenBefore(flowKey, hashMore(lineHash, version) >>> 0)) return;
      // The request line, then the user agent, as matchParts would take them (no parts array per request);
      // the line's text is made only when a rule could match it, or the user agent matched.
      let found = mayMatchRequestLine(method, uri, version) ? matchPart(null, `${method} ${uri} HTTP/${version}`, false, false) : null;
      if (o.msg.userAgent) found = matchPart(found, o.msg.userAgent, false, true);
      if (found !== null) judge(`${method} ${uri} HTTP/${version}`, found, addressText(src), m.srcMac, addressText(dst), m.dstPort, m.ts);
    },
    // As the payload hook's first test, on the bytes in place (no view made for the rest).
    payloadFilter: { ipProtocols: [6], direction: "initiator", test: (d, start, length) => length >= 16 && d[start] >= 0x41 && d[start] <= 0x5a },
    payloadAt(table: FlowTable, index: number, data: Uint8Array, fromInitiator: boolean, ts: number): void {
      payload(ref.at(table, index), data, fromInitiator, ts);
    },
    payload,
    tick(now: number): void {
      reportGrowth(attacks, now, s.stateExpirySeconds, (a, key) => raise(key, a));
    },
  };
}
