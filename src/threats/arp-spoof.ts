/**
 * ARP spoofing / poisoning: an IP -> MAC binding that changes while the established owner is still
 * around, unsolicited replies claiming the gateway, and one MAC claiming many IPs.
 */
import type { Analyzer, Observation } from "../engine/events.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { addCapped, BoundedMap } from "./util.ts";

/** An ARP request for an IP makes the replies within this many seconds solicited. */
const SOLICIT_SECONDS = 5;
const MAX_IPS_PER_MAC = 256;
const SAMPLE = 10;

interface Binding {
  mac: string;
  since: number;
  last: number;
  /** Times the binding moved between MACs while the previous owner was established. */
  flips: number;
  previousMac: string | null;
}

interface MacClaims {
  start: number;
  ips: Set<string>;
}

export function createArpSpoofDetector(store: ThreatStore, s: ThreatSettings): Analyzer {
  const bindings = new BoundedMap<string, Binding>(s.maxTrackedKeys);
  const claims = new BoundedMap<string, MacClaims>(s.maxTrackedKeys);
  const asked = new BoundedMap<string, number>(s.maxTrackedKeys); // target ip -> last who-has ts
  const gateways = new Set(s.gatewayIps);

  const raise = (ip: string, mac: string, b: Binding, ts: number, unsolicited: boolean, why: string): void => {
    const gateway = gateways.has(ip);
    store.raise({
      type: "arp_spoofing",
      severity: gateway ? "critical" : "high",
      title: gateway ? `ARP spoofing of the gateway ${ip}` : `ARP spoofing of ${ip}`,
      description: `${mac} claims ${ip}, which belongs to ${b.previousMac ?? b.mac} (${why}).`,
      ts,
      sourceMac: mac,
      sourceIp: null,
      targetIp: ip,
      key: `arp_spoofing|${mac}|${ip}`,
      evidence: { ip, claimedBy: mac, establishedMac: b.previousMac ?? b.mac, flips: b.flips, unsolicited, gateway, reason: why },
    });
  };

  const onClaim = (ip: string, mac: string, ts: number, isReply: boolean): void => {
    if (ip === "0.0.0.0") return;
    const unsolicited = isReply && ts - (asked.get(ip) ?? -Infinity) > SOLICIT_SECONDS;
    const b = bindings.get(ip);
    if (!b) {
      bindings.set(ip, { mac, since: ts, last: ts, flips: 0, previousMac: null });
    } else if (b.mac === mac) {
      b.last = ts;
    } else {
      const established = ts - b.last <= s.arpBindingSeconds;
      const old = b.mac;
      b.previousMac = old;
      b.mac = mac;
      b.since = ts;
      b.last = ts;
      if (established) {
        b.flips++;
        // One change can be a re-assigned address; a gateway taken over unasked, or a binding
        // flapping back and forth (the owner answering between poisoned replies), is an attack.
        if (gateways.has(ip) && unsolicited) raise(ip, mac, b, ts, unsolicited, "unsolicited reply for the gateway");
        else if (b.flips >= 2) raise(ip, mac, b, ts, unsolicited, `binding changed ${b.flips} times`);
      } else {
        b.flips = 0;
      }
    }
    if (!isReply) return;
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
    name: "threats.arp-spoof",
    wants: ["arp", "dhcp"],
    observe(o: Observation): void {
      if (o.kind === "dhcp") {
        // The router option of a DHCP ACK names the gateway to protect.
        if (o.msg.op === 2 && o.msg.messageType === 5) for (const r of o.msg.router ?? []) gateways.add(r);
        return;
      }
      if (o.kind !== "arp") return;
      const m = o.msg;
      if (m.op === 1 && !m.gratuitous) asked.set(m.targetIp, o.meta.ts);
      onClaim(m.senderIp, m.senderMac.toLowerCase(), o.meta.ts, m.op === 2 || m.gratuitous);
    },
    tick(now: number): void {
      bindings.sweep((b) => now - b.last > s.arpBindingSeconds);
      claims.sweep((c) => now - c.start > s.arpWindowSeconds);
      asked.sweep((t) => now - t > SOLICIT_SECONDS);
    },
  };
}
