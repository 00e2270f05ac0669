import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Observation } from "../engine/events.ts";
import { parseBlocklist } from "./blocklist-file.ts";
import { createBlocklistDetector } from "./blocklist.ts";
import { createFeedCache, feedPath } from "./intel-feeds.ts";
import { fixture, flow, meta } from "./testing.ts";

// abuse.ch formats, abridged: Feodo Tracker's plain IP list, SSLBL's JA3 CSV, URLhaus' hosts file; and a JA4 list.
const FEODO = "# Feodo Tracker Botnet C2 IP Blocklist\n# Last updated: 2026-12-06 12:00:00 UTC\n#\n50.16.16.211\n138.197.147.101\n";
const SSLBL_JA3 = "# ja3_md5,Firstseen,Lastseen,Listingreason\n51c64c77e60f3980eea90869b68c58a8,2017-07-14 18:08:47,2019-07-27 20:42:54,Emotet\n";
const URLHAUS_HOSTS = "# URLhaus Malware Domains\n127.0.0.1\tfilmmogzivota.rs\n127.0.0.1\tgandhitoday.org\n";
const FEODO_CSV = '# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n"2026-11-01 10:00:00","82.118.225.196","7080","online","2026-12-06","TrickBot"\n';
const JA4_LIST = "t12d190600_d83cc789557e_2dae41c691ec Emotet loader\n";

describe("abuse.ch list formats", () => {
  test("IPs, hosts files, CSV rows and JA3/JA4 fingerprints with their labels", () => {
    const l = parseBlocklist(FEODO + SSLBL_JA3 + URLHAUS_HOSTS + FEODO_CSV + JA4_LIST);
    expect(l.ips.size).toBe(3);
    expect([...l.domains].sort()).toEqual(["filmmogzivota.rs", "gandhitoday.org"]);
    expect(l.ja3.get("51c64c77e60f3980eea90869b68c58a8")).toBe("emotet");
    expect(l.ja4.get("t12d190600_d83cc789557e_2dae41c691ec")).toBe("emotet loader");
    expect(l.entries).toBe(7);
  });
});

describe("feeds from a local HTTP server", () => {
  let body = FEODO;
  let status = 200;
  let server: ReturnType<typeof Bun.serve>;
  const dir = mkdtempSync(join(tmpdir(), "ni-feeds-"));
  beforeAll(() => {
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(body, { status }) });
  });
  afterAll(() => {
    server.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });
  const url = () => `http://127.0.0.1:${server.port}/feodo.txt`;
  const quiet = () => {};

  test("downloaded to disk; a failed or implausible download keeps the last good copy", async () => {
    const feeds = createFeedCache({ urls: [url()], dir, refreshSeconds: 3600, log: quiet });
    const [st] = await feeds.refresh();
    expect(st).toMatchObject({ entries: 2, error: null });
    expect(readFileSync(feedPath(dir, url()), "utf8")).toBe(FEODO);
    for (const [s, b, why] of [[500, "oops", "HTTP 500"], [200, "<!DOCTYPE html><p>Log in</p>", "HTML"], [200, "# nothing\n", "no IP"]] as const) {
      status = s;
      body = b;
      const [again] = await feeds.refresh();
      expect(again.error).toContain(why);
      expect(readFileSync(feedPath(dir, url()), "utf8")).toBe(FEODO);
    }
    status = 200;
    body = FEODO;
  });

  test("refreshes on its schedule, not before", async () => {
    let calls = 0;
    const counting = ((input: string | URL | Request, init?: RequestInit) => { calls++; return fetch(input, init); }) as typeof fetch;
    const feeds = createFeedCache({ urls: [url()], dir, refreshSeconds: 60, fetch: counting, log: quiet });
    feeds.maybeRefresh(1_000_000);
    await feeds.refresh(); // joins the running refresh
    feeds.maybeRefresh(Date.now() + 10_000);
    expect(calls).toBe(1);
    feeds.maybeRefresh(Date.now() + 61_000);
    await feeds.refresh();
    expect(calls).toBe(2);
  });

  test("the blocklist detector matches a feed's IPs and JA4s once its copy is on disk", async () => {
    body = FEODO + JA4_LIST;
    const feedUrl = `http://127.0.0.1:${server.port}/mixed.txt`;
    const { store, settings } = fixture({ blocklists: [feedUrl], feedDir: dir, blocklistReloadSeconds: 1 });
    const d = createBlocklistDetector(store, settings);
    await d.feeds.refresh();
    expect(existsSync(feedPath(dir, feedUrl))).toBe(true);
    d.reload();
    d.flowStarted!(flow({ srcIp: "10.4.25.101", dstIp: "138.197.147.101", dstPort: 443 }));
    const hello: Observation = {
      kind: "tlsClientHello", meta: meta({ srcIp: "10.4.25.101", dstIp: "138.197.147.101", dstPort: 443, ipProtocol: 6 }),
      msg: { version: 0x0303, supportedVersions: [], alpn: [], cipherSuites: [], extensions: [], signatureAlgorithms: [], ja4: "t12d190600_d83cc789557e_2dae41c691ec" },
    };
    d.observe!(hello);
    const rows = store.list().map((t) => `${t.sourceIp} ${t.evidence.indicator} ${t.evidence.matchedBy}`).sort();
    expect(rows).toEqual(["10.4.25.101 138.197.147.101 IP", "10.4.25.101 t12d190600_d83cc789557e_2dae41c691ec TLS fingerprint (JA4)"]);
    expect(store.list().find((t) => t.evidence.matchedBy === "TLS fingerprint (JA4)")!.evidence.listLabel).toBe("emotet loader");
    body = FEODO;
  });
});
