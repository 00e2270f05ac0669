/**
 * `serve` keeps threat-intel feeds beside its database (so the last good copy outlives a restart,
 * also under systemd's PrivateTmp) and matches the feed's entries against the traffic.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve, stopServe, waitFor } from "./hardening/helpers.ts";

const work = mkdtempSync(path.join(tmpdir(), "ni-feed-serve-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("a feed URL is downloaded into feeds/ beside the database and its addresses raise blocklist threats", async () => {
  // The sample's laptop talks HTTPS to 10.213.9.12 (www.netflix.com in the capture).
  const feed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("# test feed\n10.213.9.12\n") });
  const db = path.join(work, "history", "n.db");
  const s = await serve(["--read", "samples/home-lab.pcap", "--loop", "--speed", "4", "--database", db, "--blocklist", `http://127.0.0.1:${feed.port}/ips.txt`]);
  try {
    const feeds = path.join(work, "history", "feeds");
    const cached = await waitFor(() => (existsSync(feeds) && readdirSync(feeds).length > 0 ? readdirSync(feeds) : null), 30_000, "the feed in feeds/");
    expect(readFileSync(path.join(feeds, cached[0]), "utf8")).toContain("10.213.9.12");
    // The file replays in a loop, so a pass after the download meets the list whatever the timing.
    const threats = await waitFor(async () => {
      const list = (await s.api("/api/threats?limit=100")).body.threats as { type: string; targetIp: string | null; sourceIp: string | null }[];
      const hit = list.filter((t) => t.type === "blocklist");
      return hit.length > 0 ? hit : null;
    }, 45_000, "a blocklist threat");
    expect(threats.some((t) => t.targetIp === "10.213.9.12" || t.sourceIp === "10.213.9.12")).toBe(true);
  } finally {
    await stopServe(s);
    feed.stop(true);
  }
}, 90_000);
