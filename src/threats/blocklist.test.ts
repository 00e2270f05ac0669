import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Observation } from "../engine/events.ts";
import { matchDomain, matchIp, parseBlocklist } from "./blocklist-file.ts";
import { createBlocklistDetector } from "./blocklist.ts";
import { dnsMsg, fixture, flow, meta } from "./testing.ts";

const dir = mkdtempSync(path.join(tmpdir(), "ni-blocklist-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIXTURE = `# test list
203.0.113.7
198.51.100.0/24   # a whole range
2001:db8:bad::/48
0.0.0.0 tracker.example.net
evil.example
*.wild.example
not a valid line !!
`;

describe("blocklist parsing", () => {
  const list = parseBlocklist(FIXTURE);
  test("IPs, CIDRs (v4 and v6), domains and hosts-file lines", () => {
    expect(list.entries).toBe(6);
    expect(matchIp(list, "203.0.113.7")).toBe(true);
    expect(matchIp(list, "203.0.113.8")).toBe(false);
    expect(matchIp(list, "198.51.100.200")).toBe(true);
    expect(matchIp(list, "198.51.101.1")).toBe(false);
    expect(matchIp(list, "2001:db8:bad:1::5")).toBe(true);
    expect(matchIp(list, "2001:db8:bae::5")).toBe(false);
    expect(matchDomain(list, "cdn.evil.example")).toBe("evil.example");
    expect(matchDomain(list, "EVIL.EXAMPLE.")).toBe("evil.example");
    expect(matchDomain(list, "notevil.example")).toBeUndefined();
    expect(matchDomain(list, "a.wild.example")).toBe("wild.example");
    expect(matchDomain(list, "tracker.example.net")).toBe("tracker.example.net");
  });
});

describe("blocklist detector", () => {
  test("flows to listed IPs and DNS / SNI names fire with the local host as source; others do not", () => {
    const file = path.join(dir, "a.txt");
    writeFileSync(file, FIXTURE);
    const { store, settings } = fixture({ blocklists: [file] });
    const d = createBlocklistDetector(store, settings);
    d.flowStarted!(flow({ srcIp: "10.0.0.5", dstIp: "93.184.216.34" }));
    expect(store.size).toBe(0);
    d.flowStarted!(flow({ srcIp: "10.0.0.5", dstIp: "198.51.100.9", dstPort: 443 }));
    const dns: Observation = { kind: "dns", meta: meta({ srcIp: "10.0.0.6", dstIp: "10.0.0.1" }), msg: dnsMsg({ name: "x.evil.example" }) };
    d.observe!(dns);
    const sni: Observation = {
      kind: "tlsClientHello", meta: meta({ srcIp: "10.0.0.6", dstIp: "192.0.2.1", dstPort: 443 }),
      msg: { version: 0x303, supportedVersions: [], sni: "evil.example", alpn: [], cipherSuites: [], extensions: [], signatureAlgorithms: [], ja4: "" },
    };
    d.observe!(sni);
    const rows = store.list().map((t) => `${t.sourceIp} ${t.evidence.indicator}`).sort();
    expect(rows).toEqual(["10.0.0.5 198.51.100.9", "10.0.0.6 evil.example"]);
    expect(store.list().find((t) => t.sourceIp === "10.0.0.6")!.count).toBe(2);
  });

  test("a changed file is re-read on tick; a missing file is an empty list", () => {
    const file = path.join(dir, "b.txt");
    writeFileSync(file, "192.0.2.50\n");
    const { store, settings } = fixture({ blocklists: [file, path.join(dir, "missing.txt")], blocklistReloadSeconds: 0.001 });
    const orig = console.error;
    console.error = () => {};
    try {
      const d = createBlocklistDetector(store, settings);
      expect(d.entries).toBe(1);
      writeFileSync(file, "192.0.2.50\n192.0.2.51\nbad.example\n");
      utimesSync(file, new Date(), new Date(Date.now() + 5000));
      Bun.sleepSync(5);
      d.tick!(0);
      expect(d.entries).toBe(3);
      d.flowStarted!(flow({ dstIp: "192.0.2.51" }));
      expect(store.size).toBe(1);
    } finally {
      console.error = orig;
    }
  });
});
