import { describe, expect, test } from "bun:test";
import type { DnsMessage, DnsRecord } from "../decode/types.ts";
import { DnsAnswerCache, MAX_CNAME_HOPS, MAX_TTL_SECONDS, MIN_TTL_SECONDS } from "./dns-cache.ts";

function rr(name: string, type: number, data: string, ttl = 300): DnsRecord {
  return { name, type, class: 1, ttl, data, rdLength: 4 };
}
function response(question: string, answers: DnsRecord[], rcode = 0): DnsMessage {
  return {
    id: 1, isResponse: true, opcode: 0, rcode, truncated: false,
    questions: [{ name: question, type: 1, class: 1 }], answers, authorities: [], additionals: [], size: 100,
  };
}

describe("DnsAnswerCache", () => {
  test("maps A and AAAA answers to the name asked, through a CNAME chain", () => {
    const c = new DnsAnswerCache();
    c.learn("10.0.0.2", response("www.youtube.com", [
      rr("www.youtube.com", 5, "youtube-ui.l.google.com"),
      rr("youtube-ui.l.google.com", 5, "edge.l.google.com."),
      rr("edge.l.google.com", 1, "142.250.1.1"),
      rr("edge.l.google.com", 28, "2a00:1450::1"),
    ]), 1000);
    expect(c.lookup("10.0.0.2", "142.250.1.1", 1001)).toBe("www.youtube.com");
    expect(c.lookup("10.0.0.2", "2a00:1450::1", 1001)).toBe("www.youtube.com");
  });

  test("prefers what this client resolved, falls back to any client", () => {
    const c = new DnsAnswerCache();
    c.learn("10.0.0.2", response("a.example.com", [rr("a.example.com", 1, "1.2.3.4")]), 1000);
    c.learn("10.0.0.3", response("b.example.com", [rr("b.example.com", 1, "1.2.3.4")]), 1001);
    expect(c.lookup("10.0.0.2", "1.2.3.4", 1002)).toBe("a.example.com");
    expect(c.lookup("10.0.0.3", "1.2.3.4", 1002)).toBe("b.example.com");
    expect(c.lookup("10.0.0.9", "1.2.3.4", 1002)).toBe("b.example.com");
  });

  test("entries expire after the TTL, floored and capped", () => {
    const c = new DnsAnswerCache();
    c.learn("h", response("short.example", [rr("short.example", 1, "1.1.1.1", 5)]), 0);
    c.learn("h", response("long.example", [rr("long.example", 1, "2.2.2.2", 86400)]), 0);
    expect(c.lookup("h", "1.1.1.1", MIN_TTL_SECONDS - 1)).toBe("short.example");
    expect(c.lookup("h", "1.1.1.1", MIN_TTL_SECONDS + 1)).toBeUndefined();
    expect(c.lookup("h", "2.2.2.2", MAX_TTL_SECONDS - 1)).toBe("long.example");
    expect(c.lookup("h", "2.2.2.2", MAX_TTL_SECONDS + 1)).toBeUndefined();
  });

  test("stays within its bound, dropping the oldest entries", () => {
    const c = new DnsAnswerCache(10);
    for (let i = 0; i < 50; i++) {
      c.learn("h", response(`n${i}.example`, [rr(`n${i}.example`, 1, `10.1.0.${i}`)]), 0);
    }
    expect(c.size).toBe(10);
    expect(c.lookup("h", "10.1.0.49", 1)).toBe("n49.example");
    expect(c.lookup("h", "10.1.0.0", 1)).toBeUndefined();
  });

  test("ignores queries, errors and empty answers", () => {
    const c = new DnsAnswerCache();
    const q = response("x.example", [rr("x.example", 1, "3.3.3.3")]);
    c.learn("h", { ...q, isResponse: false }, 0);
    c.learn("h", response("x.example", [rr("x.example", 1, "3.3.3.3")], 3), 0);
    c.learn("h", response("x.example", []), 0);
    expect(c.size).toBe(0);
  });

  test("a looping or overlong CNAME chain terminates", () => {
    const c = new DnsAnswerCache();
    const loop = [rr("a.example", 5, "b.example"), rr("b.example", 5, "a.example"), rr("b.example", 1, "4.4.4.4")];
    c.learn("h", response("a.example", loop), 0);
    expect(["a.example", "b.example"]).toContain(c.lookup("h", "4.4.4.4", 1) ?? "");
    const chain: DnsRecord[] = [];
    for (let i = 0; i < MAX_CNAME_HOPS * 3; i++) chain.push(rr(`c${i}.example`, 5, `c${i + 1}.example`));
    chain.push(rr(`c${MAX_CNAME_HOPS * 3}.example`, 1, "5.5.5.5"));
    c.learn("h", response("c0.example", chain), 0);
    expect(c.lookup("h", "5.5.5.5", 1)).toMatch(/^c\d+\.example$/);
  });
});

/** The cache as a plain model: "address|client" -> entry in a Map kept in recency order. */
class ModelCache {
  readonly entries = new Map<string, { name: string; expires: number }>();
  constructor(readonly max: number) {}
  learn(client: string | null, msg: DnsMessage, ts: number): void {
    if (!msg.isResponse || msg.rcode !== 0) return;
    for (const rr of msg.answers) {
      if (rr.type !== 1 && rr.type !== 28) continue;
      const name = rr.name.toLowerCase();
      const expires = ts + Math.min(MAX_TTL_SECONDS, Math.max(MIN_TTL_SECONDS, rr.ttl));
      if (client) this.put(`${rr.data}|${client}`, name, expires);
      this.put(`${rr.data}|`, name, expires);
    }
  }
  put(key: string, name: string, expires: number): void {
    if (!this.entries.delete(key)) while (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { name, expires });
  }
  fresh(key: string, ts: number): string | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires < ts) {
      this.entries.delete(key);
      return undefined;
    }
    return e.name;
  }
  lookup(client: string | null, address: string, ts: number): string | undefined {
    return (client ? this.fresh(`${address}|${client}`, ts) : undefined) ?? this.fresh(`${address}|`, ts);
  }
}

describe("DnsAnswerCache keyed by numbers and interned texts", () => {
  test("answers as a plain recency-ordered map would, for IPv4 and IPv6 servers and clients, through evictions and expiry", () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const servers = [...Array.from({ length: 40 }, (_, i) => `10.9.${i >> 4}.${i & 15}`), ...Array.from({ length: 20 }, (_, i) => `2001:db8::${i.toString(16)}`)];
    const clients = ["192.168.1.2", "192.168.1.3", "fe80::1", "fd00::2", "010.0.0.1"];
    for (const max of [2, 7, 50]) {
      const c = new DnsAnswerCache(max), model = new ModelCache(max);
      for (let step = 0, ts = 0; step < 4000; step++, ts += rand(5)) {
        if (rand(3) === 0) {
          const client = clients[rand(clients.length)]!, answers: DnsRecord[] = [];
          for (let k = rand(4); k >= 0; k--) {
            const server = servers[rand(servers.length)]!;
            answers.push(rr(`N${rand(30)}.example`, server.includes(":") ? 28 : 1, server, rand(400)));
          }
          const msg = response("q.example", answers);
          c.learn(client, msg, ts);
          model.learn(client, msg, ts);
          expect(c.size).toBe(model.entries.size);
        } else {
          const client = rand(6) === 0 ? null : clients[rand(clients.length)]!, server = servers[rand(servers.length)]!;
          expect(c.lookup(client, server, ts)).toBe(model.lookup(client, server, ts));
          expect(c.size).toBe(model.entries.size);
        }
      }
    }
  });

  test("lookup4 and learn4 (addresses as numbers) meet learn and lookup (addresses as text)", () => {
    const c = new DnsAnswerCache();
    const client4 = (192 << 24 >>> 0) + (168 << 16) + (1 << 8) + 2;
    c.learn4(client4, response("a.example", [rr("a.example", 1, "1.2.3.4")]), 0);
    c.learn("192.168.1.3", response("b.example", [rr("b.example", 1, "1.2.3.5")]), 0);
    expect(c.lookup("192.168.1.2", "1.2.3.4", 1)).toBe("a.example");
    expect(c.lookup4(client4, (1 << 24) + (2 << 16) + (3 << 8) + 5, 1)).toBe("b.example");
    expect(c.lookup4(-1, (1 << 24) + (2 << 16) + (3 << 8) + 4, 1)).toBe("a.example");
    // A spelling that is not the capture path's ("010.0.0.1") stays text: it never aliases 10.0.0.1.
    c.learn("010.0.0.1", response("c.example", [rr("c.example", 1, "1.2.3.6")]), 0);
    c.learn("10.0.0.1", response("d.example", [rr("d.example", 1, "1.2.3.6")]), 0);
    expect(c.lookup("010.0.0.1", "1.2.3.6", 1)).toBe("c.example");
    expect(c.lookup("10.0.0.1", "1.2.3.6", 1)).toBe("d.example");
  });
});
