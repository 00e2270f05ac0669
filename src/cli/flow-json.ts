/**
 * A flow's JSON for `analyze --json`, written as UTF-8 bytes straight from the flow table: the
 * same bytes as `JSON.stringify(toApiFlow(record))` for the record the engine makes when the flow
 * ends, without that record, its API copy, two Dates and a string per flow. Every ended flow used
 * to leave ~1.5 KB of garbage (the record, its copy, the JSON text and its pieces): when tens of
 * thousands of flows end at once (the end of a file, a flood evicting), that was the peak of RSS.
 */
import { flowProtocolName, tcpFlagLetters, tcpStateName } from "../flows/snapshot.ts";
import { ST_CLOSED, ST_RESET } from "../flows/state.ts";
import type { FlowTable } from "../flows/table.ts";
import { BY_PAYLOAD, BY_PORT, type TextField } from "../flows/labels.ts";
import { memoize } from "../util/memo.ts";

/** Label texts (services, host names, device ids) repeat across flows: quoted and encoded once each. */
const quotedBytes = memoize(4096, (text: string) => new TextEncoder().encode(JSON.stringify(text)));

/** Bytes a flow's JSON takes besides its label texts (~450 with the longest IPv6 addresses). */
const FIXED_BYTES = 1024;
/** JSON.stringify writes a UTF-16 unit as at most 6 bytes of UTF-8 ("\\u001f", a lone surrogate as "\\udc00"). */
const MAX_QUOTED_BYTES_PER_UNIT = 6;
/** "0123456789abcdef" as bytes. */
const HEX_DIGITS = new TextEncoder().encode("0123456789abcdef");
const LABELS: readonly TextField[] = ["service", "hostname", "application", "category", "srcDeviceId", "dstDeviceId"];

/**
 * The JSON between a flow's values as bytes, each piece named by the field it opens: copied into
 * the output, not read from a string a character at a time.
 */
const KEY = asciiBytes({
  id: '{"id":"',
  protocol: '","protocol":"',
  ipProtocol: '","ipProtocol":',
  ipVersion: ',"ipVersion":',
  srcIp: ',"srcIp":"',
  srcPort: '","srcPort":',
  dstIp: ',"dstIp":"',
  dstPort: '","dstPort":',
  srcMac: ',"srcMac":',
  dstMac: ',"dstMac":',
  vlan: ',"vlan":',
  packetsSent: ',"packetsSent":',
  bytesSent: ',"bytesSent":',
  packetsReceived: ',"packetsReceived":',
  bytesReceived: ',"bytesReceived":',
  startTime: ',"startTime":"',
  lastSeen: '","lastSeen":"',
  tcpFlags: ',"tcpFlags":"',
  service: '","service":',
  application: ',"application":',
  category: ',"category":',
  srcDeviceId: ',"srcDeviceId":',
  dstDeviceId: ',"dstDeviceId":',
  durationSeconds: ',"durationSeconds":',
  end: '}',
  closed: '","status":"closed","tcpState":',
  active: '","status":"active","tcpState":',
  byPayload: ',"serviceBy":"payload","hostname":',
  byPort: ',"serviceBy":"port","hostname":',
  byNothing: ',"serviceBy":null,"hostname":',
});

function asciiBytes<T extends Record<string, string>>(texts: T): { readonly [K in keyof T]: Uint8Array } {
  const out = {} as { [K in keyof T]: Uint8Array };
  for (const key in texts) out[key] = new TextEncoder().encode(texts[key]);
  return out;
}

/** Writes flow JSON into one reused byte array (read `bytes.subarray(0, length)` after each flow). */
export class FlowJsonWriter {
  bytes: Uint8Array = new Uint8Array(4096);
  length = 0;

  /**
   * Flow `i` as the engine's end record shows it: "closed" unless the capture ended first
   * (`ended`: the flow idled out, closed or was evicted). Returns the byte length.
   */
  write(t: FlowTable, i: number, ended: boolean): number {
    const need = this.maxBytes(t, i);
    if (need > this.bytes.length) this.bytes = new Uint8Array(need * 2);
    return this.writeInto(t, i, ended, this.bytes, 0);
  }

  /**
   * As `write`, into `out` from byte `at` (with room for maxBytes(t, i) there): returns where the
   * JSON ends. `analyze --json` writes straight into its spool's buffer this way (no copy per flow).
   */
  writeInto(t: FlowTable, i: number, ended: boolean, out: Uint8Array, at: number): number {
    const own = this.bytes;
    this.bytes = out;
    this.length = at;
    this.#flow(t, i, ended);
    const end = this.length;
    this.bytes = own;
    this.length = end - at;
    return end;
  }

  #flow(t: FlowTable, i: number, ended: boolean): void {
    const ipProtocol = t.ipProtocolOf(i), st = t.stateOf(i), isTcp = ipProtocol === 6;
    const first = t.firstSeenOf(i), last = t.lastSeenOf(i), labels = t.labels;
    this.#bytes(KEY.id);
    this.#number(t.ids[i]);
    this.#bytes(KEY.protocol);
    this.#ascii(flowProtocolName(ipProtocol));
    this.#bytes(KEY.ipProtocol);
    this.#number(ipProtocol);
    this.#bytes(KEY.ipVersion);
    this.#number(t.ipVersionOf(i));
    this.#bytes(KEY.srcIp);
    const src4 = t.initiatorIp4(i);
    if (src4 >= 0) this.#ipv4(src4);
    else this.#ascii(t.initiatorIp(i));
    this.#bytes(KEY.srcPort);
    this.#number(t.initiatorPort(i));
    this.#bytes(KEY.dstIp);
    const dst4 = t.responderIp4(i);
    if (dst4 >= 0) this.#ipv4(dst4);
    else this.#ascii(t.responderIp(i));
    this.#bytes(KEY.dstPort);
    this.#number(t.responderPort(i));
    this.#bytes(KEY.srcMac);
    this.#mac(t.initiatorMac(i));
    this.#bytes(KEY.dstMac);
    this.#mac(t.responderMac(i));
    this.#bytes(KEY.vlan);
    this.#number(t.vlanOf(i));
    this.#bytes(KEY.packetsSent);
    this.#number(t.packetsOf(i, 0));
    this.#bytes(KEY.bytesSent);
    this.#number(t.bytesOf(i, 0));
    this.#bytes(KEY.packetsReceived);
    this.#number(t.packetsOf(i, 1));
    this.#bytes(KEY.bytesReceived);
    this.#number(t.bytesOf(i, 1));
    this.#bytes(KEY.startTime);
    this.#isoTime(first);
    this.#bytes(KEY.lastSeen);
    this.#isoTime(last);
    this.#bytes(ended || st === ST_CLOSED || st === ST_RESET ? KEY.closed : KEY.active);
    this.#quotedOrNull(isTcp ? tcpStateName(st) : null);
    this.#bytes(KEY.tcpFlags);
    if (isTcp) this.#ascii(tcpFlagLetters(t.tcpFlagsOf(i, 0) | t.tcpFlagsOf(i, 1)));
    this.#bytes(KEY.service);
    this.#label(labels.textOf(i, "service"));
    const by = labels.serviceByOf(i);
    this.#bytes(by === BY_PAYLOAD ? KEY.byPayload : by === BY_PORT ? KEY.byPort : KEY.byNothing);
    this.#label(labels.textOf(i, "hostname"));
    this.#bytes(KEY.application);
    this.#label(labels.textOf(i, "application"));
    this.#bytes(KEY.category);
    this.#label(labels.textOf(i, "category"));
    this.#bytes(KEY.srcDeviceId);
    this.#label(labels.textOf(i, "srcDeviceId"));
    this.#bytes(KEY.dstDeviceId);
    this.#label(labels.textOf(i, "dstDeviceId"));
    this.#bytes(KEY.durationSeconds);
    this.#micros(Math.max(0, Math.round((last - first) * 1e6)));
    this.#bytes(KEY.end);
  }

  /**
   * At most how many bytes flow `i`'s JSON takes: the fixed part and the flow's labels (the only
   * texts of unbounded length), by a bound on their quoted length, not by quoting them here too.
   */
  maxBytes(t: FlowTable, i: number): number {
    let need = FIXED_BYTES;
    for (const field of LABELS) {
      const text = t.labels.textOf(i, field);
      if (text !== null) need += 2 + text.length * MAX_QUOTED_BYTES_PER_UNIT;
    }
    return need;
  }

  /** A piece of KEY. */
  #bytes(piece: Uint8Array): void {
    const b = this.bytes;
    let p = this.length;
    for (let k = 0; k < piece.length; k++) b[p++] = piece[k];
    this.length = p;
  }

  /** Text known to be ASCII with nothing to escape (names, addresses, MACs, digits). */
  #ascii(s: string): void {
    const b = this.bytes;
    let p = this.length;
    for (let k = 0; k < s.length; k++) b[p++] = s.charCodeAt(k);
    this.length = p;
  }

  #quotedOrNull(s: string | null): void {
    if (s === null) return this.#ascii("null");
    this.bytes[this.length++] = 0x22; // "
    this.#ascii(s);
    this.bytes[this.length++] = 0x22;
  }

  #label(text: string | null): void {
    if (text === null) return this.#ascii("null");
    const q = quotedBytes(text), b = this.bytes;
    let p = this.length;
    for (let k = 0; k < q.length; k++) b[p++] = q[k];
    this.length = p;
  }

  /** As JSON writes a number: digits for whole numbers (counters, ports, ids), String() otherwise. */
  #number(n: number): void {
    if ((n | 0) === n && n >= 0) return this.#int(n); // counters, ports, ids: int32 arithmetic
    if (!(Number.isSafeInteger(n) && n >= 0)) return this.#ascii(String(n));
    const b = this.bytes;
    let digits = 0;
    for (let m = n; m >= 1; m = Math.floor(m / 10)) digits++;
    let p = this.length + digits;
    this.length = p;
    for (let m = n; m >= 1; m = Math.floor(m / 10)) b[--p] = 0x30 + (m % 10);
  }

  /**
   * `micros / 1e6` as JSON writes it (String()), without the text String() makes per flow. Below
   * MAX_PLAIN_MICROS the double nearest micros / 1e6 is the only one within half a microsecond (its
   * neighbours are far closer), so its shortest round-trip text is the six decimals with their
   * trailing zeros dropped; past it, or for a non-integer, String() as before.
   */
  #micros(micros: number): void {
    if (!(Number.isSafeInteger(micros) && micros >= 0 && micros < MAX_PLAIN_MICROS)) return this.#number(micros / 1e6);
    const whole = Math.floor(micros / 1e6);
    let frac = micros - whole * 1e6;
    this.#number(whole);
    if (frac === 0) return;
    let digits = 6;
    while (frac % 10 === 0) {
      frac /= 10;
      digits--;
    }
    const b = this.bytes;
    let p = this.length;
    b[p++] = 0x2e; // .
    p += digits;
    this.length = p;
    for (let k = 0; k < digits; k++) {
      b[--p] = 0x30 + (frac % 10);
      frac = Math.floor(frac / 10);
    }
  }

  /** A whole number from 0 to 2^31 - 1. */
  #int(n: number): void {
    const b = this.bytes;
    let digits = 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) digits++;
    let p = this.length + digits;
    this.length = p;
    let m = n;
    do {
      const q = (m / 10) | 0;
      b[--p] = 0x30 + m - q * 10;
      m = q;
    } while (m > 0);
  }

  /** A MAC (a 48-bit number, -1 unknown) as macName spells it, quoted, or null. */
  #mac(n: number): void {
    if (n < 0) return this.#ascii("null");
    const hi = Math.floor(n / 0x1000000), lo = n - hi * 0x1000000, b = this.bytes;
    let p = this.length;
    b[p++] = 0x22;
    for (let k = 0; k < 6; k++) {
      const octet = k < 3 ? (hi >>> (16 - 8 * k)) & 0xff : (lo >>> (40 - 8 * k)) & 0xff;
      if (k > 0) b[p++] = 0x3a; // :
      b[p++] = HEX_DIGITS[octet >>> 4];
      b[p++] = HEX_DIGITS[octet & 15];
    }
    b[p++] = 0x22;
    this.length = p;
  }

  /** An IPv4 address (a 32-bit number) as its dotted quad: ipv4Name's text without making it. */
  #ipv4(n: number): void {
    this.#int(n >>> 24);
    this.bytes[this.length++] = 0x2e;
    this.#int((n >>> 16) & 0xff);
    this.bytes[this.length++] = 0x2e;
    this.#int((n >>> 8) & 0xff);
    this.bytes[this.length++] = 0x2e;
    this.#int(n & 0xff);
  }

  /** isoTime's text written in place: the cached text up to the second, then the milliseconds. */
  #isoTime(seconds: number): void {
    const ms = Math.round(seconds * 1000);
    if (!(ms >= 0 && ms <= MAX_PLAIN_MS)) return this.#ascii(new Date(ms).toISOString());
    const sec = Math.floor(ms / 1000), frac = ms - sec * 1000;
    this.#ascii(secondPrefix(sec));
    const b = this.bytes, p = this.length;
    b[p] = 0x30 + Math.floor(frac / 100);
    b[p + 1] = 0x30 + (Math.floor(frac / 10) % 10);
    b[p + 2] = 0x30 + (frac % 10);
    b[p + 3] = 0x5a; // Z
    this.length = p + 4;
  }
}

/**
 * Durations (in microseconds) below this are written digit by digit: 1e9 seconds, where doubles are
 * still ~1.2e-7 apart, so the six decimals are the shortest text that reads back as the same number.
 */
const MAX_PLAIN_MICROS = 1e15;

/** Times up to the year 9999: toISOString's plain "YYYY-MM-DDTHH:mm:ss.sssZ" form, cacheable by second. */
const MAX_PLAIN_MS = 253_402_300_799_999;
/** ISO text up to the seconds ("2024-05-01T12:34:56."), for the last few seconds seen (direct-mapped by second). */
const SECOND_SLOTS = 64;
const slotSecond = new Float64Array(SECOND_SLOTS).fill(-1);
const slotPrefix: string[] = new Array<string>(SECOND_SLOTS).fill("");

function secondPrefix(sec: number): string {
  const slot = sec & (SECOND_SLOTS - 1);
  if (slotSecond[slot] !== sec) {
    slotSecond[slot] = sec;
    slotPrefix[slot] = new Date(sec * 1000).toISOString().slice(0, 20);
  }
  return slotPrefix[slot];
}

/**
 * `new Date(Math.round(seconds * 1000)).toISOString()` (api/convert.ts's `iso`), with the text up
 * to the second made once per second instead of a Date per time.
 */
export function isoTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (!(ms >= 0 && ms <= MAX_PLAIN_MS)) return new Date(ms).toISOString();
  const sec = Math.floor(ms / 1000), frac = ms - sec * 1000;
  return `${secondPrefix(sec)}${frac < 10 ? "00" : frac < 100 ? "0" : ""}${frac}Z`;
}

/** A flow's JSON as text (tests, and callers that want a string). */
export function flowJson(t: FlowTable, i: number, ended: boolean): string {
  const w = new FlowJsonWriter();
  const length = w.write(t, i, ended); // first: it may replace w.bytes with a larger array
  return new TextDecoder().decode(w.bytes.subarray(0, length));
}
