import { describe, expect, test } from "bun:test";
import { iso, toApiFlow } from "../api/convert.ts";
import { decode } from "../decode/testing/fixture.ts";
import { ethernet, ipv4, ipv6, tcp, udp, icmp, SYN, ACK, FIN, RST } from "../decode/testing/frames.ts";
import { FlowTable } from "../flows/table.ts";
import { FlowJsonWriter, flowJson, isoTime } from "./flow-json.ts";

const LAN = { src: "02:aa:00:00:00:01", dst: "02:bb:00:00:00:02" };
const BACK = { src: LAN.dst, dst: LAN.src };
const v4 = (src: string, dst: string, l4: Uint8Array, proto = 6, ts = 1_700_000_000.1234, eth = LAN) =>
  decode(ethernet({ type: 0x0800, ...eth }, ipv4({ src, dst, proto }, l4)), 1, ts);

/** What `analyze --json` wrote before: the end record (closed unless the capture ended), as the API shows it. */
function viaRecord(t: FlowTable, i: number, ended: boolean): string {
  const r = t.record(i);
  if (ended) r.status = "closed";
  return JSON.stringify(toApiFlow(r));
}

describe("flowJson", () => {
  test("the bytes of JSON.stringify(toApiFlow(record)) for TCP, UDP, ICMP, IPv6, VLAN and MAC-less flows", () => {
    const t = new FlowTable();
    const a = t.update(v4("192.168.1.10", "93.184.216.34", tcp({ sport: 50000, dport: 443, flags: SYN })));
    t.update(v4("93.184.216.34", "192.168.1.10", tcp({ sport: 443, dport: 50000, flags: SYN | ACK }), 6, 1_700_000_000.5, BACK));
    t.update(v4("192.168.1.10", "93.184.216.34", tcp({ sport: 50000, dport: 443, flags: FIN | ACK }, new Uint8Array(100)), 6, 1_700_000_003.9996));
    const r = t.update(v4("192.168.1.10", "10.0.0.1", tcp({ sport: 1, dport: 80, flags: RST })));
    const u = t.update(v4("192.168.1.10", "8.8.8.8", udp({ sport: 5353, dport: 53 }), 17, 1_699_999_999.9994));
    const c = t.update(v4("192.168.1.10", "8.8.4.4", icmp({ type: 8 }), 1));
    const six = t.update(decode(ethernet({ type: 0x86dd, vlans: [10], ...LAN }, ipv6({ src: "2001:db8::1", dst: "fe80::2", next: 17 }, udp({ sport: 1, dport: 2 })))));
    const raw = t.update(decode(ipv4({ src: "10.1.1.1", dst: "10.1.1.2", proto: 6 }, tcp({ sport: 9, dport: 10, flags: ACK })), 101));
    t.labelAt(a, { service: "TLS", serviceBy: "payload", hostname: 'odd "name"\\\u00e9\u2028', application: "Example", category: "Web", srcDeviceId: "d1" });
    t.labelAt(u, { service: "DNS", serviceBy: "port", dstDeviceId: "d2" });
    t.labelAt(c, { hostname: "h".repeat(5000) + "\u00fc", application: "a\nb" }); // longer than the writer's first array
    const edge = t.update(v4("255.1.0.99", "172.16.254.3", udp({ sport: 0, dport: 65535 }), 17, 1_700_000_002, { src: "ff:0e:a0:09:f1:00", dst: "00:00:00:00:00:01" }));
    for (const i of [a, r, u, c, six, raw, edge]) {
      for (const ended of [false, true]) {
        expect(flowJson(t, i, ended)).toBe(viaRecord(t, i, ended));
        // writeInto: the same bytes at an offset of another array, within maxBytes
        const w = new FlowJsonWriter(), out = new Uint8Array(w.maxBytes(t, i) + 7);
        const end = w.writeInto(t, i, ended, out, 7);
        expect(new TextDecoder().decode(out.subarray(7, end))).toBe(viaRecord(t, i, ended));
      }
    }
    expect(JSON.parse(flowJson(t, a, false)).hostname).toBe('odd "name"\\\u00e9\u2028');
  });

  test("durations as String() writes them, from a microsecond to past the digit-by-digit range", () => {
    const t = new FlowTable();
    // Deterministic: a linear congruential walk, so a failure names the same durations each run.
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const durations = [0, 1e-6, 5e-7, 1e-5, 0.1, 0.5, 0.999999, 1, 1.000001, 59.999999, 3600.000001, 86_400.25, 123_456.789012, 999_999_999.999999, 1e9, 2e9 + 0.5];
    for (let k = 0; k < 3000; k++) durations.push(next() * 10 ** Math.floor(next() * 9 - 3));
    durations.forEach((d, k) => {
      const start = 1_600_000_000 + next() * 1e8;
      const sport = 1024 + (k % 60000), dst = `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
      const i = t.update(v4("192.168.1.10", dst, udp({ sport, dport: 53 }), 17, start));
      t.update(v4(dst, "192.168.1.10", udp({ sport: 53, dport: sport }), 17, start + d, BACK));
      expect(flowJson(t, i, true)).toBe(viaRecord(t, i, true));
    });
  });
});

describe("isoTime", () => {
  test("is api/convert's iso: rounding to the millisecond, across seconds, and outside the plain years", () => {
    const times = [0, 0.0004, 0.0005, 1.9995, 59.9999, 1_700_000_000, 1_700_000_000.001, 1_700_000_000.0999,
      1_700_000_001.25, 1_700_000_000.5, 1_699_999_999.9996, 951_782_400.123, 253_402_300_799.999, 253_402_300_800, -1.5, -0.0004, 4_102_444_800.77];
    for (const s of times) expect(isoTime(s)).toBe(iso(s));
    for (let s = 1_700_000_000; s < 1_700_000_200; s += 0.7771) expect(isoTime(s)).toBe(iso(s)); // slots reused
  });
});
