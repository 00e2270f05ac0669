import { describe, expect, test } from "bun:test";
import { sshAuthShape } from "./ssh-auth-shape.ts";
import { createSshGuessingDetector } from "./ssh-guessing.ts";
import { fixture, flow } from "./testing.ts";

// Packet shapes (+ client, - server payload bytes) of real connections: banners, KEXINITs, DH, NEWKEYS (16),
// service request/accept, then authentication rounds.
const HYDRA = [23, -41, 904, -1088, 48, -524, 16, 44, -44, 60, -52, 76, -52, 76, -52, 76, -52, 76, -52, 76, -52, 76, -76];
const MEDUSA = [20, -41, -1088, 1128, 48, -208, 16, 64, -64, 80, -80, 96, -80, 80, -80, 96, -80, 80, -80, 96, -80, 80, -96, 64];
const PATATOR = [25, -41, 1168, -1088, 48, -544, 16, 64, -64, 96, -80, 64, -64, 96, -80, 64, -64, 96, -80];
const ZEEK_SSHGUESS = [21, -32, 1448, 144, -952, 24, -280, 272, -848, 16, 56, -56, 72, -56, 376, -56, 152, -56, 152, -56, 152, -56];
// Logins that succeeded and went on to a session (nDPI's ssh.pcap; zeek's ssh.pcap, OpenSSH 6.2 -> 6.6 with two key offers).
const SESSION = [-21, 21, 904, -784, 24, -152, 144, -720, 16, 48, -48, 64, -80, 144, -80, 144, -80, 144, -32, 128, -48, 448, -112, -96, -64, -96, 48, -48, 48, -48, 48, -48];
const KEYS_THEN_SESSION = [21, -41, -1448, -200, 1448, 144, 24, -152, 144, -720, 16, 52, -52, 68, -52, 1448, 716, -52, 372, -52, 148, -36, 52, -52, 460, -108, -212, -84, 36, -52, -36, -140];

describe("SSH authentication from packet shape", () => {
  test.each([
    // hydra: "none", then 5 passwords answered -52, then the disconnect; patator re-requests the service per attempt.
    ["hydra", HYDRA, 5, 52], ["medusa", MEDUSA, 5, 80], ["patator", PATATOR, 3, 80], ["zeek sshguess", ZEEK_SSHGUESS, 4, 56],
  ])("%s: failed attempts after the key exchange", (_name, shape, attempts, size) => {
    const a = sshAuthShape(shape)!;
    expect(a).toMatchObject({ success: false, failedAttempts: attempts, failureSize: size });
  });

  test("a login that succeeds (a smaller answer than the failures, then a session) has no failed attempts", () => {
    expect(sshAuthShape(SESSION)).toMatchObject({ success: true, failedAttempts: 0, failureSize: 80 });
    expect(sshAuthShape(KEYS_THEN_SESSION)).toMatchObject({ success: true, failedAttempts: 0 });
  });

  test("no visible key exchange (mid-stream capture, not SSH, empty, hostile) is not judged", () => {
    expect(sshAuthShape([])).toBeNull();
    expect(sshAuthShape([76, -52, 76, -52, 76, -52])).toBeNull();
    expect(sshAuthShape([300, 16])).toEqual({ rounds: 0, success: false, failedAttempts: 0, failureSize: 0 });
    expect(() => sshAuthShape(Array.from({ length: 32 }, (_, i) => (i % 2 ? -32767 : 32767)))).not.toThrow();
  });
});

describe("SSH guessing detector", () => {
  const conn = (i: number, shape: number[], t = 1000 + i * 3) =>
    flow({ id: `s${i}`, srcIp: "10.0.0.66", dstIp: "10.0.0.10", dstPort: 22, startTime: t, lastSeen: t + 1, shape, packetsSent: 17, packetsReceived: 16 });

  test("hydra -t 1: a handful of connections with five tries each is raised while it runs (flow updates)", () => {
    const { store, settings } = fixture({ sshFailedAttempts: 8 });
    const d = createSshGuessingDetector(store, settings);
    d.flowUpdated!(conn(1, HYDRA));
    expect(store.size).toBe(0);
    d.flowUpdated!(conn(1, HYDRA)); // the same connection again counts once
    d.flowEnded!(conn(1, HYDRA), "closed");
    expect(store.size).toBe(0);
    d.flowUpdated!(conn(2, HYDRA));
    const [t] = store.list();
    expect(t).toMatchObject({ type: "brute_force", sourceIp: "10.0.0.66", targetIp: "10.0.0.10", targetPort: 22 });
    expect(t.evidence).toMatchObject({ sshFailedAttempts: 10, sshConnections: 2, attemptsPerConnection: [5, 5], failureReplyBytes: [52] });
  });

  test("an admin's logins that succeed (even after key offers) never add up", () => {
    const { store, settings } = fixture({ sshFailedAttempts: 8 });
    const d = createSshGuessingDetector(store, settings);
    for (let i = 0; i < 50; i++) d.flowEnded!(conn(i, i % 2 ? SESSION : KEYS_THEN_SESSION), "closed");
    expect(store.size).toBe(0);
  });

  test("a connection first seen mid-guessing that then logs in takes its failures back", () => {
    const { store, settings } = fixture({ sshFailedAttempts: 8 });
    const d = createSshGuessingDetector(store, settings);
    const partial = KEYS_THEN_SESSION.slice(0, 20);
    d.flowUpdated!(conn(1, partial));
    d.flowEnded!(conn(1, KEYS_THEN_SESSION), "closed");
    d.flowEnded!(conn(2, HYDRA), "closed");
    expect(store.size).toBe(0);
  });

  test("state stays under the cap", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 100 });
    const d = createSshGuessingDetector(store, settings);
    for (let i = 0; i < 5000; i++) d.flowEnded!({ ...conn(i, HYDRA), srcIp: `10.9.${i >> 8}.${i & 255}` }, "closed");
    expect(d.tracked()).toBeLessThanOrEqual(200);
  });
});
