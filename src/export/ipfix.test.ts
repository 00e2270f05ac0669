import { describe, expect, test } from "bun:test";
import { NETINSIGHT_PEN, REVERSE_PEN } from "./elements.ts";
import { IpfixEncoder } from "./ipfix.ts";
import { Netflow9Encoder } from "./netflow9.ts";
import { addressBytes, type ExportRecord } from "./templates.ts";

const text = (s: string) => new TextEncoder().encode(s);

function record(over: Partial<ExportRecord> = {}): ExportRecord {
  return {
    flowId: 42, ipVersion: 4, srcAddr: addressBytes("192.168.1.20"), dstAddr: addressBytes("93.184.216.34"), srcPort: 51000,
    dstPort: 443, protocol: 6, vlan: 0, packets: 10, octets: 1500, tcpFlags: 0x1a, reversePackets: 8, reverseOctets: 9000,
    reverseTcpFlags: 0x12, startMs: 1_700_000_000_123, endMs: 1_700_000_005_456, endReason: 3, application: text("YouTube"),
    service: text("TLS"), hostname: text("www.youtube.com"), category: null, srcDeviceId: text("d1"), dstDeviceId: null, ...over,
  };
}

interface Set { id: number; body: DataView }
/** Splits one message into its sets (RFC 7011 / RFC 3954 layout), checking the lengths add up. */
function sets(m: Uint8Array, headerSize: number): Set[] {
  const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
  const out: Set[] = [];
  for (let off = headerSize; off < m.length;) {
    const id = v.getUint16(off), len = v.getUint16(off + 2);
    expect(len).toBeGreaterThanOrEqual(4);
    out.push({ id, body: new DataView(m.buffer, m.byteOffset + off + 4, len - 4) });
    off += len;
    expect(off).toBeLessThanOrEqual(m.length);
  }
  return out;
}

describe("IPFIX encoder", () => {
  test("header: version 10, length, export time, observation domain; sequence counts data records", () => {
    const msgs: Uint8Array[] = [];
    const enc = new IpfixEncoder({ biflow: false, observationDomain: 7, now: () => 1_700_000_100 }, (m) => msgs.push(m));
    enc.sendTemplates();
    for (let i = 0; i < 3; i++) enc.add(record());
    enc.flush();
    for (let i = 0; i < 2; i++) enc.add(record());
    enc.flush();
    expect(msgs.length).toBe(3);
    const seq = msgs.map((m) => new DataView(m.buffer).getUint32(8));
    // Templates are not data records: the first data message still starts at 0.
    expect(seq).toEqual([0, 0, 3]);
    for (const m of msgs) {
      const v = new DataView(m.buffer);
      expect(v.getUint16(0)).toBe(10);
      expect(v.getUint16(2)).toBe(m.length);
      expect(v.getUint32(4)).toBe(1_700_000_100);
      expect(v.getUint32(12)).toBe(7);
    }
    expect(enc.records).toBe(5);
  });

  test("templates: enterprise bit and number on NetInsight's and the reverse elements; variable-length strings", () => {
    const msgs: Uint8Array[] = [];
    const enc = new IpfixEncoder({ biflow: true, observationDomain: 1 }, (m) => msgs.push(m));
    enc.sendTemplates();
    const [tset] = sets(msgs[0], 16);
    expect(tset.id).toBe(2);
    const b = tset.body;
    expect(b.getUint16(0)).toBe(258); // biflow IPv4 template
    const count = b.getUint16(2);
    const pens: number[] = [];
    let off = 4;
    let variable = 0;
    for (let i = 0; i < count; i++) {
      const id = b.getUint16(off), len = b.getUint16(off + 2);
      off += 4;
      if (len === 0xffff) variable++;
      if (id & 0x8000) {
        pens.push(b.getUint32(off));
        off += 4;
      }
    }
    expect(pens.filter((p) => p === REVERSE_PEN).length).toBe(3);
    expect(pens.filter((p) => p === NETINSIGHT_PEN).length).toBe(7);
    expect(variable).toBe(6);
  });

  test("a data record holds the fields in template order (addresses, ports, counters, times, labels)", () => {
    const msgs: Uint8Array[] = [];
    const enc = new IpfixEncoder({ biflow: false, observationDomain: 1 }, (m) => msgs.push(m));
    const long = "h".repeat(300);
    enc.add(record({ hostname: text(long) }));
    enc.flush();
    const [data] = sets(msgs[0], 16);
    expect(data.id).toBe(256);
    const d = data.body;
    expect([d.getUint8(0), d.getUint8(1), d.getUint8(2), d.getUint8(3)]).toEqual([192, 168, 1, 20]);
    expect(d.getUint16(8)).toBe(51000);
    expect(d.getUint16(10)).toBe(443);
    expect(d.getUint8(12)).toBe(6);
    expect(d.getUint8(15)).toBe(0x1a);
    expect(Number(d.getBigUint64(16))).toBe(1500);
    expect(Number(d.getBigUint64(24))).toBe(10);
    expect(Number(d.getBigUint64(32))).toBe(1_700_000_000_123);
    expect(Number(d.getBigUint64(40))).toBe(1_700_000_005_456);
    expect(d.getUint8(48)).toBe(3);
    expect(Number(d.getBigUint64(49))).toBe(42); // NetInsight flow id
    let off = 57;
    const strings: string[] = [];
    for (let i = 0; i < 6; i++) {
      let n = d.getUint8(off++);
      if (n === 255) {
        n = d.getUint16(off);
        off += 2;
      }
      strings.push(new TextDecoder().decode(new Uint8Array(d.buffer, d.byteOffset + off, n)));
      off += n;
    }
    expect(strings).toEqual(["YouTube", "TLS", long, "", "d1", ""]);
    expect(off).toBe(d.byteLength);
  });

  test("messages never exceed the maximum size; records spill into the next message", () => {
    const msgs: Uint8Array[] = [];
    const enc = new IpfixEncoder({ biflow: false, observationDomain: 1, maxSize: 512 }, (m) => msgs.push(m));
    for (let i = 0; i < 100; i++) enc.add(record({ ipVersion: i % 2 ? 6 : 4, srcAddr: addressBytes(i % 2 ? "fe80::1" : "10.0.0.1"), dstAddr: addressBytes(i % 2 ? "2001:db8::2" : "10.0.0.2") }));
    enc.flush();
    expect(msgs.length).toBeGreaterThan(10);
    const seq = msgs.map((m) => new DataView(m.buffer).getUint32(8));
    expect(seq[0]).toBe(0);
    for (let i = 0; i < msgs.length; i++) {
      expect(msgs[i].length).toBeLessThanOrEqual(512);
      for (const s of sets(msgs[i], 16)) expect([256, 257]).toContain(s.id);
      // Each message's sequence is the previous one's plus the records it carried (at least one).
      const next = i + 1 < msgs.length ? seq[i + 1] : enc.records;
      expect(next).toBeGreaterThan(seq[i]);
    }
    expect(enc.records).toBe(100);
  });

  test("IPv6 text addresses become their 16 bytes", () => {
    expect([...addressBytes("2001:db8::ff00:42:8329")]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83, 0x29]);
    expect([...addressBytes("::")]).toEqual(Array(16).fill(0));
    expect([...addressBytes("::ffff:10.1.2.3")].slice(10)).toEqual([0xff, 0xff, 10, 1, 2, 3]);
    expect([...addressBytes("fe80::1")].slice(0, 2)).toEqual([0xfe, 0x80]);
  });
});

describe("NetFlow v9 encoder", () => {
  test("header counts records per packet, the sequence counts packets, flowsets are padded to 32 bits", () => {
    const msgs: Uint8Array[] = [];
    let now = 1_700_000_000_000;
    const enc = new Netflow9Encoder({ sourceId: 9, nowMs: () => now }, (m) => msgs.push(m));
    enc.sendTemplates();
    now += 2500;
    enc.add(record());
    enc.add(record());
    enc.flush();
    expect(msgs.length).toBe(2);
    const [t, d] = msgs.map((m) => new DataView(m.buffer));
    expect(t.getUint16(0)).toBe(9);
    expect(t.getUint16(2)).toBe(2); // two templates
    expect(t.getUint32(12)).toBe(0);
    expect(d.getUint16(2)).toBe(2); // two data records
    expect(d.getUint32(4)).toBe(2500); // uptime in ms
    expect(d.getUint32(8)).toBe(1_700_000_002);
    expect(d.getUint32(12)).toBe(1);
    expect(d.getUint32(16)).toBe(9);
    const [tset] = sets(msgs[0], 20);
    expect(tset.id).toBe(0);
    for (const s of sets(msgs[1], 20)) {
      expect(s.id).toBe(256);
      expect((s.body.byteLength + 4) % 4).toBe(0);
    }
  });
});
