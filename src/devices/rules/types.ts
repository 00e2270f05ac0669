/** The shape of one classification rule: evidence signal + pattern -> labels with a weight. */
import type { DeviceType } from "../model.ts";

export interface Rule {
  /** Evidence signal(s) the rule reads ("dhcp.vendor_class", "mdns.service", ...). */
  on: string | readonly string[];
  /** A regular expression on the evidence value, or a predicate for structured values (p0f). */
  match: RegExp | ((value: string) => boolean);
  os?: string;
  type?: DeviceType;
  vendor?: string;
  /** 0..1: how strongly one match supports each label the rule names. */
  w: number;
}

/** Signals that carry a name the device gave itself. */
export const HOSTNAME_SIGNALS = [
  "dhcp.hostname", "dhcp.fqdn", "dhcpv6.fqdn", "mdns.hostname", "netbios.name", "llmnr.name",
] as const;
/** Signals that carry a DNS name the device looked up or connected to. */
export const NAME_SIGNALS = ["dns.query", "tls.sni", "http.host"] as const;
/** Signals that carry a User-Agent / SERVER product string. */
export const AGENT_SIGNALS = ["http.user_agent", "ssdp.user_agent", "ssdp.server"] as const;
