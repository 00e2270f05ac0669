/**
 * Brute force against login services: many short connections from one source to one service
 * (SSH, Telnet, RDP, FTP, SMB, VNC, mail logins), or many failed logins (FTP/POP3/IMAP verdicts,
 * and read from the servers' replies: HTTP 401 answers, Telnet "Login incorrect") from one source
 * to one server. SSH attempts inside encrypted connections are ssh-guessing.ts's.
 */
import type { Observation } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { EndReason, FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import {
  BoundedMap, bump, EndedFlowRef, FlowRef, type EndedFlow, type PayloadFlow, type TrackedAnalyzer, type WindowCounter,
} from "./util.ts";

/** Services where a password is typed per connection (HTTP is judged by 401s, not connections). */
export const LOGIN_SERVICES: Record<number, string> = {
  21: "FTP", 22: "SSH", 23: "Telnet", 110: "POP3", 143: "IMAP", 445: "SMB", 139: "SMB",
  3389: "RDP", 5900: "VNC", 3306: "MySQL", 5432: "PostgreSQL", 1433: "MSSQL",
};
const HIGH_FACTOR = 5;
/** What Telnet servers (util-linux login, BusyBox, inetutils) print after a wrong password. */
const TELNET_FAILURES = ["Login incorrect", "Login failed", "Authentication failure", "incorrect password"];
/** Bytes of a Telnet reply searched for a failure line. */
const TELNET_SEARCH = 512;

function startsWithAscii(d: Uint8Array, s: string): boolean {
  if (d.length < s.length) return false;
  for (let i = 0; i < s.length; i++) if (d[i] !== s.charCodeAt(i)) return false;
  return true;
}

/** The status code of an HTTP/1.x status line at the start of `d`, or 0. */
export function httpStatus(d: Uint8Array): number {
  if (d.length < 12 || !startsWithAscii(d, "HTTP/1.") || d[8] !== 0x20) return 0;
  let n = 0;
  for (let i = 9; i < 12; i++) {
    if (d[i] < 0x30 || d[i] > 0x39) return 0;
    n = n * 10 + d[i] - 0x30;
  }
  return n;
}

/** Whether a Telnet server's reply says the login failed. */
export function telnetLoginFailed(d: Uint8Array): boolean {
  let text = "";
  for (let i = 0; i < Math.min(d.length, TELNET_SEARCH); i++) text += String.fromCharCode(d[i]);
  return TELNET_FAILURES.some((f) => text.includes(f));
}

interface Attempts extends WindowCounter {
  srcMac: string | null;
  deviceId: string | null;
}

export function createBruteForceDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  /** The flow of the current numeric payload call. */
  const ref = new FlowRef();
  const short = new BoundedMap<string, Attempts>(s.maxTrackedKeys);
  const failed = new BoundedMap<string, Attempts>(s.maxTrackedKeys);

  const raise = (kind: "connections" | "failed logins", client: string, server: string, port: number,
    service: string, a: Attempts, ts: number, threshold: number): void => {
    store.raise({
      type: "brute_force",
      severity: a.count >= threshold * HIGH_FACTOR ? "high" : "medium",
      title: `${service} brute force against ${server}`,
      description: `${client} made ${a.count} ${kind === "connections" ? "short login connections" : "failed logins"} ` +
        `to ${service} on ${server}:${port} within ${Math.round(ts - a.start)} s.`,
      ts,
      sourceIp: client,
      sourceMac: a.srcMac,
      targetIp: server,
      targetPort: port,
      deviceId: a.deviceId,
      key: `brute_force|${client}|${server}|${port}`,
      evidence: {
        service,
        [kind === "connections" ? "shortConnections" : "failedLogins"]: a.count,
        windowSeconds: s.bruteForceWindowSeconds,
        threshold,
        rule: kind === "connections" ? "short connections to a login service (a scan probe excluded)"
          : "failed logins in the server's replies (FTP 530, POP3/IMAP errors, HTTP 401, Telnet \"Login incorrect\")",
      },
    });
  };

  const counter = (map: BoundedMap<string, Attempts>, key: string, ts: number, mac: string | null, dev: string | null): Attempts => {
    let a = map.get(key);
    if (a === undefined) {
      a = { start: ts, count: 0, srcMac: mac, deviceId: dev };
      map.set(key, a);
    }
    return a;
  };

  const failedLogin = (client: string, clientMac: string | null, server: string, port: number, service: string, ts: number) => {
    const a = counter(failed, `${client}|${server}|${port}`, ts, clientMac, null);
    const n = bump(a, ts, s.bruteForceWindowSeconds);
    if (n >= s.failedAuthAttempts) raise("failed logins", client, server, port, service, a, ts, s.failedAuthAttempts);
  };

  const payload = (f: PayloadFlow, data: Uint8Array, fromInitiator: boolean, ts: number): void => {
    if (fromInitiator || f.ipProtocol !== 6) return;
    if (data[0] === 0x48 && httpStatus(data) === 401) failedLogin(f.srcIp, f.srcMac, f.dstIp, f.dstPort, "HTTP", ts);
    else if (f.dstPort === 23 && telnetLoginFailed(data)) failedLogin(f.srcIp, f.srcMac, f.dstIp, f.dstPort, "Telnet", ts);
  };

  const flowEnded = (f: EndedFlow | FlowRecord): void => {
    const service = LOGIN_SERVICES[f.dstPort];
    if (!service || f.protocol !== "TCP" || f.tcpState === "attempt") return;
    // A scan probe (no data either way) is the port scanner's business, not a login attempt.
    if (f.packetsSent < 4 || f.packetsReceived < 3) return;
    if (f.lastSeen - f.startTime > s.bruteForceShortSeconds) return;
    const a = counter(short, `${f.srcIp}|${f.dstIp}|${f.dstPort}`, f.startTime, f.srcMac, f.srcDeviceId);
    const n = bump(a, f.startTime, s.bruteForceWindowSeconds);
    if (n >= s.bruteForceConnections) {
      raise("connections", f.srcIp, f.dstIp, f.dstPort, service, a, f.lastSeen, s.bruteForceConnections);
    }
  };
  /** The flow of the current numeric flowEnded call. */
  const ended = new EndedFlowRef();

  return {
    name: "threats.brute-force",
    tracked: () => short.size + failed.size,
    wants: ["cleartextAuth"],
    flowEndedAt(table: FlowTable, index: number, _reason: EndReason): void {
      flowEnded(ended.at(table, index));
    },
    flowEnded,
    observe(o: Observation): void {
      const m = o.meta;
      if (!m.srcIp || !m.dstIp) return;
      // Verdicts travel server -> client; the client is whichever end initiated the flow.
      // Telnet and HTTP verdicts are read from the replies' payload (below), where every one of them is seen.
      if (o.kind === "cleartextAuth" && o.msg.success === false && o.msg.protocol !== "Telnet" && o.msg.protocol !== "HTTP") {
        const up = m.fromInitiator;
        failedLogin(up ? m.srcIp : m.dstIp, up ? m.srcMac : m.dstMac, up ? m.dstIp : m.srcIp, up ? m.dstPort : m.srcPort, o.msg.protocol, m.ts);
      }
    },
    // A reply the payload hook reads: an HTTP status line ("H") or anything on Telnet (no view made for the rest).
    payloadFilter: { ipProtocols: [6], direction: "responder", test: (d, start, _length, flows, index) => d[start] === 0x48 || flows.responderPort(index) === 23 },
    payloadAt(table: FlowTable, index: number, data: Uint8Array, fromInitiator: boolean, ts: number): void {
      payload(ref.at(table, index), data, fromInitiator, ts);
    },
    payload,
    tick(now: number): void {
      const stale = (a: Attempts) => now - a.start > s.bruteForceWindowSeconds;
      short.sweep(stale);
      failed.sweep(stale);
    },
  };
}
