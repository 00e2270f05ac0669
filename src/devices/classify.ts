/**
 * Turns a device's evidence into vendor / type / OS / display-name labels with confidences.
 * Each rule that matches any evidence adds its weight w to each label it names (once per rule).
 * Per candidate value the weights combine as a noisy-OR, s = 1 - prod(1 - w), so independent
 * signals reinforce without passing 1. Conflicting evidence costs confidence: the reported
 * confidence is s1 * (1 - s2 / 2), with s1 the winner's and s2 the runner-up's score.
 */
import type { DeviceType, Evidence, Label } from "./model.ts";
import { RULES_BY_SIGNAL, ruleMatches, type Rule } from "./rules.ts";

/** Weight of the OUI registry's vendor name for the vendor label. */
const OUI_VENDOR_WEIGHT = 0.9;
/** Confidence of a display name made up from vendor + type when the device never named itself. */
const SYNTHETIC_NAME_CONFIDENCE = 0.2;

/** Name sources, best first, with the confidence each gives the display name. */
const NAME_SOURCES: [signal: string, confidence: number][] = [
  ["mdns.friendly_name", 0.9], ["dhcp.hostname", 0.85], ["mdns.instance", 0.8], ["mdns.hostname", 0.8], ["netbios.name", 0.75],
  ["dhcp.fqdn", 0.7], ["dhcpv6.fqdn", 0.7], ["llmnr.name", 0.6],
];
/** Host name sources, best first (friendly names are not host names). */
const HOSTNAME_SOURCES = ["dhcp.hostname", "dhcp.fqdn", "dhcpv6.fqdn", "mdns.hostname", "netbios.name", "llmnr.name"];

/** OUI organization names that differ from the names rules use for the same company. */
const VENDOR_CANON: [RegExp, string][] = [
  [/^Raspberry Pi/i, "Raspberry Pi"], [/^Samsung/i, "Samsung"], [/hikvision/i, "Hikvision"],
  [/^Sonos/i, "Sonos"], [/^TP-LINK/i, "TP-Link"], [/^Philips Lighting|^Signify/i, "Philips"],
  [/^Sony (Interactive|Mobile|Corporation)?/i, "Sony"], [/^Amazon/i, "Amazon"], [/^Microsoft/i, "Microsoft"],
  [/^Google/i, "Google"], [/^Apple/i, "Apple"], [/^Espressif/i, "Espressif"], [/^Xiaomi/i, "Xiaomi"],
  [/^Huawei/i, "Huawei"], [/^Intel/i, "Intel"], [/^LG Electronics/i, "LG"], [/^Nintendo/i, "Nintendo"],
  [/^Ubiquiti/i, "Ubiquiti"], [/^Osram/i, "Osram"], [/^Belkin/i, "Belkin"], [/^D-Link/i, "D-Link"],
  [/^Routerboard|^MikroTik/i, "MikroTik"],
];

export function canonicalVendor(name: string): string {
  for (const [re, canon] of VENDOR_CANON) if (re.test(name)) return canon;
  return name;
}

export interface Classification {
  vendor: Label;
  type: Label<DeviceType>;
  os: Label;
  name: Label;
  hostname: string | null;
}

type Scores = Map<string, number>; // value -> product of (1 - w)

function add(scores: Scores, value: string, w: number): void {
  scores.set(value, (scores.get(value) ?? 1) * (1 - Math.min(Math.max(w, 0), 0.99)));
}

function pick<T extends string>(scores: Scores): Label<T> {
  let best: string | null = null;
  let s1 = 0;
  let s2 = 0;
  for (const [value, rest] of scores) {
    const s = 1 - rest;
    if (s > s1) { s2 = s1; s1 = s; best = value; } else if (s > s2) s2 = s;
  }
  return { value: best as T | null, confidence: best ? round(s1 * (1 - s2 / 2)) : 0 };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Strips ".local" / domain parts from a self-given name. */
export function shortHostname(name: string): string {
  const trimmed = name.trim().replace(/\.$/, "");
  const first = trimmed.replace(/\.local$/i, "");
  return first.includes(".") && !/^\d+(\.\d+){3}$/.test(first) ? first.split(".")[0]! : first;
}

function newest(evidence: readonly Evidence[], signal: string): Evidence | undefined {
  let found: Evidence | undefined;
  for (const e of evidence) if (e.signal === signal && (!found || e.lastSeen > found.lastSeen)) found = e;
  return found;
}

export function classify(evidence: readonly Evidence[]): Classification {
  const vendor: Scores = new Map();
  const type: Scores = new Map();
  const os: Scores = new Map();
  const used = new Set<Rule>();
  for (const e of evidence) {
    if (e.signal === "oui") add(vendor, canonicalVendor(e.value), OUI_VENDOR_WEIGHT);
    const rules = RULES_BY_SIGNAL.get(e.signal);
    if (!rules) continue;
    for (const rule of rules) {
      if (used.has(rule) || !ruleMatches(rule, e.value)) continue;
      used.add(rule);
      if (rule.vendor) add(vendor, rule.vendor, rule.w);
      if (rule.type) add(type, rule.type, rule.w);
      if (rule.os) add(os, rule.os, rule.w);
    }
  }
  const result: Classification = {
    vendor: pick(vendor), type: pick<DeviceType>(type), os: pick(os), name: { value: null, confidence: 0 }, hostname: null,
  };
  for (const signal of HOSTNAME_SOURCES) {
    const e = newest(evidence, signal);
    if (e) { result.hostname = shortHostname(e.value); break; }
  }
  for (const [signal, confidence] of NAME_SOURCES) {
    const e = newest(evidence, signal);
    if (e) { result.name = { value: signal.startsWith("mdns.") && signal !== "mdns.hostname" ? e.value : shortHostname(e.value), confidence }; break; }
  }
  if (!result.name.value && (result.vendor.value || result.type.value)) {
    const words = [result.vendor.value, result.type.value && result.type.value !== "unknown" ? result.type.value.replace("_", " ") : null];
    result.name = { value: words.filter(Boolean).join(" "), confidence: SYNTHETIC_NAME_CONFIDENCE };
  }
  if (!result.type.value) result.type = { value: "unknown", confidence: 0 };
  return result;
}
