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
    // TCP to a port nobody listens on: connection refused, retried in the background. UDP to it:
    // ICMP port unreachable, reported on the socket, must not throw either.
    const exporter = await FlowExporter.create({
      ...settings(9),
      collectors: [
        { format: "ipfix", transport: "tcp", host: "127.0.0.1", address: "127.0.0.1", port: 9, text: "tcp://127.0.0.1:9" },
        { format: "netflow9", transport: "udp", host: "127.0.0.1", address: "127.0.0.1", port: 9, text: "127.0.0.1:9" },
      ],
    }, engine);
    engine.addAnalyzer(exporter);
    for (let s = 0; s < 200; s++) {
      const batch = newBatch(1 << 16);
      appendPacket(batch, T0 + s, 0, packet(30000 + s, 53, "10.0.0.1", "10.0.0.3"));
      engine.processBatch(batch, 1);
    }
    engine.finish();
    await exporter.close(2000);
    const [status, udp] = exporter.status();
    expect(udp.droppedMessages).toBeGreaterThan(0);
    expect(udp.lastError).toContain("ECONNREFUSED");
    expect(status.connected).toBe(false);
    expect(status.droppedMessages).toBeGreaterThan(0);
    expect(status.sentMessages).toBe(0);
    expect(exporter.problems()[0]).toContain("tcp://127.0.0.1:9");
  });
});

/** A TCP "collector": reassembles the IPFIX stream of each connection into messages (RFC 7011 length field). */
function tcpCollector(port = 0) {
  const sessions: { sets: number[][]; sequences: number[]; counts: number[]; records: number }[] = [];
  const server = Bun.listen<{ buf: Uint8Array; s: (typeof sessions)[number] }>({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(sock) {
        const s = { sets: [], sequences: [], counts: [], records: 0 };
        sessions.push(s);
        sock.data = { buf: new Uint8Array(0), s };
      },
      data(sock, chunk) {
        const joined = new Uint8Array(sock.data.buf.length + chunk.length);
        joined.set(sock.data.buf);
        joined.set(chunk, sock.data.buf.length);
        let off = 0;
        const v = new DataView(joined.buffer);
        while (joined.length - off >= 16 && joined.length - off >= v.getUint16(off + 2)) {
          const len = v.getUint16(off + 2);
          const sets: number[] = [];
          let count = 0;
          for (let o = off + 16; o < off + len; o += v.getUint16(o + 2)) {
            sets.push(v.getUint16(o));
            // IPv4 uniflow records: 57 bytes of fixed fields, then six variable-length labels.
            if (v.getUint16(o) === 256) {
              for (let r = o + 4; r < o + v.getUint16(o + 2); count++) {
                r += 57;
                for (let l = 0; l < 6; l++) r += 1 + v.getUint8(r);
              }
            }
          }
          sock.data.s.records += count;
          sock.data.s.counts.push(count);
          sock.data.s.sets.push(sets);
          sock.data.s.sequences.push(v.getUint32(off + 8));
          off += len;
        }
        sock.data.buf = joined.slice(off);
      },
    },
  });
  return { server, sessions };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !ok(); i++) await Bun.sleep(20);
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

describe("IPFIX over TCP", () => {
  test("templates open every connection, sequence numbers count data records, and a collector restart is survived", async () => {
    let c = tcpCollector();
    const port = c.server.port;
    const engine = new Engine();
    const exporter = await FlowExporter.create({
      ...settings(port),
      collectors: [{ format: "ipfix", transport: "tcp", host: "127.0.0.1", address: "127.0.0.1", port, text: `tcp://127.0.0.1:${port}` }],
    }, engine);
    engine.addAnalyzer(exporter);
    const flows = (from: number, n: number) => {
      for (let s = 0; s < n; s++) {
        const batch = newBatch(1 << 16);
        appendPacket(batch, T0 + from + s, 0, packet(20000 + from + s, 53, "10.0.0.1", "10.0.0.3"));
        engine.processBatch(batch, 1);
      }
    };
    await until("the connection", () => exporter.status()[0].connected);
    flows(0, 100); // idle parts go out as the time passes: about 85 flows
    exporter.flush();
    await until("the records", () => c.sessions[0]?.records >= 80);
    const first = c.sessions[0];
    expect(first.sets[0]).toEqual([2]); // the template set comes first
    // Each message's sequence number is the count of data records sent before it in the session.
    let before = 0;
    for (let i = 0; i < first.sequences.length; i++) {
      expect(first.sequences[i]).toBe(before);
      before += first.counts[i];
    }
    expect(Number.isInteger(before)).toBe(true);

    // The collector goes away: flows keep coming, messages are dropped and counted.
    c.server.stop(true);
    await until("the loss to be seen", () => !exporter.status()[0].connected);
    flows(100, 50);
    exporter.flush();
    expect(exporter.status()[0].droppedMessages).toBeGreaterThan(0);
    // It comes back on the same port: a new session, templates first, sequence numbers from 0.
    c = tcpCollector(port);
    await until("the reconnection", () => exporter.status()[0].connected);
    flows(150, 50);
    exporter.flush();
    await until("records on the new connection", () => (c.sessions[0]?.records ?? 0) > 0);
    expect(c.sessions[0].sets[0]).toEqual([2]);
    expect(c.sessions[0].sequences.slice(0, 2)).toEqual([0, 0]);
    await exporter.close();
    c.server.stop(true);
  }, 20_000);
});

describe("templates over UDP", () => {
  test("are sent again on the schedule, so a collector started later learns them", async () => {
    const sets: number[] = [];
    const socket = await Bun.udpSocket({
      hostname: "127.0.0.1",
      socket: { data(_s, buf) { sets.push(new DataView(buf.buffer, buf.byteOffset).getUint16(16)); } },
    });
    closeAll.push(() => socket.close());
    const exporter = await FlowExporter.create(settings(socket.port, { templateRefreshSeconds: 1 }), new Engine());
    await until("the first templates", () => sets.filter((id) => id === 2).length === 1);
    exporter.flush(); // within the second: nothing due
    await Bun.sleep(1100);
    exporter.flush();
    await until("the templates again", () => sets.filter((id) => id === 2).length === 2);
    await exporter.close();
  });
});
