/**
 * Heartbleed (CVE-2014-0160) and other TLS heartbeat abuse: heartbeat records are rare and tiny
 * (a keep-alive of a few dozen bytes); a client asking for kilobytes and a server answering with
 * kilobytes is the memory-reading exploit (Zeek's Heartbleed::SSL_Heartbeat_Attack / _Success).
 * Read from the record headers at the start of the first payload packets of each TCP flow.
 */
import type { FlowRecord } from "../flows/record.ts";
import type { FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { BoundedMap, reportGrowth, reportOnce, type Reported, type TrackedAnalyzer, FlowRef, type PayloadFlow } from "./util.ts";

const CONTENT_HEARTBEAT = 24;
const RECORD_HEADER = 5;
/** Records walked per packet (a segment can carry several). */
const MAX_RECORDS_PER_PACKET = 16;

interface HeartbeatState extends Reported {
  requests: number;
  largestRequest: number;
  responses: number;
  largestResponse: number;
  client: string;
  clientMac: string | null;
  server: string;
  port: number;
}

/**
 * Walks the TLS records whose headers lie in `length` bytes at `start` (in place) and returns how
 * many are heartbeat records, writing their lengths into `lengths`; with no `lengths`, stops at the
 * first one (the payload filter: whether there is one, so the engine makes no view of other packets).
 */
function heartbeatRecords(d: Uint8Array, start: number, length: number, lengths: number[] | null): number {
  let off = 0, found = 0;
  for (let n = 0; n < MAX_RECORDS_PER_PACKET && off + RECORD_HEADER <= length; n++) {
    const at = start + off;
    const type = d[at], major = d[at + 1], minor = d[at + 2];
    if (type < 20 || type > 24 || major !== 3 || minor > 4) break;
    const recordLength = d[at + 3] << 8 | d[at + 4];
    if (type === CONTENT_HEARTBEAT) {
      if (lengths === null) return 1;
      lengths[found++] = recordLength;
    }
    off += RECORD_HEADER + recordLength;
  }
  return found;
}

/** Whether a TCP payload, read in place, has a heartbeat record header among its records. */
export function hasHeartbeatRecord(d: Uint8Array, start: number, length: number): boolean {
  return heartbeatRecords(d, start, length, null) > 0;
}

export function createHeartbleedDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  /** The flow of the current numeric payload call. */
  const ref = new FlowRef();
  const flows = new BoundedMap<string, HeartbeatState>(s.maxTrackedKeys);

  const raise = (h: HeartbeatState): void => {
    const leaked = h.largestResponse > s.tlsHeartbeatMaxBytes;
    store.raise({
      type: "heartbleed",
      severity: leaked ? "critical" : "high",
      title: leaked ? `Heartbleed: ${h.server} answered an oversized TLS heartbeat` : `Heartbleed attempt against ${h.server}`,
      description: `${h.client} sent ${h.requests} TLS heartbeat request(s) to ${h.server}:${h.port} (largest ${h.largestRequest} bytes); ` +
        `the server sent ${h.responses} heartbeat response(s) (largest ${h.largestResponse} bytes)` +
        (leaked ? ": it probably leaked memory." : "."),
      ts: h.last,
      sourceIp: h.client,
      sourceMac: h.clientMac,
      targetIp: h.server,
      targetPort: h.port,
      key: `heartbleed|${h.client}|${h.server}|${h.port}`,
      evidence: {
        heartbeatRequests: h.requests, largestRequestBytes: h.largestRequest, heartbeatResponses: h.responses,
        largestResponseBytes: h.largestResponse, thresholdBytes: s.tlsHeartbeatMaxBytes, probablyLeaked: leaked,
        rule: "TLS heartbeat record larger than a keep-alive needs",
      },
    });
  };

  /** Heartbeat record lengths of the packet being read (scratch). */
  const lengths: number[] = [];
  const payload = (f: PayloadFlow, d: Uint8Array, fromInitiator: boolean, ts: number): void => {
    if (f.ipProtocol !== 6 || d.length < RECORD_HEADER || d[1] !== 3) return;
    // Every heartbeat record whose header lies in this packet (lengths into a reused array: no callback per TLS packet).
    const n = heartbeatRecords(d, 0, d.length, lengths);
    for (let k = 0; k < n; k++) heartbeat(f, lengths[k], fromInitiator, ts);
  };

  /** One heartbeat record of `length` bytes in the flow. */
  const heartbeat = (f: PayloadFlow, length: number, fromInitiator: boolean, ts: number): void => {
    const h = flows.upsert(f.id, () => ({
      requests: 0, largestRequest: 0, responses: 0, largestResponse: 0, client: f.srcIp, clientMac: f.srcMac,
      server: f.dstIp, port: f.dstPort, last: ts, raised: false, dirty: false,
    }));
    h.last = Math.max(h.last, ts);
    if (fromInitiator) {
      h.requests++;
      h.largestRequest = Math.max(h.largestRequest, length);
    } else {
      h.responses++;
      h.largestResponse = Math.max(h.largestResponse, length);
    }
    if (h.largestRequest > s.tlsHeartbeatMaxBytes || h.largestResponse > s.tlsHeartbeatMaxBytes) reportOnce(h, raise);
  };

  return {
    name: "threats.heartbleed",
    tracked: () => flows.size,
    payloadFilter: { ipProtocols: [6], test: hasHeartbeatRecord },
    payloadAt(table: FlowTable, index: number, d: Uint8Array, fromInitiator: boolean, ts: number): void {
      payload(ref.at(table, index), d, fromInitiator, ts);
    },
    payload,
    tick(now: number): void {
      reportGrowth(flows, now, s.stateExpirySeconds, (h) => raise(h));
    },
  };
}
