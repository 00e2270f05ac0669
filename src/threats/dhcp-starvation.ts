/**
 * DHCP starvation: one sender flooding DISCOVER/REQUESTs (usually with made-up client MACs) to
 * exhaust the address pool, so a rogue server can answer the clients that are left.
 */
import type { Observation } from "../engine/events.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { addCapped, BoundedMap, type TrackedAnalyzer, firstCrossing, reportGrowth } from "./util.ts";

const DISCOVER = 1;
const REQUEST = 3;
const MAX_CLIENTS_TRACKED = 4096;

interface Sender {
  start: number;
  last: number;
  requests: number;
  clients: Set<string>;
  raised: boolean;
  dirty: boolean;
}

export function createDhcpStarvationDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  const senders = new BoundedMap<string, Sender>(s.maxTrackedKeys);

  const raise = (mac: string, st: Sender): void => {
    store.raise({
      type: "dhcp_starvation",
      severity: "high",
      title: `DHCP starvation from ${mac}`,
      description: `${mac} sent ${st.requests} DHCP requests for ${st.clients.size} client identities within ` +
        `${Math.round(st.last - st.start)} s.`,
      ts: st.last,
      sourceMac: mac,
      key: `dhcp_starvation|${mac}`,
      evidence: { requests: st.requests, clientMacs: st.clients.size, threshold: s.dhcpStarvationRequests,
        windowSeconds: s.dhcpStarvationWindowSeconds },
    });
  };

  return {
    name: "threats.dhcp-starvation",
    tracked: () => senders.size,
    wants: ["dhcp"],
    observe(o: Observation): void {
      if (o.kind !== "dhcp" || o.msg.op !== 1) return;
      if (o.msg.messageType !== DISCOVER && o.msg.messageType !== REQUEST) return;
      const mac = o.meta.srcMac ?? o.msg.clientMac;
      const ts = o.meta.ts;
      let st = senders.get(mac);
      if (!st || ts - st.start > s.dhcpStarvationWindowSeconds) {
        st = { start: ts, last: ts, requests: 0, clients: new Set(), raised: false, dirty: false };
        senders.set(mac, st);
      }
      st.last = Math.max(st.last, ts);
      st.requests++;
      addCapped(st.clients, `${o.msg.clientMac}/${o.msg.xid}`, MAX_CLIENTS_TRACKED);
      if (st.requests < s.dhcpStarvationRequests) return;
      if (firstCrossing(st)) raise(mac, st);
    },
    tick(now: number): void {
      reportGrowth(senders, now, s.dhcpStarvationWindowSeconds, (st, mac) => raise(mac, st));
    },
  };
}
