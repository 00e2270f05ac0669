import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pcapBytes } from "../capture/pcapfile.ts";
import { arp, ethernet, icmp, ipv4, tcp, udp, ACK, SYN } from "../decode/testing/frames.ts";
import type { FlowRecord } from "../flows/record.ts";
import { analyzeFile } from "./analyze.ts";
import { Engine } from "./engine.ts";
import type { Analyzer, Observation } from "./events.ts";

/** A minimal TLS 1.2 ClientHello record with one cipher suite and an SNI extension. */
function clientHello(sni: string): Uint8Array {
  const name = new TextEncoder().encode(sni);
  const ext = [0x00, 0x00, 0, name.length + 5, 0, name.length + 3, 0, 0, name.length, ...name];
  const body = [0x03, 0x03, ...new Array(32).fill(7), 0, 0, 2, 0x13, 0x01, 1, 0, 0, ext.length, ...ext];
  const hs = [1, 0, body.length >> 8, body.length & 0xff, ...body];
  return Uint8Array.from([0x16, 0x03, 0x01, hs.length >> 8, hs.length & 0xff, ...hs]);
}

const dir = mkdtempSync(join(tmpdir(), "netinsight-engine-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(name: string, packets: { ts: number; data: Uint8Array }[], linkType = 1): string {
  const path = join(dir, name);
  writeFileSync(path, pcapBytes(linkType, packets));
  return path;
}

const LAPTOP = "a4:83:e7:0a:0b:0c", ROUTER = "f0:9f:c2:11:22:33";
const out = (ts: number, payload: Uint8Array, type = 0x0800) => ({ ts, data: ethernet({ src: LAPTOP, dst: ROUTER, type }, payload) });
const back = (ts: number, payload: Uint8Array) => ({ ts, data: ethernet({ src: ROUTER, dst: LAPTOP, type: 0x0800 }, payload) });

describe("engine", () => {
  test("flows, observations and hooks from one small capture", async () => {
    const path = capture("mixed.pcap", [
      out(100.0, arp({ op: 1, senderMac: LAPTOP, senderIp: "192.168.1.23", targetIp: "192.168.1.1" }), 0x0806),
      out(100.1, ipv4({ src: "192.168.1.23", dst: "1.1.1.1", proto: 6 }, tcp({ sport: 40000, dport: 443, flags: SYN }))),
      back(100.2, ipv4({ src: "1.1.1.1", dst: "192.168.1.23", proto: 6 }, tcp({ sport: 443, dport: 40000, flags: SYN | ACK }))),
      out(100.3, ipv4({ src: "192.168.1.23", dst: "192.168.1.1", proto: 1 }, icmp({ type: 8 }))),
      out(101.5, ipv4({ src: "192.168.1.23", dst: "192.168.1.1", proto: 17 }, udp({ sport: 5000, dport: 9999 }, new Uint8Array(10)))),
    ]);
    const seen: Observation["kind"][] = [];
    const started: string[] = [];
    const ended: [FlowRecord, string][] = [];
    let ticks = 0;
    const probe: Analyzer = {
      name: "probe",
      observe: (o) => seen.push(o.kind),
      flowStarted: (f) => started.push(f.id),
      flowEnded: (f, r) => ended.push([f, r]),
      tick: () => ticks++,
    };
    const { flows, summary } = await analyzeFile(path, { analyzers: [probe] });
    expect(summary.packets).toBe(5);
    expect(summary.nonIp).toBe(1);
    expect(summary.decodeErrors).toBe(0);
    expect(flows.map((f) => f.protocol)).toEqual(["TCP", "ICMP", "UDP"]);
    expect(flows[0].tcpState).toBe("established");
    expect(seen).toEqual(["arp", "tcpSyn", "tcpSyn", "icmp"]);
    expect(started).toEqual(["1", "2", "3"]);
    expect(ended.map(([, r]) => r)).toEqual(["shutdown", "shutdown", "shutdown"]);
    expect(ticks).toBe(1); // one second boundary crossed (100 -> 101)
  });

  test("later IPv4 fragments join the first fragment's flow", async () => {
    const path = capture("frag.pcap", [
      out(1, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17, id: 9, mf: true }, udp({ sport: 53, dport: 3333 }, new Uint8Array(32)))),
      out(1, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17, id: 9, fragOffset: 40 }, new Uint8Array(20))),
    ]);
    const { flows } = await analyzeFile(path);
    expect(flows).toHaveLength(1);
    expect([flows[0].srcPort, flows[0].dstPort, flows[0].packetsSent]).toEqual([53, 3333, 2]);
  });

  test("a ClientHello split over two TCP segments is joined into one observation with its SNI", async () => {
    const hello = clientHello("video.example.net");
    const c = (ts: number, flags: number, payload: Uint8Array = new Uint8Array(0)) =>
      out(ts, ipv4({ src: "192.168.1.23", dst: "203.0.113.9", proto: 6 }, tcp({ sport: 50100, dport: 443, flags }, payload)));
    const path = capture("split-hello.pcap", [
      c(1, SYN),
      back(1.01, ipv4({ src: "203.0.113.9", dst: "192.168.1.23", proto: 6 }, tcp({ sport: 443, dport: 50100, flags: SYN | ACK }))),
      c(1.02, ACK, hello.subarray(0, 40)),
      c(1.03, ACK, hello.subarray(40)),
    ]);
    const hellos: string[] = [];
    const { flows } = await analyzeFile(path, {
      analyzers: [{ name: "sni", wants: ["tlsClientHello"], observe: (o) => o.kind === "tlsClientHello" && hellos.push(o.msg.sni ?? "") }],
    });
    expect(hellos).toEqual(["video.example.net"]);
    expect(flows[0].service).toBe("TLS");
  });

  test("an analyzer that throws is counted, not fatal", async () => {
    const path = capture("throw.pcap", [out(1, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17 }, udp({ sport: 1, dport: 2 })))]);
    const bad: Analyzer = { name: "bad", flowStarted: () => { throw new Error("boom"); } };
    const err = console.error;
    console.error = () => {};
    try {
      const { summary, flows } = await analyzeFile(path, { analyzers: [bad] });
      expect(summary.analyzerErrors).toBe(1);
      expect(flows).toHaveLength(1);
    } finally {
      console.error = err;
    }
  });

  test("a file cut short keeps every packet before the damage", async () => {
    const whole = pcapBytes(1, [1, 2, 3].map((i) => out(i, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17 }, udp({ sport: i, dport: 2 })))));
    const path = join(dir, "cut.pcap");
    writeFileSync(path, whole.subarray(0, whole.length - 10));
    const { flows, summary } = await analyzeFile(path);
    expect(flows).toHaveLength(2);
    expect(summary.readError).toMatch(/cut\.pcap/);
  });

  test("an unsupported link type is a clear error", async () => {
    const path = capture("lt.pcap", [{ ts: 1, data: new Uint8Array(40) }], 160);
    await expect(analyzeFile(path)).rejects.toThrow(/link type 160 is not supported/);
  });

  test("flows in progress are reported every 5 s of capture time, only when they saw packets", async () => {
    const u = (ts: number, sport: number) => out(ts, ipv4({ src: "192.168.1.23", dst: "192.168.1.1", proto: 17 }, udp({ sport, dport: 9999 }, new Uint8Array(4))));
    // The report at a boundary runs before the packet that crosses it is counted.
    const path = capture("updates.pcap", [
      u(100.0, 1), u(100.5, 2), // both start
      u(103.0, 1),
      u(105.2, 1), // crosses 105: flows 1 (2 packets) and 2 (1 packet) saw packets since they started
      u(108.0, 1),
      u(110.3, 2), // crosses 110: only flow 1 (4 packets) saw packets since 105
      u(112.0, 2),
      u(115.1, 1), // crosses 115: only flow 2 (3 packets); flow 1 has been quiet since 108
    ]);
    const updates: string[] = [];
    const probe: Analyzer = { name: "updates", flowUpdated: (f) => updates.push(`${f.id}:${f.packetsSent}`) };
    await analyzeFile(path, { analyzers: [probe] });
    expect(updates.slice(0, 2).sort()).toEqual(["1:2", "2:1"]);
    expect(updates.slice(2)).toEqual(["1:4", "2:3"]);
  });

  test("payload analyzers see the first 16 payload packets of each direction, with the packet shape", async () => {
    const c = (ts: number, payload: Uint8Array) => out(ts, ipv4({ src: "192.168.1.23", dst: "192.168.1.9", proto: 6 }, tcp({ sport: 40022, dport: 22, flags: ACK }, payload)));
    const s = (ts: number, payload: Uint8Array) => back(ts, ipv4({ src: "192.168.1.9", dst: "192.168.1.23", proto: 6 }, tcp({ sport: 22, dport: 40022, flags: ACK }, payload)));
    const packets = [
      out(1, ipv4({ src: "192.168.1.23", dst: "192.168.1.9", proto: 6 }, tcp({ sport: 40022, dport: 22, flags: SYN }))),
      back(1.001, ipv4({ src: "192.168.1.9", dst: "192.168.1.23", proto: 6 }, tcp({ sport: 22, dport: 40022, flags: SYN | ACK }))),
    ];
    for (let k = 0; k < 20; k++) {
      packets.push(c(2 + k * 0.01, new Uint8Array(10 + k).fill(k)));
      packets.push(s(2.005 + k * 0.01, new Uint8Array(100 + k)));
    }
    const path = capture("payload.pcap", packets);
    const seen: [boolean, number, number, number][] = [];
    let shapeAtEnd: number[] | undefined;
    const probe: Analyzer = {
      name: "dpi",
      payload: (f, data, fromInitiator) => seen.push([fromInitiator, data.length, data[0], f.packetsSent + f.packetsReceived]),
      flowEnded: (f) => (shapeAtEnd = f.shape),
    };
    const { flows } = await analyzeFile(path, { analyzers: [probe] });
    expect(seen.filter(([i]) => i)).toHaveLength(16);
    expect(seen.filter(([i]) => !i)).toHaveLength(16);
    expect(seen[0]).toEqual([true, 10, 0, 3]);
    expect(seen[1]).toEqual([false, 100, 0, 4]); // the shared record's counters follow the flow
    expect(seen.filter(([i]) => i).map(([, len]) => len)).toEqual(Array.from({ length: 16 }, (_, k) => 10 + k));
    expect(shapeAtEnd).toHaveLength(32);
    expect(shapeAtEnd!.slice(0, 4)).toEqual([10, -100, 11, -101]);
    expect(flows[0].shape).toBeUndefined(); // analyzeFile's kept records do not keep it
  });

  test("numeric hooks get the flow table and index, in order with record hooks; no record is made when none takes one", async () => {
    const path = capture("numeric.pcap", [
      out(1, ipv4({ src: "192.168.1.23", dst: "1.1.1.1", proto: 6 }, tcp({ sport: 40000, dport: 443, flags: SYN }))),
      back(1.1, ipv4({ src: "1.1.1.1", dst: "192.168.1.23", proto: 6 }, tcp({ sport: 443, dport: 40000, flags: SYN | ACK }))),
      out(2, ipv4({ src: "192.168.1.23", dst: "192.168.1.1", proto: 17 }, udp({ sport: 5000, dport: 53 }, new Uint8Array(12)))),
    ]);
    const calls: string[] = [];
    const numeric: Analyzer = {
      name: "numeric",
      flowStartedAt(t, i) {
        calls.push(`start ${t.ids[i]} ${t.ipProtocolOf(i)} ${t.initiatorIp(i)}:${t.initiatorPort(i)} > ${t.responderIp(i)}:${t.responderPort(i)}`);
        expect(t.initiatorMac(i)).toBe(0xa483e70a0b0c);
        expect(t.responderIp4(i)).toBe(t.ipProtocolOf(i) === 6 ? 0x01010101 : 0xc0a80101);
      },
      // Given both forms, only the numeric one is called.
      flowStarted: () => calls.push("record form called"),
      flowEndedAt: (t, i, reason) => calls.push(`end ${t.ids[i]} ${reason} ${t.packetsOf(i, 0)}+${t.packetsOf(i, 1)}`),
    };
    let records = 0;
    const engine = new Engine({ analyzers: [numeric] });
    const record = engine.flows.record.bind(engine.flows);
    engine.flows.record = (i) => (records++, record(i));
    engine.onFlowEndAt((t, i, reason) => calls.push(`listener end ${t.ids[i]} ${reason}`));
    // gcEveryPackets: the end of the file counts ending flows with a numeric listener too.
    await analyzeFile(path, { engine, collectFlows: false, gcEveryPackets: 1000 });
    expect(calls).toEqual([
      "start 1 6 192.168.1.23:40000 > 1.1.1.1:443",
      "start 2 17 192.168.1.23:5000 > 192.168.1.1:53",
      "end 1 shutdown 1+1",
      "listener end 1 shutdown",
      "end 2 shutdown 1+0",
      "listener end 2 shutdown",
    ]);
    expect(records).toBe(0);

    // A record hook after a numeric one: one record per event, shared.
    const seen: FlowRecord[] = [];
    const both = new Engine({ analyzers: [numeric, { name: "a", flowStarted: (f) => seen.push(f) }, { name: "b", flowStarted: (f) => seen.push(f) }] });
    await analyzeFile(path, { engine: both, collectFlows: false });
    expect(seen.map((f) => f.id)).toEqual(["1", "1", "2", "2"]);
    expect(seen[0]).toBe(seen[1]);
  });

  test("update and payload filters pick the flows (and direction) a hook hears about", async () => {
    const packets = [];
    for (let k = 0; k < 3; k++) {
      packets.push(out(1 + k * 3, ipv4({ src: "192.168.1.23", dst: "192.168.1.9", proto: 6 }, tcp({ sport: 40022, dport: 22, flags: ACK }, new Uint8Array(8).fill(1)))));
      packets.push(back(1.1 + k * 3, ipv4({ src: "192.168.1.9", dst: "192.168.1.23", proto: 6 }, tcp({ sport: 22, dport: 40022, flags: ACK }, new Uint8Array(9).fill(2)))));
      packets.push(out(1.2 + k * 3, ipv4({ src: "192.168.1.23", dst: "192.168.1.1", proto: 17 }, udp({ sport: 5000, dport: 53 }, new Uint8Array(12).fill(3)))));
    }
    const path = capture("filters.pcap", packets);
    const got: string[] = [];
    const analyzers: Analyzer[] = [
      { name: "ssh", updateFilter: { ports: [22] }, flowUpdated: (f) => got.push(`ssh update ${f.dstPort}`) },
      { name: "udp", updateFilter: { ipProtocols: [17] }, flowUpdatedAt: (t, i) => got.push(`udp update ${t.responderPort(i)}`) },
      { name: "replies", payloadFilter: { ipProtocols: [6], direction: "responder" }, payload: (f, d, i) => got.push(`reply ${f.dstPort} ${i} ${d[0]}`) },
      { name: "dns", payloadFilter: { ports: [53] }, payloadAt: (t, i, d, init) => got.push(`dns ${t.responderPort(i)} ${init} ${d.length}`) },
      // The test reads the bytes in place: only the responder's packets (filled with 2) pass.
      { name: "twos", payloadFilter: { ipProtocols: [6], test: (b, off, len) => len > 0 && b[off] === 2 }, payloadAt: (t, i, d, init) => got.push(`twos ${init} ${d[0]} ${d.length}`) },
    ];
    await analyzeFile(path, { analyzers, collectFlows: false });
    expect(got.filter((g) => g.startsWith("reply"))).toEqual(["reply 22 false 2", "reply 22 false 2", "reply 22 false 2"]);
    expect(got.filter((g) => g.startsWith("dns"))).toEqual(["dns 53 true 12", "dns 53 true 12", "dns 53 true 12"]);
    expect(got.filter((g) => g.startsWith("twos"))).toEqual(["twos false 2 9", "twos false 2 9", "twos false 2 9"]);
    expect(got.filter((g) => g.includes("update"))).toEqual(["ssh update 22", "udp update 53"]);
  });

  test("a plain listener's error propagates (an analyzer's is counted)", async () => {
    const path = capture("listener.pcap", [out(1, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17 }, udp({ sport: 1, dport: 2 })))]);
    const engine = new Engine();
    engine.onFlowStart(() => {
      throw new Error("listener failed");
    });
    await expect(analyzeFile(path, { engine })).rejects.toThrow("listener failed");
  });
});
