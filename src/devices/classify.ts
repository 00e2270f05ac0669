/**
 * Turns a device's evidence into vendor / type / OS / display-name labels with confidences.
 * Each rule that matches any evidence adds its weight w to each label it names (once per rule).
 * Per candidate value the weights combine as a noisy-OR, s = 1 - prod(1 - w), so independent
 * signals reinforce without passing 1. Conflicting evidence costs confidence: the reported
 * confidence is s1 * (1 - s2 / 2), with s1 the winner's and s2 the runner-up's score, and a
 * runner-up that is a real claim (CONFLICT_SCORE) caps it below one half and is reported as a conflict.
 *
 * Evidence is not all equal. An OS a device names itself (its SSH server banner, its browser's
 * User-Agent, its mDNS model) outranks configuration strings and guesses (a DHCP vendor class,
 * fingerprints, names), whatever their weights. What a device did (served DHCP, forwarded others'
 * traffic) says it is a router only when nothing says what it is: a Raspberry Pi acting as a
 * gateway stays a Raspberry Pi, and the behaviour is left to the threat detectors.
 */
import type { DeviceType, Evidence, Label } from "./model.ts";
import { RULES_BY_SIGNAL, ruleMatches, type Rule } from "./rules.ts";

/** Signals in which a device names its own OS. */
const OS_SELF_SIGNALS: ReadonlySet<string> = new Set(["ssh.banner", "http.user_agent", "mdns.model"]);
/** Signals of what a device did rather than what it is. */
const ROLE_SIGNALS: ReadonlySet<string> = new Set(["gateway", "dhcp.server"]);
/** An identity type claim this strong keeps the device's type whatever it did. */
const IDENTITY_OVER_ROLE = 0.5;
/** A disagreeing value scoring this much is a conflict: the winner's confidence stays below CONFLICT_CAP. */
const CONFLICT_SCORE = 0.5;
const CONFLICT_CAP = 0.45;
/** The evidence signal a conflict is shown under ("conflict.os"), and its text. */
export const CONFLICT_SIGNAL_PREFIX = "conflict.";
export function conflictText(c: Conflict): string {
  return `${c.chosen} (${c.chosenBy.join("; ") || "?"}) vs ${c.other} (${c.otherBy.join("; ") || "?"})`;
}
/** Evidence items named per side of a conflict. */
const CONFLICT_SOURCES = 2;

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

/** Two labels the evidence disagrees on, each with the evidence behind it (shown as `conflict.<label>` evidence). */
export interface Conflict {
  label: "os" | "type";
  chosen: string;
  chosenBy: string[];
  other: string;
  otherBy: string[];
}

export interface Classification {
  vendor: Label;
  type: Label<DeviceType>;
  os: Label;
  name: Label;
  hostname: string | null;
  conflicts: Conflict[];
}

type Scores = Map<string, number>; // value -> product of (1 - w)
type Sources = Map<string, string[]>; // value -> "signal: value" of the evidence behind it

function add(scores: Scores, value: string, w: number, sources?: Sources, e?: Evidence): void {
  scores.set(value, (scores.get(value) ?? 1) * (1 - Math.min(Math.max(w, 0), 0.99)));
  if (sources && e) {
    const list = sources.get(value) ?? [];
    const item = `${e.signal}: ${e.value}`;
    if (list.length < CONFLICT_SOURCES && !list.includes(item)) list.push(item);
    sources.set(value, list);
  }
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

const score = (scores: Scores, value: string): number => 1 - (scores.get(value) ?? 1);

/**
 * The winner comes from the first tier that has any claim; every tier's claims count toward the
 * scores (a value named in both adds up), and the strongest other value is the runner-up.
 */
function pickTiered<T extends string>(label: Conflict["label"], tiers: Scores[], sources: Sources, conflicts: Conflict[],
  minScore = 0): Label<T> {
  const first = tiers.find((t) => [...t.values()].some((rest) => 1 - rest >= minScore)) ?? tiers.find((t) => t.size > 0) ?? tiers[0]!;
  const all: Scores = new Map();
  for (const t of tiers) for (const [v, rest] of t) all.set(v, (all.get(v) ?? 1) * rest);
  let best: string | null = null;
  for (const [v] of first) if (best === null || score(first, v) > score(first, best)) best = v;
  if (best === null) return { value: null, confidence: 0 };
  const s1 = score(all, best);
  let other: string | null = null;
  for (const [v] of all) if (v !== best && (other === null || score(all, v) > score(all, other))) other = v;
  const s2 = other === null ? 0 : score(all, other);
  let confidence = round(s1 * (1 - s2 / 2));
  if (other !== null && s2 >= CONFLICT_SCORE) {
    confidence = Math.min(confidence, CONFLICT_CAP);
    conflicts.push({ label, chosen: best, chosenBy: sources.get(best) ?? [], other, otherBy: sources.get(other) ?? [] });
  }
  return { value: best as T, confidence };
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
  const role: Scores = new Map();
  const osSelf: Scores = new Map();
  const os: Scores = new Map();
  const typeBy: Sources = new Map();
  const osBy: Sources = new Map();
  const used = new Set<Rule>();
  for (const e of evidence) {
    if (e.signal === "oui") add(vendor, canonicalVendor(e.value), OUI_VENDOR_WEIGHT);
    const rules = RULES_BY_SIGNAL.get(e.signal);
    if (!rules) continue;
    for (const rule of rules) {
      if (used.has(rule) || !ruleMatches(rule, e.value)) continue;
      used.add(rule);
      if (rule.vendor) add(vendor, rule.vendor, rule.w);
      if (rule.type) add(ROLE_SIGNALS.has(e.signal) ? role : type, rule.type, rule.w, typeBy, e);
      if (rule.os) add(OS_SELF_SIGNALS.has(e.signal) ? osSelf : os, rule.os, rule.w, osBy, e);
    }
  }
  const conflicts: Conflict[] = [];
  const result: Classification = {
    vendor: pick(vendor),
    type: pickTiered<DeviceType>("type", [type, role], typeBy, conflicts, IDENTITY_OVER_ROLE),
    os: pickTiered("os", [osSelf, os], osBy, conflicts),
    name: { value: null, confidence: 0 }, hostname: null, conflicts,
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
