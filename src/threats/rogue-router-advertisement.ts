/**
 * IPv6 router-advertisement attacks: RAs with router lifetime 0 that remove the gateway
 * (THC kill_router6) sent in a known router's name, a router address advertised from a second MAC,
 * and a second router offering itself as default router once one is established (a rogue RA, as
 * dnsmasq --enable-ra or fake_router6 on an attacker's box; like rogue DHCP, the first is the real one).
 */
import type { Observation } from "../engine/events.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { BoundedMap, type TrackedAnalyzer } from "./util.ts";

const RA = 134;

export function createRogueRouterAdvertisementDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  /** Router link-local address -> the MAC that advertised it first. */
  const routers = new BoundedMap<string, string>(s.maxTrackedKeys);
  /** Lifetime-0 RAs for addresses no router has advertised yet. */
  const withdrawals = new BoundedMap<string, { mac: string; ts: number }>(s.maxTrackedKeys);
  /** The first MAC that offered itself as default router (lifetime > 0), per VLAN. */
  const defaultRouter = new Map<number, { mac: string; ip: string; last: number }>();

  const raise = (ip: string, mac: string, ts: number, why: string, severity: "high",
    evidence: Record<string, string | number | boolean>): void => {
    store.raise({
      type: "rogue_router_advertisement",
      severity,
      title: `Suspicious IPv6 router advertisement for ${ip}`,
      description: `${mac} sent a router advertisement as ${ip}: ${why}.`,
      ts,
      sourceIp: ip,
      sourceMac: mac,
      key: `rogue_router_advertisement|${mac}|${ip}`,
      evidence: { ...evidence, reason: why },
    });
  };

  return {
    name: "threats.rogue-router-advertisement",
    tracked: () => routers.size + withdrawals.size,
    wants: ["ndp"],
    observe(o: Observation): void {
      if (o.kind !== "ndp" || o.msg.type !== RA || !o.meta.srcIp) return;
      const mac = (o.msg.sourceLinkAddress ?? o.meta.srcMac ?? "").toLowerCase();
      const ip = o.meta.srcIp;
      const frameMac = (o.meta.srcMac ?? mac).toLowerCase();
      const known = routers.get(ip);
      if (o.msg.routerLifetime !== 0) {
        if (known === undefined) routers.set(ip, frameMac);
        const first = defaultRouter.get(o.meta.vlan);
        if (!first || (o.meta.ts - first.last > s.arpBindingSeconds && first.mac !== frameMac)) {
          defaultRouter.set(o.meta.vlan, { mac: frameMac, ip, last: o.meta.ts });
        } else if (first.mac === frameMac) first.last = o.meta.ts;
        else if (known === undefined && !s.gatewayIps.includes(ip)) {
          raise(ip, frameMac, o.meta.ts, `a second router offers itself as default router; ${first.ip} (${first.mac}) is the established one`,
            "high", { routerMac: first.mac, routerIp: first.ip, advertisedBy: frameMac, routerLifetime: o.msg.routerLifetime ?? -1 });
        }
        // A lifetime-0 RA seen before the real router spoke is judged now that the owner is known.
        const zero = withdrawals.get(ip);
        if (zero && zero.mac !== frameMac) {
          raise(ip, zero.mac, zero.ts, `router lifetime 0 sent in the name of ${ip}, which ${frameMac} advertises`,
            "high", { routerLifetime: 0, routerMac: frameMac, advertisedBy: zero.mac });
        }
        withdrawals.delete(ip);
      } else if (known === undefined) {
        // Thread border routers legitimately send lifetime 0 for their own address; wait for an owner.
        withdrawals.set(ip, { mac: frameMac, ts: o.meta.ts });
      }
      if (known !== undefined && known !== frameMac) {
        raise(ip, frameMac, o.meta.ts, o.msg.routerLifetime === 0
          ? `router lifetime 0 tells every host to drop the router ${ip}, advertised by ${known}`
          : `the router ${ip} is already advertised by ${known}`, "high",
          { routerMac: known, advertisedBy: frameMac, routerLifetime: o.msg.routerLifetime ?? -1 });
      }
      if (mac && frameMac && mac !== frameMac) {
        raise(ip, frameMac, o.meta.ts, `its source link-layer option says ${mac}`, "high",
          { optionMac: mac, advertisedBy: frameMac });
      }
    },
  };
}
