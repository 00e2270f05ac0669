/**
 * Rogue DHCP server: OFFER/ACK from a server other than the configured (settings.dhcpServers) or
 * learned legitimate one. With nothing configured, the first server seen answering is trusted.
 */
import type { Observation } from "../engine/events.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import type { TrackedAnalyzer } from "./util.ts";

const OFFER = 2;
const ACK = 5;
/** Servers remembered at most (learned + rogue); a LAN has one or two. */
const MAX_SERVERS = 64;

export function createRogueDhcpDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  const legitimate = new Set(s.dhcpServers);
  const learned = legitimate.size === 0;
  const rogues = new Set<string>();

  return {
    name: "threats.rogue-dhcp",
    tracked: () => legitimate.size + rogues.size,
    wants: ["dhcp"],
    observe(o: Observation): void {
      if (o.kind !== "dhcp" || o.msg.op !== 2) return;
      if (o.msg.messageType !== OFFER && o.msg.messageType !== ACK) return;
      // Option 54 names the server; relayed answers come from the relay, so prefer it over the IP source.
      const server = o.msg.serverId ?? o.meta.srcIp;
      if (!server || server === "0.0.0.0") return;
      if (legitimate.size === 0 && learned) {
        legitimate.add(server);
        return;
      }
      if (legitimate.has(server)) return;
      if (rogues.size < MAX_SERVERS) rogues.add(server);
      store.raise({
        type: "rogue_dhcp",
        severity: "high",
        title: `Rogue DHCP server ${server}`,
        description: `${server} (${o.meta.srcMac ?? "unknown MAC"}) sent a DHCP ${o.msg.messageType === OFFER ? "OFFER" : "ACK"} ` +
          `offering ${o.msg.yourIp} to ${o.msg.clientMac}; the legitimate server is ${[...legitimate].join(", ")}.`,
        ts: o.meta.ts,
        sourceIp: server,
        sourceMac: o.meta.srcMac,
        targetIp: o.msg.yourIp !== "0.0.0.0" ? o.msg.yourIp : null,
        key: `rogue_dhcp|${server}`,
        evidence: {
          server,
          legitimateServers: [...legitimate],
          offeredIp: o.msg.yourIp,
          client: o.msg.clientMac,
          router: o.msg.router ?? [],
          dnsServers: o.msg.dnsServers ?? [],
          configured: !learned,
        },
      });
    },
  };
}
