import { describe, expect, test } from "bun:test";
import { appendPacket, newBatch, type PacketBatch } from "../capture/batch.ts";
import { pcapBytes } from "../capture/pcapfile.ts";
import { loadShim } from "../capture/shim.ts";
import { decode } from "../decode/testing/fixture.ts";
import { ethernet, icmp, ipv4, ipv6, tcp, udp, ACK, SYN } from "../decode/testing/frames.ts";
import { flowKey, hashKey, KEY_WORDS } from "./key.ts";
import { FlowTable, type FlowWarmer } from "./table.ts";

const shim = await loadShim();
const warm = shim.ni_flow_prefetch as FlowWarmer;
const hashes = new Uint32Array(4096);

/** key.ts's hash of a frame's flow key, as the engine makes it. */
function jsHash(frame: Uint8Array, linkType = 1): number {
  const key = new Uint32Array(KEY_WORDS);
  flowKey(decode(frame, linkType), key);
  return hashKey(key);
}

const A = "02:00:00:00:00:0a", B = "02:00:00:00:00:0b";
const eth = (payload: Uint8Array, vlans?: number[], type = 0x0800) => ethernet({ src: A, dst: B, type, vlans }, payload);

/** One packet of each kind the warmer keys as key.ts does (both directions, tags, IPv6, ports 0). */
const FRAMES = [
  eth(ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 6 }, tcp({ sport: 40000, dport: 443, flags: SYN }))),
  eth(ipv4({ src: "10.0.0.2", dst: "10.0.0.1", proto: 6 }, tcp({ sport: 443, dport: 40000, flags: SYN | ACK }))),
  eth(ipv4({ src: "10.0.0.9", dst: "10.0.0.9", proto: 17 }, udp({ sport: 53, dport: 5353 }, new Uint8Array(12)))),
  eth(ipv4({ src: "10.0.0.1", dst: "8.8.8.8", proto: 17 }, udp({ sport: 5000, dport: 53 })), [10]),
  eth(ipv4({ src: "10.0.0.1", dst: "8.8.8.8", proto: 17 }, udp({ sport: 5000, dport: 53 })), [20, 30]),
  eth(ipv4({ src: "10.0.0.1", dst: "1.1.1.1", proto: 1 }, icmp({ type: 8 }))),
  eth(ipv4({ src: "10.0.0.1", dst: "1.1.1.2", proto: 1, mf: true }, icmp({ type: 8 }, new Uint8Array(40)))),
  eth(ipv6({ src: "fe80::1", dst: "2001:db8::2", next: 6 }, tcp({ sport: 50000, dport: 22, flags: SYN })), undefined, 0x86dd),
  eth(ipv6({ src: "2001:db8::2", dst: "fe80::1", next: 17 }, udp({ sport: 547, dport: 546 })), [7], 0x86dd),
  eth(ipv6({ src: "fe80::1", dst: "ff02::1", next: 58 }, icmp({ type: 135 })), undefined, 0x86dd),
];

function batchOf(frames: Uint8Array[]): PacketBatch {
  const batch = newBatch(1 << 16);
  frames.forEach((f, i) => appendPacket(batch, 1_700_000_000 + i, 0, f));
  return batch;
}

/** The records as a mapped file lays them out: pcap records in place, no padding (recordPad 0). */
function mappedBatchOf(frames: Uint8Array[], linkType = 1): PacketBatch {
  const bytes = pcapBytes(linkType, frames.map((data, i) => ({ ts: 1_700_000_000 + i, data }))).subarray(24);
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), count: frames.length, used: bytes.length, recordPad: 0 };
}

function tableWith(frames: Uint8Array[], linkType = 1): FlowTable {
  const table = new FlowTable();
  frames.forEach((f, i) => table.update(decode(f, linkType, 1_700_000_000 + i)));
  return table;
}

const warmFor = (table: FlowTable, batch: PacketBatch, linkType: number) => table.warmFor(batch, linkType, warm, 0, batch.count, hashes);

describe("flow table warmer (native/ni_flowhint.c)", () => {
  test("finds the slot of every packet's flow, as key.ts keys and hashes it", () => {
    const table = tableWith(FRAMES);
    expect(table.size).toBe(FRAMES.length - 1); // the SYN+ACK answers the SYN
    expect(warmFor(table, batchOf(FRAMES), 1)).toBe(FRAMES.length);
    expect(Array.from(hashes.subarray(0, FRAMES.length))).toEqual(FRAMES.map((f) => jsHash(f)));
    hashes.fill(7);
    expect(warmFor(table, mappedBatchOf(FRAMES), 1)).toBe(FRAMES.length);
    expect(Array.from(hashes.subarray(0, FRAMES.length))).toEqual(FRAMES.map((f) => jsHash(f)));
  });

  test("packets the engine keys otherwise get no hash (tunnels, later fragments, extension headers, not IP)", () => {
    const frames = [
      eth(ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 4 }, ipv4({ src: "10.1.0.1", dst: "10.1.0.2", proto: 17 }, udp({ sport: 1, dport: 2 })))),
      eth(ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17, fragOffset: 1480 }, new Uint8Array(16))),
      eth(ipv6({ src: "fe80::1", dst: "fe80::2", next: 0 }, Uint8Array.of(17, 0, 1, 4, 0, 0, 0, 0, ...udp({ sport: 1, dport: 2 }))), undefined, 0x86dd),
      eth(ipv6({ src: "fe80::1", dst: "fe80::2", next: 17 }, udp({ sport: 1, dport: 2 })), undefined, 0x0800),
      eth(new Uint8Array(28), undefined, 0x0806),
      eth(ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17 }, udp({ sport: 1, dport: 2 })), undefined, 0x8847),
    ];
    hashes.fill(7);
    warmFor(new FlowTable(), batchOf(frames), 1);
    expect(Array.from(hashes.subarray(0, frames.length))).toEqual(frames.map(() => 0));
  });

  test("raw IP link types key from the IP header", () => {
    const raw = [
      ipv4({ src: "192.0.2.1", dst: "192.0.2.2", proto: 17 }, udp({ sport: 1, dport: 2 })),
      ipv6({ src: "2001:db8::1", dst: "2001:db8::2", next: 6 }, tcp({ sport: 3, dport: 4, flags: ACK })),
    ];
    const table = tableWith(raw, 101);
    expect(warmFor(table, batchOf(raw), 101)).toBe(raw.length);
    expect(Array.from(hashes.subarray(0, 2))).toEqual(raw.map((f) => jsHash(f, 101)));
    // LINKTYPE_IPV4 / IPV6 take one version only: the other is no flow for the engine, nor here.
    expect(warmFor(table, batchOf(raw), 228)).toBe(1);
    expect(hashes[1]).toBe(0);
    expect(warmFor(table, batchOf(raw), 229)).toBe(1);
    expect(hashes[0]).toBe(0);
  });

  test("an empty table has no slot for any packet", () => {
    expect(warmFor(new FlowTable(), batchOf(FRAMES), 1)).toBe(0);
  });

  test("every truncation of every frame: read within bounds, and a hash only as the engine keys it", () => {
    const cut: Uint8Array[] = [];
    for (const f of FRAMES) for (let n = 0; n <= f.length; n++) cut.push(f.subarray(0, n));
    const table = tableWith(FRAMES);
    // Whole frames are found; a cut one is found only when its headers survived (ports included).
    const found = warmFor(table, batchOf(cut), 1);
    expect(found).toBeGreaterThanOrEqual(FRAMES.length);
    expect(found).toBeLessThan(cut.length);
    cut.forEach((f, i) => {
      if (hashes[i] !== 0) expect(hashes[i]).toBe(jsHash(f));
    });
  });
});
