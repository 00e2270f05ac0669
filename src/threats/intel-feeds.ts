/**
 * Threat-intel feeds: blocklists given as http(s) URLs (abuse.ch Feodo / SSLBL / URLhaus lists,
 * any plain IP, domain, JA4 or JA3 list) are downloaded into a cache directory on disk and refreshed
 * on a schedule; the blocklist detector reads the cached copy like a list file. A failed or
 * implausible download (an error status, an HTML page, no entries, too big) keeps the last good copy.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseBlocklist } from "./blocklist-file.ts";

/** A feed larger than this is refused (the biggest abuse.ch lists are a few MB). */
export const MAX_FEED_BYTES = 64 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 30_000;

export const isFeedUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** Where a feed's last good copy lives: one file per URL in the cache directory. */
export function feedPath(dir: string, url: string): string {
  const name = createHash("sha256").update(url).digest("hex").slice(0, 16);
  return path.join(dir, `feed-${name}.txt`);
}

/** Default cache directory when none is configured (serve passes one beside its database). */
export const DEFAULT_FEED_DIR = path.join(tmpdir(), "netinsight-feeds");

export interface FeedStatus {
  url: string;
  path: string;
  /** Wall-clock ms of the last successful download, or of the cached copy found on disk; 0: none. */
  updated: number;
  entries: number;
  /** Why the last attempt failed (the last good copy is still used), or null. */
  error: string | null;
}

export interface FeedCache {
  readonly statuses: FeedStatus[];
  /** Downloads every feed now (concurrently); never throws. */
  refresh(): Promise<FeedStatus[]>;
  /** Starts a refresh when `refreshSeconds` have passed since the last one (wall clock); returns at once. */
  maybeRefresh(now?: number): void;
}

export function createFeedCache(opts: {
  urls: string[];
  dir?: string;
  refreshSeconds: number;
  fetch?: typeof fetch;
  log?: (msg: string) => void;
}): FeedCache {
  const dir = opts.dir ?? DEFAULT_FEED_DIR;
  const get = opts.fetch ?? fetch;
  const log = opts.log ?? ((m: string) => console.error(m));
  const statuses: FeedStatus[] = opts.urls.map((url) => {
    const p = feedPath(dir, url);
    return { url, path: p, updated: existsSync(p) ? statSync(p).mtimeMs : 0, entries: 0, error: null };
  });
  let lastRun = 0;
  let running: Promise<FeedStatus[]> | null = null;

  const one = async (st: FeedStatus): Promise<void> => {
    try {
      const res = await get(st.url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS), redirect: "follow" });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const declared = Number(res.headers.get("content-length") ?? 0);
      if (declared > MAX_FEED_BYTES) throw new Error(`larger than ${MAX_FEED_BYTES} bytes`);
      const text = await res.text();
      if (text.length > MAX_FEED_BYTES) throw new Error(`larger than ${MAX_FEED_BYTES} bytes`);
      if (/^\s*<(!doctype|html)/i.test(text)) throw new Error("an HTML page, not a list");
      const entries = parseBlocklist(text).entries;
      if (entries === 0) throw new Error("no IP, CIDR, domain or fingerprint entries");
      mkdirSync(dir, { recursive: true });
      const tmp = `${st.path}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, st.path); // readers see the old copy or the new one, never half of one
      st.updated = Date.now();
      st.entries = entries;
      st.error = null;
    } catch (err) {
      st.error = (err as Error).message;
      log(`feed ${st.url}: ${st.error}; ${st.updated ? "keeping the last good copy" : "no copy yet"}`);
    }
  };

  const refresh = (): Promise<FeedStatus[]> => {
    if (running) return running;
    lastRun = Date.now();
    running = Promise.all(statuses.map(one)).then(() => {
      running = null;
      return statuses;
    });
    return running;
  };

  return {
    statuses,
    refresh,
    maybeRefresh(now = Date.now()): void {
      if (statuses.length === 0 || running || now - lastRun < opts.refreshSeconds * 1000) return;
      void refresh();
    },
  };
}
