/** The offline reader on captures written here: whole, truncated, corrupted, filtered, missing. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CaptureFileError, openOffline as open, type OfflineSource } from "./offline.ts";
import { nextRecord, RECORD_HEADER } from "./batch.ts";
import { CaptureError } from "./errors.ts";
import { PCAP_HEADER, PCAP_RECORD_HEADER, pcapBytes } from "./pcapfile.ts";

const dir = mkdtempSync(path.join(tmpdir(), "ni-offline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Ethernet + IPv4 + UDP frame whose UDP source port is `i`, so each packet is recognisable. */
function frame(i: number, size = 60): Uint8Array {
  const f = new Uint8Array(size);
  const v = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0); // dst, src MAC
  v.setUint16(12, 0x0800); // IPv4
  f[14] = 0x45; // version 4, IHL 5
  v.setUint16(16, size - 14); // total length
  f[22] = 64; // TTL
  f[23] = 17; // UDP
  f.set([10, 213, 0, 1, 10, 213, 0, 2], 26);
  v.setUint16(34, i); // source port carries the index
  v.setUint16(36, 53);
  v.setUint16(38, size - 34);
  return f;
}

const PACKETS = 50;
const packets = Array.from({ length: PACKETS }, (_, i) => ({ ts: 1_700_000_000 + i / 10, data: frame(i, 60 + (i % 7) * 100) }));
const whole = pcapBytes(1, packets);
/** Offset of record i in `whole`. */
const recordOffset = (i: number) => PCAP_HEADER + packets.slice(0, i).reduce((n, p) => n + PCAP_RECORD_HEADER + p.data.length, 0);

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Reads every batch; returns the source ports seen and the error that ended the read, if any. */
function drain(src: OfflineSource, batchPackets?: number): { ports: number[]; lengths: number[]; error?: CaptureFileError } {
  const ports: number[] = [], lengths: number[] = [];
  try {
    for (let b = src.next(); b; b = src.next()) {
      let off = 0;
      for (let i = 0; i < b.count; i++) {
        const caplen = b.view.getUint32(off + 8, true);
        lengths.push(b.view.getUint32(off + 12, true));
        ports.push(b.view.getUint16(off + RECORD_HEADER + 34, false));
        off = nextRecord(off, caplen, b.recordPad);
      }
      if (batchPackets) expect(b.count).toBeLessThanOrEqual(batchPackets);
    }
    return { ports, lengths };
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureFileError);
    return { ports, lengths, error: e as CaptureFileError };
  } finally {
    src.close();
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// Classic .pcap goes through the shim's own reader by default; libpcap's must behave the same, and
// so must the zero-copy windows of the mapped file (which leave damaged records to the shim's reader).
describe.each(["auto", "libpcap", "zeroCopy"] as const)("openOffline (reader: %s)", (reader) => {
  const openOffline = (p: string, opts: Parameters<typeof open>[1] = {}) =>
    open(p, reader === "zeroCopy" ? { ...opts, zeroCopy: true } : { ...opts, reader });

  test("reads every packet of a whole file, across small batches", async () => {
    const src = await openOffline(write("whole.pcap", whole), { batchPackets: 7 });
    expect(src.linkType).toBe(1);
    const r = drain(src, 7);
    expect(r.error).toBeUndefined();
    expect(r.ports).toEqual(range(PACKETS));
    expect(r.lengths).toEqual(packets.map((p) => p.data.length));
  });

  test("a file cut in the middle of a packet keeps every packet before the damage", async () => {
    const cut = recordOffset(30) + PCAP_RECORD_HEADER + 10; // 10 bytes into packet 30's data
    const r = drain(await openOffline(write("cut.pcap", whole.slice(0, cut)), { batchPackets: 8 }));
    expect(r.ports).toEqual(range(30));
    expect(r.error?.code).toBe("FILE");
    expect(r.error?.packetsRead).toBe(30);
    expect(r.error?.message).toContain("after packet 30");
    expect(r.error?.message).toContain("cut.pcap");
  });

  test("a file cut inside a record header keeps every packet before it", async () => {
    const r = drain(await openOffline(write("cuthdr.pcap", whole.slice(0, recordOffset(12) + 5))));
    expect(r.ports).toEqual(range(12));
    expect(r.error?.packetsRead).toBe(12);
  });

  test("an absurd captured length in a record stops the read there", async () => {
    const bad = whole.slice();
    new DataView(bad.buffer).setUint32(recordOffset(20) + 8, 0x7fffffff, true);
    const r = drain(await openOffline(write("badlen.pcap", bad)));
    expect(r.ports).toEqual(range(20));
    expect(r.error?.packetsRead).toBe(20);
  });

  test("a BPF filter keeps only matching packets", async () => {
    const r = drain(await openOffline(write("filter.pcap", whole), { filter: "udp src port 3 or udp src port 41" }));
    expect(r.ports).toEqual([3, 41]);
  });

  test("a bad filter is a BAD_FILTER error naming the expression", async () => {
    const p = write("badfilter.pcap", whole);
    const e = await openOffline(p, { filter: "udp port" }).catch((x) => x);
    expect(e).toBeInstanceOf(CaptureError);
    expect(e.code).toBe("BAD_FILTER");
    expect(e.message).toContain('"udp port"');
  });

  test("a missing file and a file that is not a capture are FILE errors saying where", async () => {
    const missing = await openOffline(path.join(dir, "nope.pcap")).catch((x) => x);
    expect(missing.code).toBe("FILE");
    expect(missing.message).toContain("nope.pcap");
    const junk = await openOffline(write("junk.pcap", new TextEncoder().encode("not a capture at all, really"))).catch((x) => x);
    expect(junk.code).toBe("FILE");
    expect(junk.message).toContain("junk.pcap");
  });
});

test("zero-copy windows that cross the edges of the mapping's segments read the same records", async () => {
  const file = write("segments.pcap", whole);
  // 1000 bytes: every window is longer than a segment; 5000: some windows fit one, some cross its end.
  for (const mappedSegmentBytes of [1000, 5000]) {
    const src = await open(file, { zeroCopy: true, batchPackets: 7, mappedSegmentBytes });
    const records: number[] = [];
    for (let b = src.next(); b; b = src.next()) {
      expect(b.recordPad).toBe(0);
      records.push(...b.bytes.subarray(0, b.used));
    }
    src.close();
    expect(records).toEqual(Array.from(whole.subarray(PCAP_HEADER)));
    const again = drain(await open(file, { zeroCopy: true, batchPackets: 7, mappedSegmentBytes }), 7);
    expect(again.ports).toEqual(range(PACKETS));
  }
});

test("a mapped file larger than what is mapped ahead and given back at a time reads every record, in order", async () => {
  // ~24 MB: the shim's mapper thread maps 4 MB ahead of the reader and gives back 4 MB at a time
  // behind it (or the reader does, 12 MB behind): every one of those paths runs here.
  const big = Array.from({ length: 20_000 }, (_, i) => ({ ts: 1_700_000_000 + i / 1000, data: frame(i % 65536, 1200 - (i % 5) * 100) }));
  const file = write("big.pcap", pcapBytes(1, big));
  const mapped = drain(await open(file, { zeroCopy: true }));
  expect(mapped.error).toBeUndefined();
  expect(mapped.ports).toEqual(big.map((_, i) => i % 65536));
  expect(mapped.lengths).toEqual(big.map((p) => p.data.length));
});

test("zero-copy windows are the file's records in place (no padding), and a copy-only file still reads", async () => {
  const src = await open(write("mapped.pcap", whole), { zeroCopy: true });
  const b = src.next()!;
  expect(b.recordPad).toBe(0);
  expect(b.count).toBe(PACKETS);
  expect(b.used).toBe(whole.length - PCAP_HEADER);
  expect(Array.from(b.bytes.subarray(0, 16))).toEqual(Array.from(whole.subarray(PCAP_HEADER, PCAP_HEADER + 16)));
  expect(src.next()).toBeNull();
  src.close();
  // Nanosecond timestamps are left to the copying reader (batches in the shim's padded layout).
  const nsec = whole.slice();
  new DataView(nsec.buffer).setUint32(0, 0xa1b23c4d, true);
  const copied = await open(write("nsec.pcap", nsec), { zeroCopy: true });
  const c = copied.next()!;
  expect(c.recordPad).toBeUndefined();
  expect(drain(copied).ports.length + c.count).toBe(PACKETS);
});
