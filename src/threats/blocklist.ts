/**
 * Blocklist matches: flow endpoints against listed IPs/CIDRs, DNS / TLS SNI / HTTP Host names
 * against listed domains, TLS ClientHellos against listed JA4 fingerprints. Lists are files or
 * http(s) feed URLs from settings.blocklists (feeds are downloaded by intel-feeds.ts into a cache
 * and refreshed every feedRefreshSeconds); every list is re-read when its mtime or size changes
 * (polled from tick). No list ships with NetInsight.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import type { Analyzer, Observation } from "../engine/events.ts";
import type { FlowTable } from "../flows/table.ts";
import { type Blocklist, emptyBlocklist, matchDomain, matchIp, parseBlocklist } from "./blocklist-file.ts";
import { createFeedCache, type FeedCache, isFeedUrl } from "./intel-feeds.ts";
import { ja3 } from "./ja3.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { StartedFlowRef, type StartedFlow } from "./util.ts";

/** Files larger than this are refused (a list of a few million entries is ~50 MB). */
const MAX_LIST_BYTES = 64 * 1024 * 1024;

export interface BlocklistDetector extends Analyzer {
  /** Re-reads every configured file now; returns the number of entries loaded. */
  reload(): number;
  readonly entries: number;
  /** The feed URLs among the lists, with their cache state. */
  readonly feeds: FeedCache;
}

export function createBlocklistDetector(store: ThreatStore, s: ThreatSettings, lists = s.blocklists): BlocklistDetector {
  const feeds = createFeedCache({ urls: lists.filter(isFeedUrl), dir: s.feedDir, refreshSeconds: s.feedRefreshSeconds });
  const feedFiles = new Set(feeds.statuses.map((f) => f.path));
  const files = [...lists.filter((l) => !isFeedUrl(l)), ...feedFiles];
  let list: Blocklist = emptyBlocklist();
  let signature = "";
  let lastCheck = 0;

  const stamp = (): string => files.map((f) => {
    try {
      const st = statSync(f);
      return `${f}:${st.mtimeMs}:${st.size}`;
    } catch {
      return `${f}:missing`;
    }
  }).join("|");

  const load = (): number => {
    const next = emptyBlocklist();
    for (const f of files) {
      if (feedFiles.has(f) && !existsSync(f)) continue; // not downloaded yet
      try {
        if (statSync(f).size > MAX_LIST_BYTES) {
          console.error(`blocklist ${f}: larger than ${MAX_LIST_BYTES} bytes, skipped`);
          continue;
        }
        parseBlocklist(readFileSync(f, "utf8"), next);
      } catch (err) {
        console.error(`blocklist ${f}: ${(err as Error).message}`);
      }
    }
    list = next;
    signature = stamp();
    return list.entries;
  };

  const hit = (local: string, localMac: string | null, indicator: string, kind: string, ts: number,
    remoteIp: string | null, port: number | null, deviceId: string | null = null, label = ""): void => {
    store.raise({
      type: "blocklist",
      severity: "high",
      title: `Contact with blocklisted ${kind} ${indicator}`,
      description: `${local} contacted ${indicator}${remoteIp && remoteIp !== indicator ? ` (${remoteIp})` : ""}, ` +
        `which is on a configured blocklist (${kind}).`,
      ts,
      sourceIp: local,
      sourceMac: localMac,
      targetIp: remoteIp,
      targetPort: port,
      deviceId,
      key: `blocklist|${local}|${indicator}`,
      evidence: { indicator, matchedBy: kind, ...(label ? { listLabel: label } : {}) },
    });
  };

  if (files.length > 0) load();
  feeds.maybeRefresh();

  /** The flow of the current numeric flowStarted call. */
  const started = new StartedFlowRef();
  const flowStarted = (f: StartedFlow): void => {
    if (list.ips.size === 0 && list.cidrs.size === 0) return;
    if (matchIp(list, f.dstIp)) hit(f.srcIp, f.srcMac, f.dstIp, "IP", f.startTime, f.dstIp, f.dstPort, f.srcDeviceId);
    else if (matchIp(list, f.srcIp)) hit(f.dstIp, f.dstMac, f.srcIp, "IP (inbound)", f.startTime, f.srcIp, f.dstPort, f.dstDeviceId);
  };

  const detector: BlocklistDetector = {
    name: "threats.blocklist",
    wants: ["dns", "tlsClientHello", "quicClientHello", "http"],
    get entries() {
      return list.entries;
    },
    reload: load,
    feeds,
    flowStartedAt(table: FlowTable, index: number): void {
      flowStarted(started.at(table, index));
    },
    flowStarted,
    observe(o: Observation): void {
      // Before the packet's addresses are read (reading names them): an empty list matches nothing.
      if (list.entries === 0) return;
      const m = o.meta;
      if (!m.srcIp) return;
      if ((o.kind === "tlsClientHello" || o.kind === "quicClientHello") && list.ja4.size > 0 && list.ja4.has(o.msg.ja4)) {
        hit(m.srcIp, m.srcMac, o.msg.ja4, "TLS fingerprint (JA4)", m.ts, m.dstIp, m.dstPort, null, list.ja4.get(o.msg.ja4));
      }
      if (o.kind === "tlsClientHello" && list.ja3.size > 0) {
        const fp = ja3(o.msg);
        if (list.ja3.has(fp)) hit(m.srcIp, m.srcMac, fp, "TLS fingerprint (JA3)", m.ts, m.dstIp, m.dstPort, null, list.ja3.get(fp));
      }
      if (list.domains.size === 0) return;
      let name: string | undefined;
      if (o.kind === "dns" && !o.msg.isResponse) name = o.msg.questions[0]?.name;
      else if (o.kind === "tlsClientHello" || o.kind === "quicClientHello") name = o.msg.sni;
      else if (o.kind === "http" && o.msg.isRequest) name = o.msg.host?.replace(/:\d+$/, "");
      if (!name) return;
      const listed = matchDomain(list, name);
      if (!listed) return;
      const remote = o.kind === "dns" ? null : m.dstIp;
      hit(m.srcIp as string, m.srcMac, listed, o.kind === "dns" ? "domain (DNS)" : o.kind === "http" ? "domain (HTTP)" : "domain (TLS SNI)",
        m.ts, remote, o.kind === "dns" ? null : m.dstPort);
    },
    tick(): void {
      if (files.length === 0) return;
      feeds.maybeRefresh();
      const now = Date.now();
      if (now - lastCheck < s.blocklistReloadSeconds * 1000) return;
      lastCheck = now;
      if (stamp() !== signature) load();
    },
  };
  if (files.length > 0) return detector;
  // No list configured, none can appear (the files are fixed at start): no hook at all, so the
  // engine neither decodes observations nor makes flow records for this detector.
  return { name: detector.name, wants: [], entries: 0, reload: load, feeds };
}
