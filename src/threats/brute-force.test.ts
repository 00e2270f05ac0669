import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import { createBruteForceDetector } from "./brute-force.ts";
import { fixture, flow, meta } from "./testing.ts";

const sshLogin = (i: number, p: object = {}) => flow({
  srcIp: "192.168.56.1", dstIp: "192.168.56.103", dstPort: 22, srcPort: 50000 + i, tcpState: "closed",
  packetsSent: 20, packetsReceived: 15, startTime: 1000 + i * 6, lastSeen: 1000 + i * 6 + 4, ...p,
});

describe("brute force", () => {
  test("many short SSH connections from one source to one server fire with the client as source", () => {
    const { store, settings } = fixture({ bruteForceConnections: 10 });
    const d = createBruteForceDetector(store, settings);
    for (let i = 0; i < 9; i++) d.flowEnded!(sshLogin(i), "closed");
    expect(store.size).toBe(0);
    d.flowEnded!(sshLogin(9), "closed");
    const [t] = store.list();
    expect(t.type).toBe("brute_force");
    expect(t.sourceIp).toBe("192.168.56.1");
    expect(t.targetIp).toBe("192.168.56.103");
    expect(t.targetPort).toBe(22);
    expect(t.evidence.service).toBe("SSH");
    expect(t.evidence.shortConnections).toBe(10);
  });

  test("long sessions, scan probes and web ports are not login attempts", () => {
    const { store, settings } = fixture({ bruteForceConnections: 10 });
    const d = createBruteForceDetector(store, settings);
    for (let i = 0; i < 30; i++) {
      d.flowEnded!(sshLogin(i, { lastSeen: 1000 + i * 6 + 600 }), "closed"); // interactive sessions
      d.flowEnded!(sshLogin(i, { packetsSent: 2, packetsReceived: 1, tcpState: "reset" }), "closed"); // scan probe
      d.flowEnded!(sshLogin(i, { dstPort: 443 }), "closed");
    }
    expect(store.size).toBe(0);
  });

  test("failed logins (FTP verdicts; HTTP 401 and Telnet \"Login incorrect\" in the replies) from one client fire", () => {
    const { store, settings } = fixture({ failedAuthAttempts: 5 });
    const d = createBruteForceDetector(store, settings);
    const fail = (ts: number): Observation => ({
      kind: "cleartextAuth",
      meta: meta({ ts, srcIp: "10.0.0.21", dstIp: "10.0.0.66", srcPort: 21, dstPort: 40000, fromInitiator: false }),
      msg: { protocol: "FTP", secretSent: false, success: false },
    });
    const bytes = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));
    const web = flow({ srcIp: "10.0.0.77", dstIp: "10.0.0.80", dstPort: 80 });
    const telnet = flow({ srcIp: "10.0.0.78", dstIp: "10.0.0.23", dstPort: 23 });
    for (let i = 0; i < 4; i++) d.observe!(fail(1000 + i));
    expect(store.size).toBe(0);
    d.observe!(fail(1010));
    for (let i = 0; i < 5; i++) {
      d.payload!(web, bytes("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\n"), false, 1000 + i);
      d.payload!(web, bytes("HTTP/1.1 200 OK\r\n\r\n"), false, 1000 + i); // successes and requests do not count
      d.payload!(web, bytes("GET /private/ HTTP/1.1\r\n\r\n"), true, 1000 + i);
      d.payload!(telnet, bytes("\r\nLogin incorrect\r\nvm login: "), false, 1000 + i);
    }
    const byService = Object.fromEntries(store.list().map((t) => [t.evidence.service, t]));
    expect(byService.Telnet).toMatchObject({ sourceIp: "10.0.0.78", targetPort: 23 });
    expect(byService.FTP.sourceIp).toBe("10.0.0.66");
    expect(byService.FTP.targetPort).toBe(21);
    expect(byService.HTTP.sourceIp).toBe("10.0.0.77");
    expect(byService.HTTP.evidence.failedLogins).toBe(5);
  });

  test("bounded state", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 100 });
    const d = createBruteForceDetector(store, settings);
    for (let i = 0; i < 20_000; i++) d.flowEnded!(sshLogin(0, { srcIp: `10.9.${i >> 8}.${i & 255}` }), "closed");
    expect(d.tracked()).toBeLessThanOrEqual(100);
  });
});
