import { describe, expect, test } from "bun:test";
import { decodeDns, decodeDnsTcp, MAX_ENTRIES, MAX_NAME_JUMPS } from "./dns.ts";

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/#[^\n]*/g, "").replace(/\s+/g, ""), "hex"));
const decode = (b: Uint8Array) => decodeDns(b, 0, b.length);

// mDNS response from an iMac (ndpi_telegram.pcap frame 11): PTR, SRV, TXT, TXT, A with compression.
const MDNS_RESPONSE = fromHex(`
  0000 8400              # id 0, flags: response, authoritative
  0000 0001 0000 0004    # qd 0, an 1, ns 0, ar 4
  # answer: _companion-link._tcp.local (offset 12; "_tcp" at 0x1c, "local" at 0x21)
  0f 5f636f6d70616e696f6e2d6c696e6b 04 5f746370 05 6c6f63616c 00
  000c 0001 00001194 0010  # PTR, IN, ttl 4500, rdlength 16
  0d 4c756361e280997320694d6163 c00c  # "Luca’s iMac" (UTF-8, offset 0x32) + pointer to 0x0c
  # additional 1: SRV at 0x32
  c032 0021 8001 00000078 0013   # name ptr, SRV, cache-flush|IN, ttl 120, rdlength 19
  0000 0000 c005                 # priority 0, weight 0, port 49157
  0a 4c756361732d694d6163 c021   # target "Lucas-iMac" (offset 0x54) + ptr "local"
  # additional 2: TXT at 0x32
  c032 0010 8001 00001194 0058
  16 72704241 3d33393a32413a38383a41433a34313a4142  # "rpBA=39:2A:88:AC:41:AB"
  0a 727056723d3135322e31                          # "rpVr=152.1"
  11 727048493d663963343663366464303764            # "rpHI=f9c46c6dd07d"
  11 7270484e3d336335646335636539353738            # "rpHN=3c5dc5ce9578"
  11 727048413d386361386362373331633163            # "rpHA=8ca8cb731c1c"
  # additional 3: TXT "Luca’s iMac._device-info._tcp.local"
  0d 4c756361e280997320694d6163 0c 5f6465766963652d696e666f c01c
  0010 0001 00001194 001a
  0e 6d6f64656c3d694d616331312c33  # "model=iMac11,3"
  0a 6f7378766572733d3137          # "osxvers=17"
  # additional 4: A for "Lucas-iMac.local"
  c054 0001 8001 00000078 0004 c0a8014d
`);

// LLMNR query and response for "hs2011" (suri_llmnr-udp.pcap).
const LLMNR_QUERY = fromHex(`
  c341 0000              # id, flags: query
  0001 0000 0000 0000    # qd 1
  06 687332303131 00 0001 0001  # "hs2011" A IN
`);
const LLMNR_RESPONSE = fromHex(`
  c341 8000 0001 0001 0000 0000      # response, qd 1, an 1
  06 687332303131 00 0001 0001       # question
  06 485332303131 00 0001 0001 0000001e 0004 c0a80a65  # "HS2011" A IN ttl 30 192.168.10.101
`);

// Recursive resolver answer for www.tcpdump.org (tcpdump_dns_udp.pcap frame 2).
const DNS_RESPONSE = fromHex(`
  5934 8500 0001 0002 0002 0005   # response, AA, RD; qd 1 an 2 ns 2 ar 5
  03 777777 07 74637064756d70 03 6f7267 00 0001 0001   # www.tcpdump.org A IN
  c00c 0001 0001 0000003c 0004 c08b2e42    # A 192.139.46.66
  c00c 0001 0001 0000003c 0004 c6c75868    # A 198.199.88.104
  c010 0002 0001 00015180 0012 03736e73 08636f6f7065726978 036e6574 00  # NS sns.cooperix.net
  c010 0002 0001 00015180 0012 036e6963 0973616e64656c6d616e 026361 00  # NS nic.sandelman.ca
  c06b 0001 0001 0000012c 0004 d157f912    # A nic.sandelman.ca
  c06b 001c 0001 0000012c 0010 2607f0b0000f000000000000babef00d  # AAAA
  c04d 0001 0001 00001c20 0004 616b850f    # A sns.cooperix.net
  c04d 001c 0001 00001c20 0010 26003c0300000000f03c91fffe96e8ef  # AAAA
  00 0029 1000 00000000 0000               # OPT, payload size 4096
`);

describe("decodeDns", () => {
  test("mDNS response: PTR, SRV, TXT, A through compression; cache-flush bit stripped", () => {
    const m = decode(MDNS_RESPONSE)!;
    expect(m.isResponse).toBe(true);
    expect(m.questions).toEqual([]);
    expect(m.answers).toEqual([
      { name: "_companion-link._tcp.local", type: 12, class: 1, ttl: 4500, data: "Luca’s iMac._companion-link._tcp.local", rdLength: 16 },
    ]);
    const [srv, txt, info, a] = m.additionals;
    expect(srv.name).toBe("Luca’s iMac._companion-link._tcp.local");
    expect(srv.class).toBe(1);
    expect(srv.srv).toEqual({ priority: 0, weight: 0, port: 49157, target: "Lucas-iMac.local" });
    expect(txt.txt).toEqual(["rpBA=39:2A:88:AC:41:AB", "rpVr=152.1", "rpHI=f9c46c6dd07d", "rpHN=3c5dc5ce9578", "rpHA=8ca8cb731c1c"]);
    expect(info.name).toBe("Luca’s iMac._device-info._tcp.local");
    expect(info.txt).toEqual(["model=iMac11,3", "osxvers=17"]);
    expect(a).toMatchObject({ name: "Lucas-iMac.local", type: 1, class: 1, ttl: 120, data: "192.168.1.77", rdLength: 4 });
    expect(m.size).toBe(MDNS_RESPONSE.length);
  });

  test("mDNS question with the unicast-response bit", () => {
    const q = fromHex(`0000 0000 0001 0000 0000 0000  05 5f68617070 04 5f746370 05 6c6f63616c 00  000c 8001`);
    expect(decode(q)!.questions).toEqual([{ name: "_happ._tcp.local", type: 12, class: 1, unicastResponse: true }]);
  });

  test("LLMNR query and response", () => {
    const q = decode(LLMNR_QUERY)!;
    expect(q).toMatchObject({ id: 0xc341, isResponse: false, opcode: 0, rcode: 0, truncated: false });
    expect(q.questions).toEqual([{ name: "hs2011", type: 1, class: 1 }]);
    const r = decode(LLMNR_RESPONSE)!;
    expect(r.answers).toEqual([{ name: "HS2011", type: 1, class: 1, ttl: 30, data: "192.168.10.101", rdLength: 4 }]);
  });

  test("a query and its response share one question list (its question frozen); another question gets its own", () => {
    const q = decode(LLMNR_QUERY)!, r = decode(LLMNR_RESPONSE)!;
    expect(r.questions).toBe(q.questions);
    expect(Object.isFrozen(q.questions[0])).toBe(true);
    const aaaa = LLMNR_QUERY.slice();
    aaaa[aaaa.length - 3] = 28; // the same name, type AAAA
    const other = decode(aaaa)!;
    expect(other.questions).not.toBe(q.questions);
    expect(other.questions).toEqual([{ name: "hs2011", type: 28, class: 1 }]);
    expect(decode(LLMNR_QUERY)!.questions).toEqual([{ name: "hs2011", type: 1, class: 1 }]);
  });

  test("recursive answer: A, NS, AAAA glue, OPT", () => {
    const m = decode(DNS_RESPONSE)!;
    expect(m.answers.map((r) => r.data)).toEqual(["192.139.46.66", "198.199.88.104"]);
    expect(m.authorities.map((r) => [r.name, r.data])).toEqual([
      ["tcpdump.org", "sns.cooperix.net"],
      ["tcpdump.org", "nic.sandelman.ca"],
    ]);
    expect(m.additionals.map((r) => r.data)).toEqual(["209.87.249.18", "2607:f0b0:f::babe:f00d", "97.107.133.15", "2600:3c03::f03c:91ff:fe96:e8ef", ""]);
    expect(m.additionals[4]).toMatchObject({ name: "", type: 41, class: 4096 });
  });

  test("NXDOMAIN, truncated flag and opcode come from the header", () => {
    const m = decode(fromHex(`abcd 8b83 0000 0000 0000 0000`))!; // response, opcode 1, TC, RD, rcode 3
    expect(m).toMatchObject({ id: 0xabcd, isResponse: true, opcode: 1, truncated: true, rcode: 3 });
  });

  test("truncated answers keep the questions and the answers before the cut", () => {
    const cut = decodeDns(DNS_RESPONSE, 0, 33 + 16 + 8)!; // header+question 33, one A 16, then 8 bytes
    expect(cut.questions).toHaveLength(1);
    expect(cut.answers).toHaveLength(1);
    expect(cut.authorities).toHaveLength(0);
  });

  test("every prefix of every fixture decodes without throwing", () => {
    for (const f of [MDNS_RESPONSE, LLMNR_QUERY, LLMNR_RESPONSE, DNS_RESPONSE]) {
      for (let n = 0; n <= f.length; n++) {
        const m = decodeDns(f.subarray(0, n), 0, f.length);
        if (n < 12) expect(m).toBeUndefined();
        else expect(m!.questions.length + m!.answers.length + m!.additionals.length).toBeLessThanOrEqual(11);
      }
    }
  });

  test("compression loops end: self pointer, two pointers at each other, a long chain", () => {
    const self = fromHex(`0001 0100 0001 0000 0000 0000  c00c 0001 0001`);
    expect(decode(self)!.questions).toEqual([]);
    const pair = fromHex(`0001 0100 0001 0000 0000 0000  c00e c00c 0001 0001`); // 12 -> 14 -> 12
    expect(decode(pair)!.questions).toEqual([]);
    // The question at 12 points into a chain of links, each pointing to the one before, ending at "a".
    const chain = (links: number) => {
      const parts = [`c0${(21 + 2 * (links - 1)).toString(16)} 0001 0001`, "01 61 00"]; // question, "a" at 18
      for (let i = 0; i < links; i++) parts.push(`c0${(i === 0 ? 18 : 21 + 2 * (i - 1)).toString(16).padStart(2, "0")}`);
      return fromHex(`0001 0100 0001 0000 0000 0000 ${parts.join(" ")}`);
    };
    expect(decode(chain(MAX_NAME_JUMPS - 1))!.questions.map((q) => q.name)).toEqual(["a"]); // 64 jumps: allowed
    expect(decode(chain(MAX_NAME_JUMPS))!.questions).toEqual([]); // 65 jumps: refused
    expect(decode(chain(100))!.questions).toEqual([]);
  });

  test("counts far beyond the bytes: the entry cap holds and nothing throws", () => {
    // 65535 questions claimed; 1000 present, each a 2-byte pointer to "a" + type + class
    const body = "01 61 00 0001 0001 " + "c00c 0001 0001 ".repeat(999);
    const m = decode(fromHex(`0001 0100 ffff ffff ffff ffff ${body}`))!;
    expect(m.questions).toHaveLength(MAX_ENTRIES);
    expect(m.answers).toHaveLength(0);
    const few = decode(fromHex(`0001 8100 0001 ffff 0000 0000 01 61 00 0001 0001`))!;
    expect(few.questions).toHaveLength(1);
    expect(few.answers).toHaveLength(0);
  });

  test("garbage: bad label types, names over 255 bytes, random bytes", () => {
    expect(decode(fromHex(`0001 0100 0001 0000 0000 0000 41 61 00 0001 0001`))!.questions).toEqual([]);
    const long = ("3f" + "61".repeat(63)).repeat(5) + "00 0001 0001"; // 320 bytes of labels
    expect(decode(fromHex(`0001 0100 0001 0000 0000 0000 ${long}`))!.questions).toEqual([]);
    let seed = 7;
    for (let i = 0; i < 500; i++) {
      const r = new Uint8Array(12 + (i % 200));
      for (let j = 0; j < r.length; j++) r[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      expect(() => decodeDns(r, 0, r.length)).not.toThrow();
      expect(() => decodeDnsTcp(r, 0, r.length)).not.toThrow();
    }
  });
});

describe("decodeDnsTcp", () => {
  test("LLMNR over TCP (suri_llmnr-tcp.pcap frame 4): one length-prefixed query", () => {
    const seg = fromHex(`001d  1234 0000 0001 0000 0000 0000  0b 776f726b73746174696f6e 00 0001 0001`);
    const msgs = decodeDnsTcp(seg, 0, seg.length);
    expect(msgs).toHaveLength(1);
    expect(msgs[0].questions).toEqual([{ name: "workstation", type: 1, class: 1 }]);
    expect(msgs[0].size).toBe(0x1d);
  });

  test("several messages in one segment, pointers relative to each message, the last one cut", () => {
    const prefixed = (b: Uint8Array) => [b.length >> 8, b.length & 255, ...b];
    const seg = Uint8Array.from([...prefixed(LLMNR_QUERY), ...prefixed(DNS_RESPONSE), ...prefixed(MDNS_RESPONSE).slice(0, 60)]);
    const msgs = decodeDnsTcp(seg, 0, seg.length);
    expect(msgs.map((m) => m.id)).toEqual([0xc341, 0x5934, 0]);
    expect(msgs[1].answers.map((r) => r.data)).toEqual(["192.139.46.66", "198.199.88.104"]);
    expect(msgs[2].answers).toHaveLength(0); // cut inside the PTR data
    for (let n = 0; n <= seg.length; n++) expect(() => decodeDnsTcp(seg, 0, n)).not.toThrow();
  });
});

describe("name table", () => {
  // A query for `name` (ASCII labels) of type A, class IN.
  const query = (name: string) => {
    const labels = name.split(".").flatMap((l) => [l.length, ...Buffer.from(l, "latin1")]);
    return Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
  };

  test("names are the same text however often and in whatever order they come (more names than table slots)", () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `h${(i * 7919) % 10_000}.Example${i % 3 === 0 ? "" : ".com"}`);
    for (let round = 0; round < 3; round++) {
      for (const name of round === 1 ? [...names].reverse() : names) expect(decode(query(name))!.questions[0].name).toBe(name);
    }
  });

  test("names that differ only in case or in one byte stay apart", () => {
    for (const name of ["www.example.com", "WWW.example.com", "www.example.con", "www.exampl.ecom", "wwwexample.com"]) {
      expect(decode(query(name))!.questions[0].name).toBe(name);
    }
  });

  test("labels that are not plain ASCII are read as UTF-8 label by label, a label's trailing NULs dropped", () => {
    const raw = (labels: number[][]) => Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels.flatMap((l) => [l.length, ...l]), 0, 0, 1, 0, 1]);
    const ascii = (t: string) => [...Buffer.from(t, "latin1")];
    const cases: [number[][], string][] = [
      [[ascii("caf"), [0x63, 0x61, 0x66, 0xc3, 0xa9], ascii("example")], "caf.caf\u00e9.example"],
      [[ascii("ab\0"), ascii("x")], "ab.x"], // utf8() drops the trailing NUL
      [[[0, 0], ascii("x")], "x"], // a label of NULs only is "" and takes no dot
      [[ascii("a\0b"), ascii("c")], "a\0b.c"], // a NUL inside a label stays
      [[[0xff, 0x41], ascii("d")], "\ufffdA.d"],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [labels, name] of cases) expect(decode(raw(labels))!.questions[0].name).toBe(name);
    }
  });
});
