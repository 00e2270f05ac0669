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
