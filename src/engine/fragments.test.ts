import { describe, expect, test } from "bun:test";
import { Packet } from "../decode/packet.ts";
import { BoundedMap } from "../util/ordered-map.ts";
import { FragmentTracker, MAX_FRAGMENT_TRAINS } from "./fragments.ts";

/** The tracker as it was (string keys in a BoundedMap): the reference the numeric table must match. */
class StringKeyTracker {
  readonly ports: BoundedMap<string, number>;
  constructor(cap = MAX_FRAGMENT_TRAINS) {
    this.ports = new BoundedMap<string, number>(cap);
  }

  apply(p: Packet): void {
    const key = this.key(p);
    if (p.fragOffset === 0) {
      if (p.l4Off < 0) return;
      this.ports.set(key, (p.srcPort << 16) | p.dstPort);
      return;
    }
    const ports = this.ports.get(key);
    if (ports === undefined) return;
    p.srcPort = ports >>> 16;
    p.dstPort = ports & 0xffff;
    if (!p.moreFragments) this.ports.delete(key);
  }

  private key(p: Packet): string {
    if (p.ipVersion === 4) return `${p.src4}>${p.dst4}/${p.ipProtocol}#${p.fragId}`;
    const v = p.view;
    let k = "";
    for (let i = 0; i < 16; i += 4) k += v.getUint32(p.src6Off + i).toString(36) + ".";
    for (let i = 0; i < 16; i += 4) k += v.getUint32(p.dst6Off + i).toString(36) + ".";
    return `${k}/${p.ipProtocol}#${p.fragId}`;
  }
}

interface Train {
  version: 4 | 6;
  /** IPv4: [src, dst]; IPv6: 8 words, source then destination. */
  addr: number[];
  proto: number;
  id: number;
}

interface Frag {
  offset: number;
  more: boolean;
  /** The first fragment's L4 header was captured (ports valid). */
  l4?: boolean;
  ports?: [number, number];
}

const bytes = new Uint8Array(64);
const view = new DataView(bytes.buffer);

/** A fragment of a train, as the decoders leave it (a later fragment has no ports). */
function packet(p: Packet, t: Train, f: Frag): Packet {
  p.reset(bytes, view, 0, bytes.length, 0, 60);
  p.ipVersion = t.version;
  p.ipProtocol = t.proto;
  p.fragId = t.id;
  p.fragOffset = f.offset;
  p.moreFragments = f.more;
  if (t.version === 4) {
    p.src4 = t.addr[0];
    p.dst4 = t.addr[1];
  } else {
    // Addresses at an odd place in the frame, as behind a VLAN tag or extension headers.
    for (let i = 0; i < 8; i++) view.setUint32(2 + 4 * i, t.addr[i]);
    p.src6Off = 2;
    p.dst6Off = 18;
  }
  if (f.offset === 0 && f.l4 !== false) {
    p.l4Off = 40;
    [p.srcPort, p.dstPort] = f.ports ?? [0, 0];
  }
  return p;
}

const v4 = (src: number, dst: number, proto: number, id: number): Train => ({ version: 4, addr: [src, dst], proto, id });
const v6 = (addr: number[], proto: number, id: number): Train => ({ version: 6, addr, proto, id });

/** Ports a fragment ends up with after the tracker saw it. */
function run(tracker: { apply(p: Packet): void }, t: Train, f: Frag): [number, number] {
  const p = packet(new Packet(), t, f);
  tracker.apply(p);
  return [p.srcPort, p.dstPort];
}

describe("FragmentTracker", () => {
  test("later IPv4 fragments take the first fragment's ports; the last one ends the train", () => {
    const tr = new FragmentTracker();
    const t = v4(0x0a000001, 0x0a000002, 17, 9);
    expect(run(tr, t, { offset: 0, more: true, ports: [53, 3333] })).toEqual([53, 3333]);
    expect(run(tr, t, { offset: 1480, more: true })).toEqual([53, 3333]);
    expect(tr.size).toBe(1);
    expect(run(tr, t, { offset: 2960, more: false })).toEqual([53, 3333]);
    expect(tr.size).toBe(0);
    expect(run(tr, t, { offset: 1480, more: true })).toEqual([0, 0]);
  });

  test("IPv6 trains: every address word and the 32-bit id are part of the key", () => {
    const tr = new FragmentTracker();
    const addr = [0x20010db8, 0, 0, 1, 0x20010db8, 0, 0, 2];
    const t = v6(addr, 17, 0xfedcba98);
    run(tr, t, { offset: 0, more: true, ports: [53, 40000] });
    for (let w = 0; w < 8; w++) {
      const other = addr.slice();
      other[w] ^= 1;
      expect(run(tr, v6(other, 17, 0xfedcba98), { offset: 8, more: true })).toEqual([0, 0]);
    }
    expect(run(tr, v6(addr, 6, 0xfedcba98), { offset: 8, more: true })).toEqual([0, 0]);
    expect(run(tr, v6(addr, 17, 0x7edcba98), { offset: 8, more: true })).toEqual([0, 0]);
    expect(run(tr, t, { offset: 8, more: false })).toEqual([53, 40000]);
    expect(tr.size).toBe(0);
  });

  test("the same id from other addresses, another protocol or the other IP version is another train", () => {
    const tr = new FragmentTracker();
    run(tr, v4(1, 2, 17, 7), { offset: 0, more: true, ports: [1000, 53] });
    run(tr, v4(3, 2, 17, 7), { offset: 0, more: true, ports: [2000, 53] });
    run(tr, v4(2, 1, 17, 7), { offset: 0, more: true, ports: [3000, 53] });
    run(tr, v4(1, 2, 6, 7), { offset: 0, more: true, ports: [4000, 80] });
    // An IPv6 train whose address words start as the IPv4 ones (the rest 0) is not the IPv4 train.
    expect(run(tr, v6([1, 0, 0, 0, 2, 0, 0, 0], 17, 7), { offset: 8, more: false })).toEqual([0, 0]);
    expect(run(tr, v4(2, 1, 17, 7), { offset: 8, more: false })).toEqual([3000, 53]);
    expect(run(tr, v4(1, 2, 17, 7), { offset: 8, more: false })).toEqual([1000, 53]);
    expect(run(tr, v4(1, 2, 6, 7), { offset: 8, more: false })).toEqual([4000, 80]);
    expect(run(tr, v4(3, 2, 17, 7), { offset: 8, more: false })).toEqual([2000, 53]);
    expect(tr.size).toBe(0);
  });

  test("interleaved and out-of-order fragments", () => {
    const tr = new FragmentTracker();
    const a = v4(0xc0a80001, 0x08080808, 17, 1), b = v4(0xc0a80001, 0x08080808, 17, 2);
    // A later fragment before its first one finds nothing (and is not remembered).
    expect(run(tr, a, { offset: 1480, more: true })).toEqual([0, 0]);
    expect(run(tr, a, { offset: 2960, more: false })).toEqual([0, 0]);
    expect(tr.size).toBe(0);
    run(tr, a, { offset: 0, more: true, ports: [5353, 53] });
    run(tr, b, { offset: 0, more: true, ports: [6363, 53] });
    // The last fragment of b arrives before its middle one: the train ends there.
    expect(run(tr, b, { offset: 2960, more: false })).toEqual([6363, 53]);
    expect(run(tr, b, { offset: 1480, more: true })).toEqual([0, 0]);
    expect(run(tr, a, { offset: 1480, more: true })).toEqual([5353, 53]);
    expect(run(tr, a, { offset: 2960, more: false })).toEqual([5353, 53]);
    expect(tr.size).toBe(0);
  });

  test("a first fragment without its L4 header is not remembered; a repeated first fragment replaces the ports", () => {
    const tr = new FragmentTracker();
    const t = v4(5, 6, 17, 3);
    run(tr, t, { offset: 0, more: true, l4: false });
    expect(tr.size).toBe(0);
    run(tr, t, { offset: 0, more: true, ports: [1, 2] });
    run(tr, t, { offset: 0, more: true, ports: [65535, 65534] });
    expect(tr.size).toBe(1);
    expect(run(tr, t, { offset: 8, more: false })).toEqual([65535, 65534]);
  });

  test("at the cap the oldest train is forgotten; a repeated first fragment does not make a train younger", () => {
    const tr = new FragmentTracker(3);
    const t = (id: number) => v4(1, 2, 17, id);
    for (const id of [1, 2, 3]) run(tr, t(id), { offset: 0, more: true, ports: [id, id] });
    run(tr, t(1), { offset: 0, more: true, ports: [10, 10] }); // 1 keeps its age
    run(tr, t(4), { offset: 0, more: true, ports: [4, 4] }); // 1 goes
    expect(tr.size).toBe(3);
    expect(run(tr, t(1), { offset: 8, more: true })).toEqual([0, 0]);
    run(tr, t(2), { offset: 8, more: false }); // 2 ends: room for 5 without forgetting 3
    run(tr, t(5), { offset: 0, more: true, ports: [5, 5] });
    expect(run(tr, t(3), { offset: 8, more: true })).toEqual([3, 3]);
    expect(run(tr, t(4), { offset: 8, more: true })).toEqual([4, 4]);
    expect(run(tr, t(5), { offset: 8, more: true })).toEqual([5, 5]);
  });

  /** A deterministic generator (mulberry32). */
  function rng(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Trains that share addresses, ids and protocols in every way but one, both IP versions. */
  function trains(n: number, rand: () => number): Train[] {
    const out: Train[] = [];
    const pick = (k: number) => Math.floor(rand() * k);
    for (let i = 0; i < n; i++) {
      const proto = [6, 17, 1, 58][pick(4)];
      const id = pick(8) === 0 ? pick(4) : pick(0x10000);
      if (pick(3) > 0) out.push(v4(0x0a000000 + pick(64), 0x0a000100 + pick(4), proto, id));
      else {
        const addr = [0x20010db8, 0, pick(2), pick(16), 0x20010db8, 0, pick(2), pick(4)];
        out.push(v6(addr, proto, pick(4) === 0 ? id : pick(0x100000000)));
      }
    }
    return out;
  }

  /** Random fragments of the trains through both trackers: every packet's ports and the count of open trains agree. */
  function compare(cap: number, nTrains: number, nPackets: number, seed: number): void {
    const rand = rng(seed);
    const pool = trains(nTrains, rand);
    const ref = new StringKeyTracker(cap), tr = new FragmentTracker(cap);
    const a = new Packet(), b = new Packet();
    let joined = 0, maxOpen = 0;
    for (let n = 0; n < nPackets; n++) {
      // Recent trains more often (trains in progress), any train sometimes (stale and new ones).
      const t = rand() < 0.7 ? pool[Math.floor(rand() * Math.min(pool.length, 64 + (n % pool.length)))] : pool[Math.floor(rand() * pool.length)];
      const r = rand();
      const f: Frag =
        r < 0.45
          ? { offset: 0, more: true, l4: rand() > 0.05, ports: [Math.floor(rand() * 65536), Math.floor(rand() * 65536)] }
          : { offset: 8 + Math.floor(rand() * 100) * 8, more: rand() < 0.5 };
      ref.apply(packet(a, t, f));
      tr.apply(packet(b, t, f));
      if (a.srcPort !== b.srcPort || a.dstPort !== b.dstPort) {
        throw new Error(`packet ${n}: ports ${b.srcPort}/${b.dstPort}, the string-keyed tracker ${a.srcPort}/${a.dstPort}`);
      }
      if (tr.size !== ref.ports.size) throw new Error(`packet ${n}: ${tr.size} trains open, the string-keyed tracker ${ref.ports.size}`);
      if (f.offset > 0 && a.srcPort + a.dstPort > 0) joined++;
      maxOpen = Math.max(maxOpen, tr.size);
    }
    // The sequences exercise what they are meant to: later fragments joined, trains forgotten at the cap.
    expect(joined).toBeGreaterThan(nPackets / 1000);
    if (nTrains > cap * 2) {
      expect(ref.ports.evicted).toBeGreaterThan(0);
      expect(maxOpen).toBe(cap);
    } else expect(maxOpen).toBeLessThanOrEqual(cap);
  }

  test("matches the string-keyed tracker over random fragments: small caps (every slot shared, many evictions)", () => {
    for (const cap of [1, 2, 3, 5, 8, 17]) for (let seed = 1; seed <= 4; seed++) compare(cap, 60, 20_000, seed * 100 + cap);
  });

  test("matches the string-keyed tracker over random fragments: more than 4096 open trains at the real cap", () => {
    compare(MAX_FRAGMENT_TRAINS, 20_000, 400_000, 7);
    compare(MAX_FRAGMENT_TRAINS, 3_000, 200_000, 8);
  });
});
