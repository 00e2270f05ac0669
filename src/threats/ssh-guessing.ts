/**
 * SSH password guessing counted in attempts, not connections (Zeek's detect-bruteforcing on
 * ssh.log's inferred auth outcomes): hydra, medusa, ncrack and patator try several passwords per
 * connection over a few parallel connections. Each connection's failed attempts come from its
 * packet shape (ssh-auth-shape.ts), read while it runs (flow updates) and when it ends; a
 * connection that went on to a session logged in, and its failures do not count.
 */
import type { FlowRecord } from "../flows/record.ts";
import type { EndReason, FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import { sshAuthShape } from "./ssh-auth-shape.ts";
import type { ThreatStore } from "./store.ts";
import {
  BoundedMap, EndedFlowRef, reportGrowth, firstCrossing, type Reported, type TrackedAnalyzer, type UpdatedFlow, UpdatedFlowRef,
} from "./util.ts";

const HIGH_FACTOR = 5;
const SAMPLE_CONNECTIONS = 10;

interface Guessing extends Reported {
  start: number;
  attempts: number;
  connections: number;
  /** Failed attempts of the first few connections, by flow id. */
  perConnection: Map<string, number>;
  failureSizes: Set<number>;
  mac: string | null;
  deviceId: string | null;
}

export function createSshGuessingDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  const pairs = new BoundedMap<string, Guessing>(s.maxTrackedKeys);
  /** Attempts already counted per flow (updates recount; the difference is added). */
  const counted = new BoundedMap<string, number>(s.maxTrackedKeys);
  /** The flow of the current numeric flowUpdated / flowEnded call. */
  const updated = new UpdatedFlowRef();
  const ended = new EndedFlowRef();

  const raise = (key: string, g: Guessing): void => {
    const [client, server, port] = key.split("|");
    store.raise({
      type: "brute_force",
      severity: g.attempts >= s.sshFailedAttempts * HIGH_FACTOR ? "high" : "medium",
      title: `SSH brute force against ${server}`,
      description: `${client} failed ${g.attempts} SSH logins to ${server}:${port} over ${g.connections} connections ` +
        `within ${Math.round(g.last - g.start)} s (attempts inferred from packet sizes).`,
      ts: g.last,
      sourceIp: client,
      sourceMac: g.mac,
      targetIp: server,
      targetPort: Number(port),
      deviceId: g.deviceId,
      key: `brute_force|${client}|${server}|${port}`,
      evidence: {
        service: "SSH",
        sshFailedAttempts: g.attempts,
        sshConnections: g.connections,
        attemptsPerConnection: [...g.perConnection.values()],
        failureReplyBytes: [...g.failureSizes],
        sshThreshold: s.sshFailedAttempts,
        windowSeconds: s.bruteForceWindowSeconds,
        rule: "after key exchange, client requests answered with the connection's repeated failure size, never a smaller (success) answer or a session",
      },
    });
  };

  const judge = (f: UpdatedFlow | FlowRecord, reason?: string): void => {
    if (f.ipProtocol !== 6 || (f.dstPort !== 22 && f.service !== "SSH")) return;
    const shape = f.shape; // read from the table, a new array per read
    if (!shape) return;
    const a = sshAuthShape(shape);
    if (!a) return;
    const failed = a.failedAttempts;
    const before = counted.get(f.id) ?? 0;
    if (failed === before) return;
    counted.set(f.id, failed);
    const key = `${f.srcIp}|${f.dstIp}|${f.dstPort}`;
    let g = pairs.get(key);
    if (!g || f.lastSeen - g.start > s.bruteForceWindowSeconds) {
      g = { start: f.startTime, last: f.lastSeen, attempts: 0, connections: 0, perConnection: new Map(), failureSizes: new Set(),
        mac: f.srcMac, deviceId: f.srcDeviceId, raised: false, dirty: false };
      pairs.set(key, g);
    }
    g.last = Math.max(g.last, f.lastSeen);
    g.attempts += failed - before;
    if (before === 0) g.connections++;
    if (g.perConnection.has(f.id) || g.perConnection.size < SAMPLE_CONNECTIONS) g.perConnection.set(f.id, failed);
    if (g.failureSizes.size < 8) g.failureSizes.add(a.failureSize);
    if (g.attempts >= s.sshFailedAttempts && firstCrossing(g)) raise(key, g);
    // No tick follows the flows ended at the end of a capture: report their growth now.
    if (reason === "shutdown" && g.dirty) {
      g.dirty = false;
      raise(key, g);
    }
  };

  return {
    name: "threats.ssh-guessing",
    tracked: () => pairs.size + counted.size,
    // Every TCP flow: an SSH server on another port is known by its label (service "SSH").
    updateFilter: { ipProtocols: [6] },
    flowUpdatedAt(table: FlowTable, index: number): void {
      judge(updated.at(table, index));
    },
    flowUpdated: (f) => judge(f),
    flowEndedAt(table: FlowTable, index: number, reason: EndReason): void {
      if (table.ipProtocolOf(index) === 6) judge(ended.at(table, index), reason);
    },
    flowEnded: judge,
    tick(now: number): void {
      reportGrowth(pairs, now, s.bruteForceWindowSeconds, (g, key) => raise(key, g));
    },
  };
}
