/** One tracked device: the public `Device` plus the indexes the tracker keeps beside it. */
import { classify, CONFLICT_SIGNAL_PREFIX, conflictText } from "./classify.ts";
import type { FlowLabelColumns } from "../flows/labels.ts";
import type { Device, Evidence } from "./model.ts";
import { isLocallyAdministered, lookupVendor } from "./oui/lookup.ts";

/** Evidence entries kept per device; the least recently seen entry goes first. */
export const MAX_EVIDENCE_PER_DEVICE = 64;
/** Entries per signal, for signals whose values vary a lot. */
export const MAX_EVIDENCE_PER_SIGNAL: Record<string, number> = { "tls.ja4": 6, "dns.query": 8, "tls.sni": 8, "http.host": 6, "http.user_agent": 6, "tcp.syn": 4 };
export const DEFAULT_MAX_EVIDENCE_PER_SIGNAL = 12;
/** Addresses kept per device (a gateway is not given remote ones at all). */
export const MAX_IPS_PER_DEVICE = 16;
/** MACs kept per merged device. */
export const MAX_MACS_PER_DEVICE = 16;

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** "AA-BB-..." / "aabb.cc.." -> "aa:bb:cc:dd:ee:ff"; undefined when not a unicast station address. */
export function normalizeMac(mac: string | null | undefined): string | undefined {
  if (!mac) return undefined;
  if (isCanonicalMac(mac)) {
    // The capture path's own form: only the unicast / all-zero checks remain (no regex, no slices).
    const c0 = mac.charCodeAt(1);
    const low = c0 <= 57 ? c0 - 48 : c0 - 87;
    if ((low & 1) !== 0 || mac === "00:00:00:00:00:00") return undefined;
    return mac;
  }
  let m = mac;
  if (!MAC_RE.test(m)) {
    const hex = m.replace(/[^0-9a-fA-F]/g, "").toLowerCase();
    if (hex.length !== 12) return undefined;
    m = hex.match(/../g)!.join(":");
  }
  if ((parseInt(m.slice(0, 2), 16) & 0x01) !== 0 || m === "00:00:00:00:00:00") return undefined;
  return m;
}

/** "aa:bb:cc:dd:ee:ff" in lower-case hex, checked by character codes. */
function isCanonicalMac(m: string): boolean {
  if (m.length !== 17) return false;
  for (let i = 0; i < 17; i++) {
    const c = m.charCodeAt(i);
    if (i % 3 === 2) {
      if (c !== 58) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) {
      return false;
    }
  }
  return true;
}

/** "aa:bb:cc:dd:ee:ff" (the tracker's form) as the 48-bit number the flow table keeps; -1 for other text. */
export function macNumber(mac: string): number {
  if (mac.length !== 17) return -1;
  let n = 0;
  for (let i = 0; i < 17; i++) {
    const c = mac.charCodeAt(i);
    if (i % 3 === 2) {
      if (c !== 58) return -1;
      continue;
    }
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return -1;
    n = n * 16 + digit;
  }
  return n;
}

/** Whether a MAC number from the flow table is a station's (unicast, not zero; -1 is none): normalizeMac by number. */
export function isStationMac(n: number): boolean {
  return n > 0 && (Math.floor(n / 0x10000000000) & 1) === 0;
}

export function macId(mac: string): string {
  return mac.replace(/:/g, "");
}

const NO_TRAFFIC: readonly number[] = [0, 0, 0, 0, 0];
/** Evidence entries a device remembers as recently used (see DeviceState.recent). */
const RECENT_EVIDENCE = 4;

/** The last DeviceState.serial given. */
let lastSerial = 0;

export class DeviceState {
  readonly device: Device;
  /** A number for this state alone (1 and up): flows remember by it which device labeled them. */
  readonly serial = ++lastSerial;
  /** device.mac as a number (macNumber): flows compare theirs without text. */
  macNumber: number;
  /** Evidence by signal, then value: two probes with strings the caller already has, no key built per call. */
  private readonly evidenceIndex = new Map<string, Map<string, Evidence>>();
  /**
   * The last RECENT_EVIDENCE entries added or found, each still in the index: a device repeats the
   * same few (a gateway its one for every remote flow; a host its SYN, JA4 and User-Agent, whose
   * texts the decoders and synText hand over as the same strings), found by two pointer tests
   * instead of two Map probes.
   */
  private readonly recent: (Evidence | undefined)[] = [undefined, undefined, undefined, undefined];
  private recentNext = 0;
  /** Distinct non-local addresses (IPv6: /64 prefixes) this MAC carried, capped: many make a gateway. */
  readonly remoteIps = new Set<string>();
  emittedNew = false;
  /** In the change feed's pending set (changes.ts keeps it). */
  dirty = false;
  /** What flows still in progress add to the counters (packets/bytes out, packets/bytes in). */
  live: readonly number[] = NO_TRAFFIC;
  lastEmit = -Infinity;
  /** Whether the registry holds this device under its id (registry.ts keeps it). */
  registered = false;
  /** An IPv4 address (a number) the registry held as this device's at its version ownIp4Version (tracker.ts's ownsIp4). */
  ownIp4 = -1;
  ownIp4Version = -1;
  /** The whole second the device was last moved to the young end of the registry. */
  recencySecond = -1;
  /** The flow label patches naming this device as a flow's source or destination, made on first use (its id never changes). */
  #asSource: { readonly srcDeviceId: string } | undefined;
  #asDestination: { readonly dstDeviceId: string } | undefined;
  /** The id of device.id held in a flow table's labels (see labelIdIn), and those labels. */
  #labelId = 0;
  #labelsHeld: FlowLabelColumns | null = null;
  /** Neighbours in the registry's recency list (registry.ts keeps them). */
  older: DeviceState | null = null;
  newer: DeviceState | null = null;

  constructor(mac: string, ts: number, restored?: Device) {
    if (restored) {
      this.device = { ...restored, macs: [...restored.macs], ips: [...restored.ips], evidence: restored.evidence.map((e) => ({ ...e })) };
      this.macNumber = macNumber(this.device.mac);
      for (const e of this.device.evidence) this.index(e);
      this.emittedNew = true;
      return;
    }
    this.device = {
      id: macId(mac), mac, macs: [mac], ips: [], vendor: { value: null, confidence: 0 }, hostname: null,
      name: { value: null, confidence: 0 }, type: { value: "unknown", confidence: 0 }, os: { value: null, confidence: 0 },
      isRandomizedMac: isLocallyAdministered(mac), isGateway: false, firstSeen: ts, lastSeen: ts,
      packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0, flowCount: 0, evidence: [],
    };
    this.macNumber = macNumber(mac);
    this.addMac(mac, ts);
  }

  /** Adds a MAC (and its OUI evidence); returns the MAC dropped to stay within MAX_MACS_PER_DEVICE. */
  addMac(mac: string, ts: number): string | undefined {
    const d = this.device;
    let dropped: string | undefined;
    if (!d.macs.includes(mac)) {
      if (d.macs.length >= MAX_MACS_PER_DEVICE) dropped = d.macs.find((m) => m !== d.mac);
      if (dropped) d.macs.splice(d.macs.indexOf(dropped), 1);
      d.macs.push(mac);
    }
    const vendor = lookupVendor(mac);
    if (vendor) this.addEvidence("oui", vendor, ts);
    return dropped;
  }

  asSource(): { readonly srcDeviceId: string } {
    return (this.#asSource ??= { srcDeviceId: this.device.id });
  }

  asDestination(): { readonly dstDeviceId: string } {
    return (this.#asDestination ??= { dstDeviceId: this.device.id });
  }

  /** This device's id text as a label id held in `labels`: held on first use, so flows are labeled by number. */
  labelIdIn(labels: FlowLabelColumns): number {
    if (this.#labelsHeld !== labels) {
      this.releaseLabelId();
      this.#labelId = labels.hold(this.device.id);
      this.#labelsHeld = labels;
    }
    return this.#labelId;
  }

  /** Gives back the label id held (the device leaves the tracker); flows labeled with it keep their own hold. */
  releaseLabelId(): void {
    this.#labelsHeld?.unhold(this.#labelId);
    this.#labelsHeld = null;
    this.#labelId = 0;
  }

  /** Records that a MAC was just seen: it becomes the device's current MAC. */
  useMac(mac: string): void {
    this.device.mac = mac;
    this.macNumber = macNumber(mac);
    this.device.isRandomizedMac = isLocallyAdministered(mac);
  }

  touch(ts: number): void {
    if (ts > this.device.lastSeen) this.device.lastSeen = ts;
    if (ts < this.device.firstSeen) this.device.firstSeen = ts;
  }

  evidenceValue(signal: string): string | undefined {
    let best: Evidence | undefined;
    for (const e of this.device.evidence) if (e.signal === signal && (!best || e.lastSeen > best.lastSeen)) best = e;
    return best?.value;
  }

  /** Adds or refreshes evidence; returns true when it is new (labels must be recomputed). */
  addEvidence(signal: string, value: string, ts: number, lastSeen = ts): boolean {
    const recent = this.recent;
    let found: Evidence | undefined;
    for (let k = 0; k < RECENT_EVIDENCE; k++) {
      const e = recent[k];
      if (e !== undefined && e.signal === signal && e.value === value) {
        found = e;
        break;
      }
    }
    if (found === undefined) {
      found = this.evidenceIndex.get(signal)?.get(value);
      if (found !== undefined) this.remember(found);
    }
    if (found) {
      if (lastSeen > found.lastSeen) found.lastSeen = lastSeen;
      if (ts < found.firstSeen) found.firstSeen = ts;
      return false;
    }
    const list = this.device.evidence;
    const perSignal = MAX_EVIDENCE_PER_SIGNAL[signal] ?? DEFAULT_MAX_EVIDENCE_PER_SIGNAL;
    const same = list.filter((e) => e.signal === signal);
    if (same.length >= perSignal) this.dropEvidence(oldest(same)!);
    else if (list.length >= MAX_EVIDENCE_PER_DEVICE) this.dropEvidence(oldest(list.filter((e) => e.signal !== "oui")) ?? list[0]!);
    const e: Evidence = { signal, value, firstSeen: ts, lastSeen };
    list.push(e);
    this.index(e);
    this.remember(e);
    return true;
  }

  private remember(e: Evidence): void {
    this.recent[this.recentNext] = e;
    this.recentNext = (this.recentNext + 1) % RECENT_EVIDENCE;
  }

  private index(e: Evidence): void {
    let values = this.evidenceIndex.get(e.signal);
    if (!values) this.evidenceIndex.set(e.signal, (values = new Map()));
    values.set(e.value, e);
  }

  private dropEvidence(e: Evidence): void {
    const list = this.device.evidence;
    list.splice(list.indexOf(e), 1);
    this.evidenceIndex.get(e.signal)?.delete(e.value);
    for (let k = 0; k < RECENT_EVIDENCE; k++) if (this.recent[k] === e) this.recent[k] = undefined;
  }

  /** Recomputes vendor / type / OS / name / hostname from the evidence. */
  reclassify(): void {
    const d = this.device;
    const c = classify(d.evidence);
    // Conflicts are shown as evidence ("conflict.os": "Linux (ssh.banner: ...) vs Windows (dhcp.vendor_class: MSFT 5.0)").
    const current = new Map(c.conflicts.map((x) => [CONFLICT_SIGNAL_PREFIX + x.label, conflictText(x)]));
    for (const e of [...d.evidence]) {
      if (e.signal.startsWith(CONFLICT_SIGNAL_PREFIX) && current.get(e.signal) !== e.value) this.dropEvidence(e);
    }
    if (current.size > 0) {
      const ts = d.evidence.reduce((m, e) => Math.max(m, e.lastSeen), d.lastSeen);
      for (const [signal, value] of current) this.addEvidence(signal, value, ts);
    }
    d.vendor = c.vendor;
    d.type = c.type;
    d.os = c.os;
    d.name = c.name;
    d.hostname = c.hostname;
  }

  /** A copy for callers: they must not change the tracker's state. */
  snapshot(): Device {
    const d = this.device;
    return {
      ...d, macs: [...d.macs], ips: [...d.ips], vendor: { ...d.vendor }, name: { ...d.name }, type: { ...d.type }, os: { ...d.os },
      evidence: d.evidence.map((e) => ({ ...e })),
    };
  }
}

function oldest(list: Evidence[]): Evidence | undefined {
  let found: Evidence | undefined;
  for (const e of list) if (!found || e.lastSeen < found.lastSeen) found = e;
  return found;
}
