import { describe, expect, test } from "bun:test";
import { APPLICATIONS } from "./applications.ts";
import { CDN_WRAPPER_SUFFIXES, DomainMatcher, defaultDomainMatcher, isIpLiteral, normalizeHost, type AppMatch } from "./domain-match.ts";

describe("DomainMatcher", () => {
  const m = defaultDomainMatcher();

  test("matches a suffix at a label boundary and the suffix itself", () => {
    expect(m.match("r4---sn-abc.googlevideo.com")?.application).toBe("YouTube");
    expect(m.match("googlevideo.com")?.application).toBe("YouTube");
    expect(m.match("www.netflix.com")?.category).toBe("video");
  });

  test("does not match inside a label", () => {
    expect(m.match("notgooglevideo.com")).toBeUndefined();
    expect(m.match("myyoutube.com")).toBeUndefined();
  });

  test("the longest suffix wins over a shorter, generic one", () => {
    expect(m.match("yt3.ggpht.com")?.application).toBe("YouTube");
    expect(m.match("lh3.ggpht.com")?.application).toBe("Google");
    expect(m.match("mail.google.com")?.application).toBe("Gmail");
    expect(m.match("www.google.com")?.application).toBe("Google");
    expect(m.match("teams.microsoft.com")?.application).toBe("Microsoft Teams");
    expect(m.match("www.microsoft.com")?.application).toBe("Microsoft");
    expect(m.match("p26-keyvalueservice.icloud.com")?.application).toBe("Apple iCloud");
    expect(m.match("mesu.apple.com")?.application).toBe("Apple");
  });

  test("a CDN name that embeds the customer's host names the customer", () => {
    expect(m.match("captive.apple.com.edgekey.net")?.application).toBe("Apple");
    expect(m.match("e1234.a.akamaiedge.net")?.application).toBe("Akamai");
    expect(m.match("something.example.edgekey.net")?.application).toBe("Akamai");
  });

  test("normalizes case, trailing dots and ports", () => {
    expect(m.match("WWW.YouTube.COM.")?.application).toBe("YouTube");
    expect(m.match("www.reddit.com:443")?.application).toBe("Reddit");
    expect(normalizeHost("[2001:db8::1]:80")).toBe("2001:db8::1");
    expect(normalizeHost("2001:db8::1")).toBe("2001:db8::1");
    expect(normalizeHost("")).toBeUndefined();
    expect(normalizeHost("a".repeat(300))).toBeUndefined();
  });

  test("IP literals and unknown names match nothing", () => {
    expect(m.match("142.250.1.1")).toBeUndefined();
    expect(m.match("2001:db8::1")).toBeUndefined();
    expect(m.match("example.invalid")).toBeUndefined();
    expect(m.match(null)).toBeUndefined();
  });

  test("the table is large, every suffix is named once and every row has a suffix", () => {
    const seen = new Map<string, string>();
    for (const row of APPLICATIONS) {
      expect(row.suffixes.length).toBeGreaterThan(0);
      for (const s of row.suffixes) {
        expect(s).toBe(s.toLowerCase());
        expect(seen.get(s)).toBeUndefined();
        seen.set(s, row.app);
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(300);
    expect(new Set(APPLICATIONS.map((r) => r.app)).size).toBeGreaterThanOrEqual(80);
    expect(m.size).toBe(seen.size);
  });

  test("a custom table is honoured, first row wins on a duplicate", () => {
    const custom = new DomainMatcher([
      { app: "A", category: "web", suffixes: ["example.com"] },
      { app: "B", category: "web", suffixes: ["example.com", "cdn.example.com"] },
    ]);
    expect(custom.match("x.example.com")?.application).toBe("A");
    expect(custom.match("x.cdn.example.com")?.application).toBe("B");
  });

  test("the hashed suffix walk answers as a Map probe per label boundary of the cut-out suffix does", () => {
    // The lookup as it was: the whole name, then the text after each dot, the first (longest) hit wins;
    // CDN wrappers first by the name without them.
    const bySuffix = new Map<string, AppMatch>();
    for (const row of APPLICATIONS) for (const s of row.suffixes) {
      const n = normalizeHost(s);
      if (n && !bySuffix.has(n)) bySuffix.set(n, { application: row.app, category: row.category, suffix: n });
    }
    const longest = (name: string): AppMatch | undefined => {
      for (let start = 0; start < name.length;) {
        const hit = bySuffix.get(name.slice(start));
        if (hit) return hit;
        const dot = name.indexOf(".", start);
        if (dot < 0) return undefined;
        start = dot + 1;
      }
      return undefined;
    };
    const reference = (host: string): AppMatch | undefined => {
      const name = normalizeHost(host);
      if (!name || isIpLiteral(name)) return undefined;
      for (const w of CDN_WRAPPER_SUFFIXES) {
        if (name.length > w.length + 1 && name.endsWith(`.${w}`)) {
          const inner = longest(name.slice(0, -(w.length + 1)));
          if (inner) return inner;
        }
      }
      return longest(name);
    };
    const names: string[] = ["", ".", "..", "a..b", "com", ".com", "x.", "edgekey.net", ".edgekey.net", "a.edgekey.net"];
    for (const s of bySuffix.keys()) {
      names.push(s, `x.${s}`, `x${s}`, `a.b.${s}`, `${s}.x`, `.${s}`, `a..${s}`, s.slice(1), s.toUpperCase() + ".");
      for (const w of CDN_WRAPPER_SUFFIXES) names.push(`${s}.${w}`, `q.${s}.${w}`, `${s}${w}`);
    }
    for (const name of names) expect(m.match(name)).toEqual(reference(name));
    // A large table: each name finds its own entry, a name of none finds nothing.
    const custom = new DomainMatcher(Array.from({ length: 3000 }, (_, i) => ({ app: `A${i}`, category: "web" as const, suffixes: [`s${i}.example`] })));
    for (let i = 0; i < 3000; i++) expect(custom.match(`www.s${i}.example`)?.application).toBe(`A${i}`);
    expect(custom.match("www.s3000.example")).toBeUndefined();
  });
});
