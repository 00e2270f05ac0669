/**
 * Evidence from one observation: the (signal, value) pairs it says about its sender, handed to a
 * sink as they are found (no list of pairs per observation). DNS, SNI and HTTP Host names are kept
 * only when a rule reads them (a device asks for thousands of names; only the telling ones are evidence).
 */
import type { DhcpMessage, DnsMessage, NetbiosMessage, SsdpMessage } from "../decode/types.ts";
import type { Observation } from "../engine/events.ts";
import { NAME_INDEX, NameIndex } from "./name-index.ts";
import { anyRuleMatches } from "./rules.ts";
import { synValue } from "./rules/p0f.ts";

export type Signal = [signal: string, value: string];

/** Takes the signals of an observation, in order. */
export interface SignalSink {
  add(signal: string, value: string): void;
}

/** Longest evidence value kept (User-Agents can be long; names never need more). */
const MAX_VALUE_LENGTH = 160;
/** mDNS records read per message (a response can be large). */
const MAX_MDNS_RECORDS = 64;
/** TXT keys that name a model, and those that name the device for people. */
const MODEL_KEYS = new Set(["md", "am", "model", "rpmd", "ty", "usb_mdl", "product"]);
const FRIENDLY_KEYS = new Set(["fn", "n"]);
/** Instance names made for machines, not people ("iTunes_Ctrl_4ABB39A41EEFDEB3", "[74:da:38:80:7a:08]"). */
const MACHINE_INSTANCE = /^_|_Ctrl_|[0-9A-F]{12,}|^\[?([0-9a-f]{2}[:-]){5}[0-9a-f]{2}\]?$/i;
/** NetBIOS suffixes of a machine's own unique names (workstation, file server). */
const NETBIOS_HOST_SUFFIXES = new Set([0x00, 0x20]);
/** Group names every Windows box registers; they name no machine. */
const NETBIOS_GROUPS = /^(WORKGROUP|MSHOME|HOME|__MSBROWSE__)$/i;

function clean(value: string): string {
  if (isClean(value)) return value;
  const v = value.replace(/[\u0000-\u001f\u007f]/g, " ").trim();
  return v.length > MAX_VALUE_LENGTH ? v.slice(0, MAX_VALUE_LENGTH) : v;
}

/**
 * True when `clean` would return the value unchanged: short, printable ASCII, no space at either
 * end (User-Agents and JA4 strings come once per request; one char scan instead of a regex and a copy).
 */
function isClean(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > MAX_VALUE_LENGTH || value.charCodeAt(0) === 32 || value.charCodeAt(n - 1) === 32) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 32 || c >= 127) return false;
  }
  return true;
}

function push(out: SignalSink, signal: string, value: string | undefined): void {
  if (value === undefined) return;
  const v = clean(value);
  if (v) out.add(signal, v);
}

/** "name." -> "name" (a DNS name's root dot), by one character test instead of a regex per name. */
function withoutFinalDot(name: string): string {
  return name.charCodeAt(name.length - 1) === 46 ? name.slice(0, -1) : name;
}

/** Names kept per signal, remembered by the name as written (null: no rule reads it); starts over past the cap. */
const MAX_CACHED_NAMES = 4096;

/** One name signal: its rules' index of endings and its memo (passed by the caller: no lookup by signal per name). */
interface NameSignal { readonly signal: string; readonly index: NameIndex; readonly names: Map<string, string | null> }
function nameSignal(signal: string): NameSignal {
  return { signal, index: NAME_INDEX.get(signal) ?? new NameIndex([]), names: new Map() };
}
const DNS_NAMES = nameSignal("dns.query");
const HOST_NAMES = nameSignal("http.host");
const SNI_NAMES = nameSignal("tls.sni");

function pushName(out: SignalSink, ns: NameSignal, name: string | undefined): void {
  if (!name) return;
  // Most names end where no rule looks (a clean name is its own value but for case and a final dot):
  // answered without the memo, the rule scan or a lower-case copy.
  if (isClean(name) && !ns.index.mayMatch(name)) return;
  // Devices ask for the same names over and over: the rule scan runs once per name.
  const names = ns.names;
  let v = names.get(name);
  if (v === undefined) {
    const lower = withoutFinalDot(clean(name).toLowerCase());
    v = lower && anyRuleMatches(ns.signal, lower) ? lower : null;
    if (names.size >= MAX_CACHED_NAMES) names.clear();
    names.set(name, v);
  }
  if (v !== null) out.add(ns.signal, v);
}

function dhcpSignals(msg: DhcpMessage, out: SignalSink): void {
  if (msg.op !== 1) return;
  push(out, "dhcp.hostname", msg.hostname);
  push(out, "dhcp.fqdn", msg.fqdn);
  push(out, "dhcp.vendor_class", msg.vendorClass);
  push(out, "dhcp.client_id", msg.clientId);
  if (msg.parameterList && msg.parameterList.length > 0) push(out, "dhcp.fingerprint", msg.parameterList.join(","));
}

/** The service type of a DNS-SD name: "Kitchen._googlecast._tcp.local" -> "_googlecast._tcp". */
function serviceType(name: string): string | undefined {
  const m = /(?:^|\.)(_[\w-]+\._(?:tcp|udp))\.local\.?$/i.exec(name);
  return m ? m[1]!.toLowerCase() : undefined;
}

function mdnsSignals(msg: DnsMessage, out: SignalSink): void {
  if (!msg.isResponse) return;
  const records = [...msg.answers, ...msg.additionals].slice(0, MAX_MDNS_RECORDS);
  for (const r of records) {
    if ((r.type === 1 || r.type === 28) && /\.local\.?$/i.test(r.name)) push(out, "mdns.hostname", r.name.replace(/\.local\.?$/i, ""));
    else if (r.type === 12) {
      if (/^_services\._dns-sd\._udp\.local/i.test(r.name)) push(out, "mdns.service", serviceType(r.data));
      else if (serviceType(r.name)) {
        push(out, "mdns.service", serviceType(r.name));
        const instance = r.data.slice(0, r.data.length - r.name.length).replace(/\.$/, "");
        const label = instance.replace(/@.*$/, "").trim();
        if (label && !MACHINE_INSTANCE.test(label)) push(out, "mdns.instance", label);
      }
    } else if (r.type === 33) push(out, "mdns.service", serviceType(r.name));
    else if (r.type === 16 && r.txt) {
      for (const entry of r.txt) {
        const eq = entry.indexOf("=");
        if (eq <= 0) continue;
        const key = entry.slice(0, eq).toLowerCase();
        if (MODEL_KEYS.has(key)) push(out, "mdns.model", entry.slice(eq + 1));
        else if (FRIENDLY_KEYS.has(key) && serviceType(r.name)) push(out, "mdns.friendly_name", entry.slice(eq + 1));
      }
    }
  }
}

function llmnrSignals(msg: DnsMessage, srcIp: string | null, out: SignalSink): void {
  if (!msg.isResponse) return;
  for (const r of msg.answers) if ((r.type === 1 || r.type === 28) && (!srcIp || r.data === srcIp)) push(out, "llmnr.name", r.name);
}

function netbiosSignals(msg: NetbiosMessage, srcIp: string | null, out: SignalSink): void {
  const own = (!msg.isResponse && (msg.opcode === 5 || msg.opcode === 8)) ||
    (msg.isResponse && msg.opcode === 0 && srcIp !== null && msg.addresses.includes(srcIp));
  if (!own) return;
  for (const n of msg.names) {
    if (NETBIOS_HOST_SUFFIXES.has(n.suffix) && !NETBIOS_GROUPS.test(n.name.trim()) && n.name.trim() !== "*") push(out, "netbios.name", n.name);
  }
}

function ssdpSignals(msg: SsdpMessage, out: SignalSink): void {
  const h = msg.headers;
  if (msg.method === "M-SEARCH") push(out, "ssdp.user_agent", h["user-agent"]);
  else {
    push(out, "ssdp.server", h["server"]);
    push(out, "ssdp.nt", msg.method === "NOTIFY" ? h["nt"] : h["st"]);
  }
}

/** Evidence an observation gives about its sender (for DHCP: about the client in chaddr), handed to `out` in order. */
export function signalsOf(o: Observation, out: SignalSink): void {
  switch (o.kind) {
    case "dhcp": return dhcpSignals(o.msg, out);
    case "dhcpv6": {
      const m = o.msg;
      push(out, "dhcpv6.duid", m.clientId);
      push(out, "dhcpv6.fqdn", m.fqdn);
      if (m.vendorClass) {
        push(out, "dhcpv6.enterprise", String(m.vendorClass.enterprise));
        push(out, "dhcpv6.vendor_class", m.vendorClass.data.join(" "));
      }
      if (m.enterpriseNumber !== undefined) push(out, "dhcpv6.enterprise", String(m.enterpriseNumber));
      if (m.optionRequest?.length) push(out, "dhcpv6.fingerprint", m.optionRequest.join(","));
      return;
    }
    case "mdns": return mdnsSignals(o.msg, out);
    case "llmnr": return llmnrSignals(o.msg, o.meta.srcIp, out);
    case "netbios": return netbiosSignals(o.msg, o.meta.srcIp, out);
    case "ssdp": return ssdpSignals(o.msg, out);
    case "dns":
      if (!o.msg.isResponse) for (const q of o.msg.questions) pushName(out, DNS_NAMES, q.name);
      return;
    case "http":
      if (!o.msg.isRequest) return;
      push(out, "http.user_agent", o.msg.userAgent);
      pushName(out, HOST_NAMES, withoutPort(o.msg.host));
      return;
    case "tlsClientHello":
    case "quicClientHello":
      pushName(out, SNI_NAMES, o.msg.sni);
      push(out, "tls.ja4", o.msg.ja4);
      return;
    case "tcpSyn": {
      const m = o.msg;
      if (!m.isSynAck) out.add("tcp.syn", synText(m.initialTtl, m.window, m.windowScale, m.optionLayout, m.mss));
      return;
    }
    case "sshBanner":
      push(out, "ssh.banner", o.msg.banner);
      return;
  }
}

/** "host:8080" -> "host" (a Host header's port); the text itself when it names none (no regex per request). */
function withoutPort(host: string | undefined): string | undefined {
  return host !== undefined && host.includes(":") ? host.replace(/:\d+$/, "") : host;
}

/** The last SYN value made per option layout: a device's SYNs repeat theirs, so its text is made once, not per SYN. */
interface SynMemo { ttl: number; window: number; scale: number | undefined; mss: number | undefined; value: string }
const MAX_SYN_LAYOUTS = 256;
const synMemos = new Map<string, SynMemo>();

function synText(ttl: number, window: number, scale: number | undefined, layout: string, mss: number | undefined): string {
  const m = synMemos.get(layout);
  if (m !== undefined && m.ttl === ttl && m.window === window && m.scale === scale && m.mss === mss) return m.value;
  const value = synValue(ttl, window, scale, layout, mss);
  if (m !== undefined) {
    m.ttl = ttl; m.window = window; m.scale = scale; m.mss = mss; m.value = value;
  } else {
    if (synMemos.size >= MAX_SYN_LAYOUTS) synMemos.clear();
    synMemos.set(layout, { ttl, window, scale, mss, value });
  }
  return value;
}
