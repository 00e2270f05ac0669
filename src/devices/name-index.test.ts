import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { analyzeFile } from "../engine/analyze.ts";
import type { Observation } from "../engine/events.ts";
import { NAME_INDEX, NameIndex, requiredEndings } from "./name-index.ts";
import { anyRuleMatches, NAME_SIGNALS, RULES_BY_SIGNAL } from "./rules.ts";
import { DOMAIN_RULES } from "./rules/traffic.ts";

/** pushName's value of a clean name: lower case, without its final dot. */
function valueOf(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** mayMatch must be true for every name some rule of the signal matches (it may be true for others). */
function expectSound(signal: string, names: Iterable<string>): number {
  const index = NAME_INDEX.get(signal)!;
  let matched = 0;
  for (const name of names) {
    if (!/^[\x20-\x7e]+$/.test(name)) continue; // pushName asks the index about clean names only
    const v = valueOf(name);
    if (v && anyRuleMatches(signal, v)) {
      matched++;
      if (!index.mayMatch(name)) throw new Error(`${signal}: a rule matches ${JSON.stringify(name)} but the index says none can`);
    }
  }
  return matched;
}

/** Names made from every rule's endings: each ending alone, under labels, cut short, in upper case, with a root dot. */
function namesFromRules(): string[] {
  const out: string[] = [];
  for (const rule of DOMAIN_RULES) {
    for (const e of requiredEndings(rule.match as RegExp) ?? []) {
      const bare = e.startsWith(".") ? e.slice(1) : e;
      for (const n of [e, bare, `x${e}`, `x.${bare}`, `a.b.${bare}`, `www.${bare}`, `-${bare}`, bare.slice(1), bare.slice(0, -1),
        `${bare}.`, `${bare}x`, bare.toUpperCase(), `A.${bare.toUpperCase()}.`, `avs-alexa-7.${bare}`, `device-metrics-us.${bare}`]) {
        out.push(n);
      }
    }
  }
  return out;
}

describe("name index", () => {
  test("every rule on a name signal is indexed (else every name is scanned)", () => {
    for (const signal of NAME_SIGNALS) {
      expect(NAME_INDEX.get(signal)?.indexed).toBe(true);
      for (const rule of RULES_BY_SIGNAL.get(signal)!) expect(requiredEndings(rule.match as RegExp)).not.toBeNull();
    }
  });

  test("the endings read from the patterns", () => {
    expect(requiredEndings(/(^|\.)(apple\.com|icloud\.com)$/i)!.sort()).toEqual([".apple.com", ".icloud.com", "apple.com", "icloud.com"]);
    expect(requiredEndings(/^captive\.apple\.com$/i)).toEqual(["captive.apple.com"]);
    expect(requiredEndings(/(^|\.)withings\.(net|com)$/i)!.sort()).toEqual([".withings.com", ".withings.net", "withings.com", "withings.net"]);
    expect(requiredEndings(/^(device-metrics-us|avs-alexa[\w-]*)\.amazon\.com$/i)!.sort()).toEqual([".amazon.com", "device-metrics-us.amazon.com"]);
    expect(requiredEndings(/\d+\.Example\.com$/)).toEqual([".example.com"]);
  });

  test("patterns it cannot read are not indexed", () => {
    for (const re of [/apple\.com/i, /apple\.com$/m, /apple\.com$|x/i, /(?=a)apple\.com$/, /(?<n>a)apple\.com$/, /(a)\1apple\.com$/,
      /a{2}pple\.com$/, /[a-z]+$/, /\.com$/, /apple\u002ecom$/, /apple\.com$/y, /apple\.com$/u]) {
      expect(requiredEndings(re)).toBeNull();
    }
    expect(new NameIndex([{ on: "x", match: /apple\.com/, w: 1 }]).mayMatch("nothing.example")).toBe(true);
    expect(new NameIndex([{ on: "x", match: () => true, w: 1 }]).mayMatch("nothing.example")).toBe(true);
  });

  test("mayMatch folds case and a final dot as pushName does", () => {
    const index = NAME_INDEX.get("dns.query")!;
    for (const n of ["captive.apple.com", "CAPTIVE.Apple.COM.", "x.icloud.com", "avs-alexa-3.amazon.com", "ps4.playstation.net"]) expect(index.mayMatch(n)).toBe(true);
    for (const n of ["", ".", "com", "example.com", "apple.com.evil.net", "www.google.com.", "apple.co"]) expect(index.mayMatch(n)).toBe(false);
  });

  test("no name a rule matches is missed: names made from the rules' endings", () => {
    const names = namesFromRules();
    for (const signal of NAME_SIGNALS) expect(expectSound(signal, names)).toBeGreaterThan(100);
  });

  const PCAPS = process.env.NETINSIGHT_CORPUS ?? path.resolve(import.meta.dir, "../../../shared/pcaps");
  test.skipIf(!existsSync(PCAPS))("no name a rule matches is missed: every DNS, SNI and HTTP Host name of the corpus", async () => {
    const names = new Set<string>();
    const collect = {
      name: "names",
      wants: ["dns", "mdns", "llmnr", "http", "tlsClientHello", "quicClientHello"] as const,
      observe(o: Observation) {
        if (o.kind === "dns" || o.kind === "mdns" || o.kind === "llmnr") {
          for (const q of o.msg.questions) names.add(q.name);
          for (const r of o.msg.answers) names.add(r.name);
        } else if (o.kind === "http" && o.msg.host) names.add(o.msg.host.replace(/:\d+$/, ""));
        else if ((o.kind === "tlsClientHello" || o.kind === "quicClientHello") && o.msg.sni) names.add(o.msg.sni);
      },
    };
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = path.join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.pcap(ng)?$/.test(f)) files.push(p);
      }
    };
    walk(PCAPS);
    for (const f of files) {
      try {
        await analyzeFile(f, { analyzers: [collect], collectFlows: false });
      } catch {
        // a link type the engine does not read: no names from it
      }
    }
    expect(names.size).toBeGreaterThan(1000);
    let matched = 0;
    for (const signal of NAME_SIGNALS) matched += expectSound(signal, names);
    expect(matched).toBeGreaterThan(10);
  }, 120_000);
});
