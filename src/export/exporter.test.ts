import { afterEach, describe, expect, test } from "bun:test";
import { appendPacket, newBatch } from "../capture/batch.ts";
import { ethernet, ipv4, udp } from "../decode/testing/frames.ts";
import { Engine } from "../engine/engine.ts";
import { FlowExporter, type ExportSettings } from "./exporter.ts";

/** A UDP "collector" on loopback that keeps the data records of template 256 (IPv4 uniflow). */
async function listen() {
  const records: { srcPort: number; packets: number; octets: number; start: number; end: number; reason: number }[] = [];
  const sequences: number[] = [];
  const socket = await Bun.udpSocket({
    hostname: "127.0.0.1",
    socket: {
      data(_s, buf) {
        const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        expect(v.getUint16(0)).toBe(10);
        sequences.push(v.getUint32(8));
        for (let off = 16; off < buf.length;) {
          const id = v.getUint16(off), len = v.getUint16(off + 4 - 2);
          if (id === 256) {
            // addresses 8, ports 4, protocol 1, vlan 2, flags 1, octets 8, packets 8, start 8, end 8, reason 1
            let r = off + 4;
            while (r < off + len) {
              records.push({
                srcPort: v.getUint16(r + 8), octets: Number(v.getBigUint64(r + 16)), packets: Number(v.getBigUint64(r + 24)),
                start: Number(v.getBigUint64(r + 32)), end: Number(v.getBigUint64(r + 40)), reason: v.getUint8(r + 48),
              });
              r += 57;
              for (let i = 0; i < 6; i++) r += 1 + v.getUint8(r);
            }
          }
          off += len;
        }
      },
    },
  });
  return { socket, records, sequences };
}

let closeAll: (() => void)[] = [];
afterEach(() => {
  for (const c of closeAll) c();
  closeAll = [];
});

function settings(port: number, over: Partial<ExportSettings> = {}): ExportSettings {
  return {
    collectors: [{ format: "ipfix", transport: "udp", host: "127.0.0.1", address: "127.0.0.1", port, text: `127.0.0.1:${port}` }],
    activeTimeout: 60, idleTimeout: 15, templateRefreshSeconds: 60, biflow: false, observationDomain: 1, ...over,
  };
}

const T0 = 1_700_000_000;
const packet = (sport: number, dport: number, from: string, to: string) =>
  ethernet({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", type: 0x0800 }, ipv4({ src: from, dst: to, proto: 17 }, udp({ sport, dport }, new Uint8Array(20))));

describe("flow exporter", () => {
  test("long flows go out in parts at the active timeout, quiet ones at the idle timeout; the parts add up", async () => {
    const c = await listen();
    closeAll.push(() => c.socket.close());
    const engine = new Engine();
    const exporter = await FlowExporter.create(settings(c.socket.port), engine);
    engine.addAnalyzer(exporter);
    // Flow A: one packet a second for 150 s, alternately each way. Flow B: three packets, then silence.
    for (let s = 0; s <= 150; s++) {
      const batch = newBatch(1 << 16);
      const a = s % 2 === 0 ? packet(40000, 9000, "10.0.0.1", "10.0.0.2") : packet(9000, 40000, "10.0.0.2", "10.0.0.1");
      appendPacket(batch, T0 + s, 0, a);
      if (s < 3) appendPacket(batch, T0 + s, 500_000, packet(41000, 53, "10.0.0.1", "10.0.0.3"));
      engine.processBatch(batch, 1);
    }
    engine.finish();
    await exporter.close();
    for (let i = 0; i < 50 && c.records.length < exporter.counts.records; i++) await Bun.sleep(20);

    const a = c.records.filter((r) => r.srcPort === 40000 || r.srcPort === 9000);
    const b = c.records.filter((r) => r.srcPort === 41000);
    expect(a.reduce((n, r) => n + r.packets, 0)).toBe(151);
    // Parts: at least two active-timeout parts per direction before the capture ended, then the rest.
    expect(a.filter((r) => r.reason === 2).length).toBeGreaterThanOrEqual(4);
    expect(a.filter((r) => r.reason === 4).length).toBe(2);
    for (const r of a) expect(r.end - r.start).toBeLessThanOrEqual(66_000);
    // B: one idle part with its three packets and nothing after (nothing new when it ended).
    expect(b).toEqual([expect.objectContaining({ packets: 3, reason: 1, start: T0 * 1000 + 500 })]);
    // Sequence numbers: each message's is the previous one's plus its data records.
    expect(c.sequences[0]).toBe(0);
    expect(exporter.counts.records).toBe(c.records.length);
  });

  test("a collector that is not there never holds up the flows: messages are dropped and counted", async () => {
    const engine = new Engine();
    // TCP to a port nobody listens on: connection refused, retried in the background.
    const exporter = await FlowExporter.create({
      ...settings(9),
      collectors: [{ format: "ipfix", transport: "tcp", host: "127.0.0.1", address: "127.0.0.1", port: 9, text: "tcp://127.0.0.1:9" }],
    }, engine);
    engine.addAnalyzer(exporter);
    for (let s = 0; s < 200; s++) {
      const batch = newBatch(1 << 16);
      appendPacket(batch, T0 + s, 0, packet(30000 + s, 53, "10.0.0.1", "10.0.0.3"));
      engine.processBatch(batch, 1);
    }
    engine.finish();
    await exporter.close(100);
    const [status] = exporter.status();
    expect(status.connected).toBe(false);
    expect(status.droppedMessages).toBeGreaterThan(0);
    expect(status.sentMessages).toBe(0);
    expect(exporter.problems()[0]).toContain("tcp://127.0.0.1:9");
  });
});
