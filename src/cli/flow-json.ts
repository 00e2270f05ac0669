/**
 * A flow's JSON for `analyze --json`, written straight from the flow table: the same bytes as
 * `JSON.stringify(toApiFlow(record))` for the record the engine makes when the flow ends, without
 * that record, its API copy and two Dates per flow (they were a quarter of `analyze --json`).
 */
import { flowProtocolName, tcpFlagLetters, tcpStateName } from "../flows/snapshot.ts";
import { ST_CLOSED, ST_RESET } from "../flows/state.ts";
import type { FlowTable } from "../flows/table.ts";
import { BY_PAYLOAD, BY_PORT } from "../flows/labels.ts";
import { memoize } from "../util/memo.ts";

/** Label texts (services, host names, device ids) repeat across flows: quoted once each. */
const quoted = memoize(4096, (text: string) => JSON.stringify(text));

function textOrNull(text: string | null): string {
  return text === null ? "null" : quoted(text);
}

function macOrNull(mac: string | null): string {
  return mac === null ? "null" : `"${mac}"`;
}

function serviceByJson(by: number): string {
  return by === BY_PAYLOAD ? '"payload"' : by === BY_PORT ? '"port"' : "null";
}

/**
 * Flow `i`'s JSON as the engine's end record shows it: "closed" unless the capture ended first
 * (`ended`: the flow idled out, closed or was evicted). Addresses and MACs need no escaping.
 */
export function flowJson(t: FlowTable, i: number, ended: boolean): string {
  const ipProtocol = t.ipProtocolOf(i), st = t.stateOf(i), isTcp = ipProtocol === 6;
  const first = t.firstSeenOf(i), last = t.lastSeenOf(i), labels = t.labels;
  const status = ended || st === ST_CLOSED || st === ST_RESET ? "closed" : "active";
  return `{"id":"${t.idText(i)}","protocol":"${flowProtocolName(ipProtocol)}","ipProtocol":${ipProtocol},` +
    `"ipVersion":${t.ipVersionOf(i)},"srcIp":"${t.initiatorIp(i)}","srcPort":${t.initiatorPort(i)},` +
    `"dstIp":"${t.responderIp(i)}","dstPort":${t.responderPort(i)},` +
    `"srcMac":${macOrNull(t.initiatorMacText(i))},"dstMac":${macOrNull(t.responderMacText(i))},"vlan":${t.vlanOf(i)},` +
    `"packetsSent":${t.packetsOf(i, 0)},"bytesSent":${t.bytesOf(i, 0)},` +
    `"packetsReceived":${t.packetsOf(i, 1)},"bytesReceived":${t.bytesOf(i, 1)},` +
    `"startTime":"${isoTime(first)}","lastSeen":"${isoTime(last)}","status":"${status}",` +
    `"tcpState":${isTcp ? `"${tcpStateName(st)}"` : "null"},` +
    `"tcpFlags":"${isTcp ? tcpFlagLetters(t.tcpFlagsOf(i, 0) | t.tcpFlagsOf(i, 1)) : ""}",` +
    `"service":${textOrNull(labels.textOf(i, "service"))},"serviceBy":${serviceByJson(labels.serviceByOf(i))},` +
    `"hostname":${textOrNull(labels.textOf(i, "hostname"))},"application":${textOrNull(labels.textOf(i, "application"))},` +
    `"category":${textOrNull(labels.textOf(i, "category"))},` +
    `"srcDeviceId":${textOrNull(labels.textOf(i, "srcDeviceId"))},"dstDeviceId":${textOrNull(labels.textOf(i, "dstDeviceId"))},` +
    `"durationSeconds":${Math.max(0, Math.round((last - first) * 1e6) / 1e6)}}`;
}

/** Times up to the year 9999: toISOString's plain "YYYY-MM-DDTHH:mm:ss.sssZ" form, cacheable by second. */
const MAX_PLAIN_MS = 253_402_300_799_999;
/** ISO text up to the seconds ("2024-05-01T12:34:56."), for the last few seconds seen (direct-mapped by second). */
const SECOND_SLOTS = 64;
const slotSecond = new Float64Array(SECOND_SLOTS).fill(-1);
const slotPrefix: string[] = new Array<string>(SECOND_SLOTS).fill("");

/**
 * `new Date(Math.round(seconds * 1000)).toISOString()` (api/convert.ts's `iso`), with the text up
 * to the second made once per second instead of a Date and a string per time.
 */
export function isoTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (!(ms >= 0 && ms <= MAX_PLAIN_MS)) return new Date(ms).toISOString();
  const sec = Math.floor(ms / 1000), slot = sec & (SECOND_SLOTS - 1);
  if (slotSecond[slot] !== sec) {
    slotSecond[slot] = sec;
    slotPrefix[slot] = new Date(sec * 1000).toISOString().slice(0, 20);
  }
  const frac = ms - sec * 1000;
  return `${slotPrefix[slot]}${frac < 10 ? "00" : frac < 100 ? "0" : ""}${frac}Z`;
}
