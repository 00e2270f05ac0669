/**
 * ARP spoofing / poisoning: an IP -> MAC binding that changes while the established owner is still
 * around, unsolicited replies claiming the gateway, and one MAC claiming many IPs.
 */
import type { Observation } from "../engine/events.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { addCapped, BoundedMap, type TrackedAnalyzer } from "./util.ts";

/** An ARP request for an IP makes the replies within this many seconds solicited. */
const SOLICIT_SECONDS = 5;
const MAX_IPS_PER_MAC = 256;
const SAMPLE = 10;

interface Binding {
  /** The established owner and when it last claimed the IP. */
  owner: string;
  ownerLast: number;
  /** The latest other MAC claiming the IP while the owner is established, and what it did. */
  claimant: string | null;
  claims: number;
  unsolicited: number;
  /** The owner claimed the IP again after the claimant did: the binding flaps. */
  flapped: boolean;
}

/** Unsolicited replies from a claimant that make a poisoning campaign (arpspoof sends one every 2 s). */
const UNSOLICITED_REPLIES = 3;

interface MacClaims {
  start: number;
  ips: Set<string>;
}

export function createArpSpoofingDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  const bindings = new BoundedMap<string, Binding>(s.maxTrackedKeys);
  const claims = new BoundedMap<string, MacClaims>(s.maxTrackedKeys);
  const asked = new BoundedMap<string, number>(s.maxTrackedKeys); // target ip -> last who-has ts
  const gateways = new Set(s.gatewayIps);

  const raise = (ip: string, b: Binding, ts: number, why: string): void => {
    const gateway = gateways.has(ip);
    const mac = b.claimant ?? "";
    store.raise({
      type: "arp_spoofing",
      severity: gateway ? "critical" : "high",
      title: gateway ? `ARP spoofing of the gateway ${ip}` : `ARP spoofing of ${ip}`,
      description: `${mac} claims ${ip}, which belongs to ${b.owner} (${why}).`,
      ts,
      sourceMac: mac,
      sourceIp: null,
      targetIp: ip,
      key: `arp_spoofing|${mac}|${ip}`,
      evidence: { ip, claimedBy: mac, establishedMac: b.owner, claims: b.claims, unsolicitedReplies: b.unsolicited,
        ownerReclaimed: b.flapped, gateway, reason: why },
    });
  };

  const onClaim = (ip: string, mac: string, ts: number, isReply: boolean, isGratuitous: boolean): void => {
    if (ip === "0.0.0.0") return;
    const b = bindings.get(ip);
    if (!b || (b.owner !== mac && ts - b.ownerLast > s.arpBindingSeconds)) {
      // First claim, or the owner left long ago: the address moved (DHCP re-assignment).
      bindings.set(ip, { owner: mac, ownerLast: ts, claimant: null, claims: 0, unsolicited: 0, flapped: false });
    } else if (b.owner === mac) {
      b.ownerLast = ts;
      if (b.claimant) b.flapped = true;
    } else {
      if (b.claimant !== mac) Object.assign(b, { claimant: mac, claims: 0, unsolicited: 0, flapped: false });
      b.claims++;
      const unsolicited = isReply && !isGratuitous && ts - (asked.get(ip) ?? -Infinity) > SOLICIT_SECONDS;
      if (unsolicited) b.unsolicited++;
      if (gateways.has(ip) && unsolicited) raise(ip, b, ts, "unsolicited reply claiming the gateway");
      else if (b.flapped && b.claims >= 2) raise(ip, b, ts, "binding flaps between the owner and another MAC");
      else if (b.unsolicited >= UNSOLICITED_REPLIES) raise(ip, b, ts, `${b.unsolicited} unsolicited replies`);
    }
    if (!isReply && !isGratuitous) return;
    let c = claims.get(mac);
    if (!c || ts - c.start > s.arpWindowSeconds) {
      c = { start: ts, ips: new Set() };
      claims.set(mac, c);
    }
    addCapped(c.ips, ip, MAX_IPS_PER_MAC);
    if (c.ips.size >= s.arpMacIps) {
      store.raise({
        type: "arp_spoofing",
        severity: "high",
        title: `${mac} claims ${c.ips.size} IP addresses`,
        description: `${mac} answered ARP for ${c.ips.size} different IPs within ${Math.round(ts - c.start)} s.`,
        ts,
        sourceMac: mac,
        key: `arp_spoofing|${mac}|many`,
        evidence: { ips: c.ips.size, threshold: s.arpMacIps, windowSeconds: s.arpWindowSeconds, sampleIps: [...c.ips].slice(0, SAMPLE) },
      });
    }
  };

  return {
    name: "threats.arp-spoofing",
    tracked: () => bindings.size + claims.size + asked.size,
    wants: ["arp", "dhcp"],
    observe(o: Observation): void {
      if (o.kind === "dhcp") {
        // The router option of a DHCP ACK names the gateway to protect.
        // Only from a configured server when there is one: a rogue server's ACK names itself.
        const trusted = s.dhcpServers.length === 0 || s.dhcpServers.includes(o.msg.serverId ?? o.meta.srcIp ?? "");
        if (o.msg.op === 2 && o.msg.messageType === 5 && trusted) for (const r of o.msg.router ?? []) gateways.add(r);
        return;
      }
      if (o.kind !== "arp") return;
      const m = o.msg;
      if (m.op === 1 && !m.gratuitous) asked.set(m.targetIp, o.meta.ts);
      onClaim(m.senderIp, m.senderMac.toLowerCase(), o.meta.ts, m.op === 2, m.gratuitous);
    },
    tick(now: number): void {
      bindings.sweep((b) => now - b.ownerLast > s.arpBindingSeconds);
      claims.sweep((c) => now - c.start > s.arpWindowSeconds);
      asked.sweep((t) => now - t > SOLICIT_SECONDS);
    },
  };
}
