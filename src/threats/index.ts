/**
 * Threat detection wiring: one ThreatStore and one Analyzer per detector, on by default, plus a
 * last analyzer whose tick flushes the store's coalesced "updated" events.
 */
import type { Analyzer } from "../engine/events.ts";
import { createArpSpoofingDetector } from "./arp-spoofing.ts";
import { createBeaconingDetector } from "./beaconing.ts";
import { createBlocklistDetector } from "./blocklist.ts";
import { createBruteForceDetector } from "./brute-force.ts";
import { createCleartextCredentialsDetector } from "./cleartext-credentials.ts";
import { createDgaDetector } from "./dga.ts";
import { createDhcpStarvationDetector } from "./dhcp-starvation.ts";
import { createDnsTunnelingDetector } from "./dns-tunneling.ts";
import { createHostSweepDetector } from "./host-sweep.ts";
import { createHttpAttackDetector } from "./http-attack.ts";
import { createHttpMalwareDetector } from "./http-malware.ts";
import { createIcmpFloodDetector } from "./icmp-flood.ts";
import { createPortScanDetector } from "./port-scan.ts";
import { createRogueDhcpDetector } from "./rogue-dhcp.ts";
import { createRogueRouterAdvertisementDetector } from "./rogue-router-advertisement.ts";
import { resolveThreatSettings, type ThreatSettings } from "./settings.ts";
import { ThreatStore } from "./store.ts";
import { createSlowScanDetector } from "./slow-scan.ts";
import { createSshGuessingDetector } from "./ssh-guessing.ts";
import { createSynFloodDetector } from "./syn-flood.ts";
import { createHeartbleedDetector } from "./heartbleed.ts";
import { createUdpFloodDetector } from "./udp-flood.ts";
import { createZerologonDetector } from "./zerologon.ts";

export type { Severity, Threat } from "./model.ts";
export { newDeviceThreat } from "./new-device.ts";
export { resolveThreatSettings, ThreatSettingsSchema, type ThreatSettings } from "./settings.ts";
export { ThreatStore, threatKey, type SuppressionRule, type ThreatEvent, type ThreatInput } from "./store.ts";

export const DETECTORS = {
  portScan: createPortScanDetector,
  slowScan: createSlowScanDetector,
  hostSweep: createHostSweepDetector,
  synFlood: createSynFloodDetector,
  icmpFlood: createIcmpFloodDetector,
  udpFlood: createUdpFloodDetector,
  bruteForce: createBruteForceDetector,
  sshGuessing: createSshGuessingDetector,
  arpSpoofing: createArpSpoofingDetector,
  rogueDhcp: createRogueDhcpDetector,
  dhcpStarvation: createDhcpStarvationDetector,
  rogueRouterAdvertisement: createRogueRouterAdvertisementDetector,
  dnsTunneling: createDnsTunnelingDetector,
  dga: createDgaDetector,
  beaconing: createBeaconingDetector,
  cleartextCredentials: createCleartextCredentialsDetector,
  blocklist: createBlocklistDetector,
  httpAttack: createHttpAttackDetector,
  httpMalware: createHttpMalwareDetector,
  zerologon: createZerologonDetector,
  heartbleed: createHeartbleedDetector,
} as const;

export type DetectorName = keyof typeof DETECTORS;

export interface ThreatDetectorOptions {
  store?: ThreatStore;
  settings?: Partial<ThreatSettings>;
  /** Blocklist files (added to settings.blocklists). */
  blocklists?: string[];
  /** Detectors to leave out (all are on by default). */
  disable?: DetectorName[];
}

export function createThreatDetectors(opts: ThreatDetectorOptions = {}): {
  store: ThreatStore;
  settings: ThreatSettings;
  analyzers: Analyzer[];
} {
  const settings = resolveThreatSettings({
    ...opts.settings,
    blocklists: [...(opts.settings?.blocklists ?? []), ...(opts.blocklists ?? [])],
  });
  const store = opts.store ?? new ThreatStore();
  const off = new Set(opts.disable ?? []);
  const analyzers: Analyzer[] = [];
  for (const [name, make] of Object.entries(DETECTORS) as [DetectorName, (typeof DETECTORS)[DetectorName]][]) {
    if (!off.has(name)) analyzers.push(make(store, settings));
  }
  // At the end of a capture no tick follows the last packets: report what grew since the last one.
  let finalTickDone = false;
  const detectors = [...analyzers];
  analyzers.push({
    name: "threats.flush",
    tick: () => {
      finalTickDone = false;
      store.flush();
    },
    flowEndedAt: (flows, index, reason) => {
      if (reason !== "shutdown" || finalTickDone) return;
      finalTickDone = true;
      for (const a of detectors) a.tick?.(flows.lastSeenOf(index));
      store.flush();
    },
  });
  return { store, settings, analyzers };
}
