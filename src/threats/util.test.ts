import { describe, expect, test } from "bun:test";
import { addressOf, addressText, BoundedMap, CappedSet, entropy, pairKeyOf, registeredDomain, type Reported, reportGrowth, reportOnce, SweepGate } from "./util.ts";

interface St extends Reported {
  hits: number;
}

/** Runs one seeded sequence of hits and ticks on a table, with or without a gate; returns what each tick reported and kept. */
function run(gated: boolean, seed: number): string[] {
  const states = new BoundedMap<number, St>(40);
  const gate = gated ? new SweepGate() : undefined;
  const log: string[] = [];
  let x = seed;
  const rand = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  let ts = 1000;
  for (let tick = 0; tick < 300; tick++) {
    // Quiet seconds, busy ones, and now and then a packet a little out of order.
    const hits = rand(4) === 0 ? 0 : rand(30);
    for (let i = 0; i < hits; i++) {
      const key = rand(60);
      const at = ts + rand(1000) / 1000 - (rand(20) === 0 ? 3 : 0);
      let st = states.get(key);
      if (!st) states.set(key, (st = { hits: 0, last: at, raised: false, dirty: false }));
      st.last = Math.max(st.last, at);
      gate?.saw(st.last);
      if (++st.hits >= 5) reportOnce(st, () => log.push(`raise ${key}`), gate);
    }
    ts += 1;
    reportGrowth(states, ts, 7, (st, key) => log.push(`grew ${key} ${st.hits}`), gate);
    log.push(`tick ${ts}: ${[...states.keys()].join(",")}`);
  }
  return log;
}

describe("SweepGate", () => {
  test("a gated tick reports and drops exactly what an ungated sweep does", () => {
    for (const seed of [1, 7, 42, 2024]) {
      const plain = run(false, seed);
      expect(run(true, seed)).toEqual(plain);
      expect(plain.some((l) => l.startsWith("grew"))).toBe(true);
    }
  });

  test("a quiet table is not walked", () => {
    const gate = new SweepGate();
    gate.saw(100);
    expect(gate.begin(105, 10)).toBe(false);
    expect(gate.begin(111, 10)).toBe(true);
    gate.kept(104);
    expect(gate.begin(112, 10)).toBe(false);
    gate.dirtied();
    expect(gate.begin(112, 10)).toBe(true);
  });
});

describe("addresses as numbers", () => {
  test("a capture-path dotted quad becomes its number and reads back the same; other text stays", () => {
    expect(addressOf("192.168.1.10")).toBe(0xc0a8010a);
    expect(addressText(addressOf("192.168.1.10"))).toBe("192.168.1.10");
    expect(addressOf("010.0.0.1")).toBe("010.0.0.1");
    expect(addressOf("fe80::1")).toBe("fe80::1");
    expect(pairKeyOf(1, 2, ">")).toBe(pairKeyOf(addressOf("0.0.0.1"), addressOf("0.0.0.2"), ">"));
    expect(pairKeyOf("fe80::1", 2, ">")).toBe("fe80::1>0.0.0.2");
  });
});

describe("CappedSet", () => {
  test("forgets its oldest keys first, as a BoundedMap of true values does", () => {
    const set = new CappedSet<number>(3);
    const map = new BoundedMap<number, true>(3);
    for (const k of [1, 2, 3, 2, 4, 5, 1, 6, 6, 7]) {
      expect(set.has(k)).toBe(map.get(k) === true);
      if (!set.has(k)) {
        set.add(k);
        map.set(k, true);
      }
      expect([1, 2, 3, 4, 5, 6, 7].filter((x) => set.has(x))).toEqual([...map.keys()].sort((a, b) => a - b));
    }
    expect(set.size).toBe(3);
  });
});

describe("registeredDomain", () => {
  /** The label-array version it replaced. */
  const bySplit = (name: string): string => {
    const labels = name.toLowerCase().replace(/\.$/, "").split(".");
    if (labels.length <= 2) return labels.join(".");
    const take = labels[labels.length - 1].length === 2 && ["co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go"].includes(labels[labels.length - 2]) ? 3 : 2;
    return labels.slice(-take).join(".");
  };
  test("gives what splitting into labels gave", () => {
    const names = [
      "", ".", "..", "com", "com.", "example.com", "Example.COM.", "a.b.example.com", "a.b.example.co.uk", "example.co.uk",
      "co.uk", "x.co.uk.", ".a.b", ".co.uk", "a..b", "a..co.uk", "a.b..", "www.google.com.au", "x.y.z.ne.jp", "a.or.at",
      "deep.deeper.deepest.example.org", "a.b.c.d.e.f.g.co.nz", ".", "x.", "x..", "...", "a.co.", "a.b.co", "a.com.br",
    ];
    for (const n of names) expect([n, registeredDomain(n)]).toEqual([n, bySplit(n)]);
  });
});

describe("entropy", () => {
  /** Counted by code point in a Map, summed in first-seen order: the definition the table-based count must equal bit for bit. */
  const reference = (s: string): number => {
    if (s.length === 0) return 0;
    const counts = new Map<string, number>();
    for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    let h = 0;
    for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
    return h;
  };

  test("the same number as counting in a Map, for ASCII and other text", () => {
    let seed = 5;
    const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    for (let i = 0; i < 5000; i++) {
      let s = "";
      const kind = rnd(3), len = rnd(64);
      for (let j = 0; j < len; j++) s += String.fromCharCode(kind === 0 ? 97 + rnd(26) : kind === 1 ? rnd(128) : rnd(4) === 0 ? 200 + rnd(5000) : 48 + rnd(10));
      expect(entropy(s)).toBe(reference(s));
    }
    expect(entropy("aaaa")).toBe(0);
    expect(entropy("ab")).toBe(1);
    expect(entropy("a😀😀é")).toBe(reference("a😀😀é"));
    // A text beyond ASCII after ASCII ones leaves no count behind for the next.
    expect(entropy("abcd")).toBe(2);
  });
});
