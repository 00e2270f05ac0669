/**
 * Zerologon (CVE-2020-1472): Netlogon authentication over DCE-RPC with an all-zero client
 * credential, repeated until the 1-in-256 chance lets the attacker in. A real client computes its
 * credential from the session key (an all-zero one is a 2^-64 accident) and authenticates once per
 * secure channel; read from the first request packets of each DCE-RPC connection.
 */
import type { FlowRecord } from "../flows/record.ts";
import type { FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { BoundedMap, markGrown, reportGrowth, reportOnce, type Reported, type TrackedAnalyzer, FlowRef, type PayloadFlow } from "./util.ts";

const DCERPC_HEADER = 16;
const PTYPE_REQUEST = 0, PTYPE_RESPONSE = 2, PTYPE_BIND = 11, PTYPE_ALTER_CONTEXT = 14;
/** Netlogon's interface UUID 12345678-1234-abcd-ef00-01234567cffb as it travels (little-endian fields). */
const NETLOGON_UUID = [0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0xcf, 0xfb];
/** NetrServerAuthenticate, NetrServerAuthenticate2, NetrServerAuthenticate3. */
const AUTHENTICATE_OPNUMS = new Set([2, 15, 26]);
const STATUS_SUCCESS = 0;

interface ConnState extends Reported {
  netlogon: boolean;
  authentications: number;
  zeroCredentials: number;
  denied: number;
  succeeded: number;
  /** Call ids of Authenticate requests, to read their answers. */
  authCalls: Set<number>;
  start: number;
  client: string;
  clientMac: string | null;
  server: string;
  port: number;
}

function hasNetlogonUuid(d: Uint8Array): boolean {
  outer: for (let i = DCERPC_HEADER; i + NETLOGON_UUID.length <= d.length; i++) {
    for (let k = 0; k < NETLOGON_UUID.length; k++) if (d[i + k] !== NETLOGON_UUID[k]) continue outer;
    return true;
  }
  return false;
}

/** The 16- / 32-bit number at `o` in the packet's byte order (module functions: no closures per packet). */
function u16(d: Uint8Array, o: number, little: boolean): number {
  return little ? d[o] | d[o + 1] << 8 : d[o] << 8 | d[o + 1];
}
function u32(d: Uint8Array, o: number, little: boolean): number {
  return (little ? d[o] | d[o + 1] << 8 | d[o + 2] << 16 | d[o + 3] << 24 : d[o] << 24 | d[o + 1] << 16 | d[o + 2] << 8 | d[o + 3]) >>> 0;
}

/** Whether a TCP payload, read in place, can be a DCE/RPC v5.0 PDU the payload hook reads (it returns at once on any other). */
function mayBeDceRpc(d: Uint8Array, start: number, length: number): boolean {
  return length >= DCERPC_HEADER + 8 && d[start] === 5 && d[start + 1] === 0;
}

export function createZerologonDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  /** The flow of the current numeric payload call. */
  const ref = new FlowRef();
  const conns = new BoundedMap<string, ConnState>(s.maxTrackedKeys);

  const raise = (c: ConnState): void => {
    store.raise({
      type: "zerologon",
      severity: "critical",
      title: `Zerologon (CVE-2020-1472) attempt against ${c.server}`,
      description: `${c.client} sent ${c.authentications} Netlogon authentications to ${c.server}:${c.port}, ` +
        `${c.zeroCredentials} with an all-zero credential; ${c.denied} denied, ${c.succeeded} accepted.`,
      ts: c.last,
      sourceIp: c.client,
      sourceMac: c.clientMac,
      targetIp: c.server,
      targetPort: c.port,
      key: `zerologon|${c.client}|${c.server}`,
      evidence: {
        netlogonAuthentications: c.authentications, zeroCredentials: c.zeroCredentials, denied: c.denied,
        accepted: c.succeeded, threshold: s.zerologonAuthentications,
        rule: "NetrServerAuthenticate with an all-zero ClientCredential, or repeated Netlogon authentication in one connection",
        inspectedPackets: "first packets of each connection (DPI budget)",
      },
    });
  };

  const payload = (f: PayloadFlow, d: Uint8Array, fromInitiator: boolean, ts: number): void => {
    if (f.ipProtocol !== 6 || !mayBeDceRpc(d, 0, d.length)) return;
    const ptype = d[2];
    const little = (d[4] & 0x10) !== 0;
    const fragLen = Math.min(u16(d, 8, little), d.length);
    const authLen = u16(d, 10, little);
    const callId = u32(d, 12, little);
    if (fromInitiator && (ptype === PTYPE_BIND || ptype === PTYPE_ALTER_CONTEXT)) {
      if (!hasNetlogonUuid(d.subarray(0, fragLen))) return;
      // get, then set when absent (upsert's closure over `f` and `ts` gave every payload call a scope object).
      const id = f.id;
      if (!conns.has(id)) {
        conns.set(id, {
          netlogon: true, authentications: 0, zeroCredentials: 0, denied: 0, succeeded: 0, authCalls: new Set(), start: ts, last: ts,
          client: f.srcIp, clientMac: f.srcMac, server: f.dstIp, port: f.dstPort, raised: false, dirty: false,
        });
      }
      return;
    }
    // No connection bound Netlogon yet (the usual case): no flow id text made to look one up.
    const c = conns.size === 0 ? undefined : conns.get(f.id);
    if (!c) return;
    c.last = Math.max(c.last, ts);
    // The stub ends before the auth verifier (when there is one: 8-byte sec_trailer + authLen).
    const stubEnd = fragLen - (authLen > 0 ? authLen + 8 : 0);
    if (fromInitiator && ptype === PTYPE_REQUEST && d.length >= 24) {
      if (!AUTHENTICATE_OPNUMS.has(u16(d, 22, little))) return;
      c.authentications++;
      if (c.authCalls.size < 64) c.authCalls.add(callId);
      // ClientCredential (8 bytes) sits right before NegotiateFlags (4) at the end of Authenticate2/3; last for Authenticate.
      const credEnd = u16(d, 22, little) === 2 ? stubEnd : stubEnd - 4;
      if (credEnd - 8 >= 24 && authLen === 0) {
        let zero = true;
        for (let i = credEnd - 8; i < credEnd; i++) if (d[i] !== 0) zero = false;
        if (zero) c.zeroCredentials++;
      }
      if (c.zeroCredentials > 0 || c.authentications >= s.zerologonAuthentications) reportOnce(c, raise);
    } else if (!fromInitiator && ptype === PTYPE_RESPONSE && c.authCalls.delete(callId) && stubEnd >= 28) {
      if (u32(d, stubEnd - 4, little) === STATUS_SUCCESS) c.succeeded++;
      else c.denied++;
      markGrown(c);
    }
  };

  return {
    name: "threats.zerologon",
    tracked: () => conns.size,
    payloadFilter: { ipProtocols: [6], test: mayBeDceRpc },
    payloadAt(table: FlowTable, index: number, d: Uint8Array, fromInitiator: boolean, ts: number): void {
      payload(ref.at(table, index), d, fromInitiator, ts);
    },
    payload,
    tick(now: number): void {
      reportGrowth(conns, now, s.stateExpirySeconds, (c) => raise(c));
    },
  };
}
