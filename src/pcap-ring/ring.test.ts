import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendPacket, newBatch } from "../capture/batch.ts";
import { ethernet, ipv4, udp } from "../decode/testing/frames.ts";
import { Engine } from "../engine/engine.ts";
import type { Threat } from "../threats/model.ts";
import { PacketRecorder } from "./recorder.ts";
import { PacketRing } from "./ring.ts";

const dir = mkdtempSync(join(tmpdir(), "ni-ring-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000;
const frame = (sport: number, src = "10.0.0.1", size = 1000) =>
  ethernet({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", type: 0x0800 }, ipv4({ src, dst: "10.0.0.2", proto: 17 }, udp({ sport, dport: 9000 }, new Uint8Array(size))));

const dirBytes = (d: string) => readdirSync(d).filter((n) => n.endsWith(".ring")).reduce((n, f) => n + statSync(join(d, f)).size, 0);

/** Feeds `seconds` of traffic, 200 packets of ~1 kB a second, through an engine with the ring behind it. */
function feed(engine: Engine, from: number, seconds: number, sport: (s: number, i: number) => number, after?: () => void) {
  for (let s = 0; s < seconds; s++) {
    const batch = newBatch(1 << 20);
    for (let i = 0; i < 200; i++) appendPacket(batch, T0 + from + s, i * 1000, frame(sport(s, i)));
    engine.processBatch(batch, 1);
    after?.();
  }
}

describe("packet ring", () => {
  test("its files never exceed the cap; old packets leave, recent ones are found by flow and time", () => {
    const ringDir = join(dir, "cap");
    const engine = new Engine();
    const ring = new PacketRing(ringDir, 4 << 20);
    engine.onBatch((b, lt) => ring.append(b, lt, engine.batchFlowIds));
    let biggest = 0;
    // ~200 kB a second for 100 s: 20 MB through a 4 MB ring.
    feed(engine, 0, 100, (s) => 10000 + s, () => (biggest = Math.max(biggest, dirBytes(ringDir))));
    ring.flush();
    biggest = Math.max(biggest, dirBytes(ringDir));
    expect(biggest).toBeGreaterThan(2 << 20);
    expect(biggest).toBeLessThanOrEqual(4 << 20);
    expect(ring.stats.bytesIn).toBeGreaterThan(16 << 20);
    // The first second's flow is gone; the last second's is all there, in order, byte for byte.
    // Flow ids count up from 1: second s made flow s + 1.
    expect(engine.flows.get(100)?.srcPort).toBe(10099);
    expect(ring.select((_ts, id) => id === 1)).toEqual([]);
    const got = ring.select((_ts, id) => id === 100);
    expect(got.length).toBe(200);
    expect(got[0].ts).toBe(T0 + 99);
    expect([...got[5].data]).toEqual([...frame(10099)]);
    expect(ring.select((ts) => ts >= T0 + 98).length).toBe(400);
    ring.close();
  });

  test("a threat keeps the first packets of each flow involved after the ring has wrapped", () => {
    const ringDir = join(dir, "keep");
    const engine = new Engine();
    const recorder = new PacketRecorder({
      dir: ringDir, capMb: 4,
      // The flows a threat names: every flow in the table with the address (what the service's flow view answers).
      flows: (q) => engine.flows.active().filter((f) => !q.ip || f.srcIp === q.ip || f.dstIp === q.ip),
    });
    recorder.attach(engine);
    // An attacker at 10.6.6.6 sends 100 packets on each of 3 ports, among ordinary traffic.
    feed(engine, 0, 3, (s, i) => (i < 100 ? 20000 + s : 30000 + i));
    const batch = newBatch(1 << 20);
    for (let p = 0; p < 3; p++) for (let i = 0; i < 100; i++) appendPacket(batch, T0 + 3, p * 1000 + i, frame(40000 + p, "10.6.6.6", 200));
    engine.processBatch(batch, 1);
    const threat: Threat = {
      id: "port_scan-10.6.6.6", type: "port_scan", severity: "high", title: "Port scan of 10.0.0.2", description: "", sourceIp: "10.6.6.6",
      sourceMac: null, targetIp: null, targetPort: null, deviceId: null, firstSeen: T0 + 3, lastSeen: T0 + 3, count: 1, evidence: {}, status: "active",
    };
    recorder.threatChanged(threat);
    // The next batch keeps them; then 40 s of other traffic wrap the 4 MB ring several times.
    feed(engine, 4, 40, (s) => 50000 + s);
    expect(recorder.ring.select((_ts, id) => id === Number(engine.flows.active().find((f) => f.srcIp === "10.6.6.6")!.id))).toEqual([]);
    const file = recorder.threatPcap(threat)!;
    expect(file).not.toBeNull();
    const text = new TextDecoder("latin1").decode(file);
    expect(text).toContain("NetInsight threat port_scan-10.6.6.6: Port scan of 10.0.0.2");
    // pcapng: section header, one interface, then 3 flows x 64 packets (the first N of each flow).
    const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
    let epb = 0;
    for (let off = 0; off < file.length; off += v.getUint32(off + 4, true)) if (v.getUint32(off, true) === 6) epb++;
    expect(epb).toBe(3 * 64);
    expect(readFileSync(join(ringDir, "kept", `threat-port_scan-10_6_6_6-${(T0 + 3) * 1000}.pcapng`)).length).toBe(file.length);
    recorder.close();
  });

  const root = process.getuid?.() === 0;
  test.skipIf(!root)("a full disk stops the ring, never the capture (a 1 MB tmpfs mounted by the test)", () => {
    const mnt = join(dir, "tiny");
    mkdirSync(mnt);
    const m = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]);
    if (m.exitCode !== 0) {
      console.warn(`full-disk test skipped: cannot mount a tmpfs (${m.stderr.toString().trim()})`);
      return;
    }
    try {
      const engine = new Engine();
      const ring = new PacketRing(join(mnt, "ring"), 8 << 20);
      engine.onBatch((b, lt) => ring.append(b, lt, engine.batchFlowIds));
      feed(engine, 0, 30, (s) => 10000 + s);
      expect(engine.stats.packets).toBe(30 * 200);
      expect(ring.stopped).toBe(true);
      expect(ring.stats.error).toMatch(/ENOSPC|no space/i);
      ring.close();
    } finally {
      Bun.spawnSync(["umount", mnt]);
    }
  });
});
