/**
 * DGA malware: bursts of NXDOMAIN answers for many distinct, random-looking names to one client
 * (a bot trying generated rendezvous domains until one resolves).
 */
import type { Observation } from "../engine/events.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import {
  type Address, addressText, BoundedMap, hashName, isLocalName, looksRandom, metaDst, registeredDomain, type TrackedAnalyzer, reportGrowth,
  firstCrossing,
} from "./util.ts";

const NXDOMAIN = 3;
const MAX_NAMES_TRACKED = 1024;
const SAMPLE = 10;

interface ClientState {
  start: number;
  last: number;
  /** Hashes of the distinct names, and the first few names themselves as evidence. */
  names: Set<number>;
  sample: string[];
  random: number;
  raised: boolean;
  dirty: boolean;
  mac: string | null;
}

/** The label a generator chose: the longest label left of the (approximate) public suffix. */
function generatedLabel(name: string): string {
  const reg = registeredDomain(name);
  const labels = name.toLowerCase().split(".");
  const own = labels.slice(0, labels.length - reg.split(".").length + 1);
  return own.reduce((a, b) => (b.length > a.length ? b : a), "");
}

export function createDgaDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  /** By client: a number for IPv4 (text only for a report). */
  const clients = new BoundedMap<Address, ClientState>(s.maxTrackedKeys);

  const raise = (clientIp: Address, c: ClientState): void => {
    const client = addressText(clientIp);
    const n = c.names.size;
    store.raise({
      type: "dga",
      severity: "high",
      title: `Possible DGA malware on ${client}`,
      description: `${client} got NXDOMAIN for ${n} distinct names within ${Math.round(c.last - c.start)} s; ` +
        `${c.random} of them look machine-generated.`,
      ts: c.last,
      sourceIp: client,
      sourceMac: c.mac,
      key: `dga|${client}`,
      evidence: {
        nxdomains: n,
        randomLooking: c.random,
        randomRatio: Math.round((c.random / n) * 100) / 100,
        threshold: s.dgaNxdomains,
        windowSeconds: s.dgaWindowSeconds,
        sampleNames: [...c.sample],
      },
    });
  };

  return {
    name: "threats.dga",
    tracked: () => clients.size,
    wants: ["dns"],
    observe(o: Observation): void {
      if (o.kind !== "dns" || !o.msg.isResponse || o.msg.rcode !== NXDOMAIN) return;
      const q = o.msg.questions[0];
      const client = metaDst(o.meta);
      if (!q || client === null || client === "" || isLocalName(q.name)) return;
      const ts = o.meta.ts;
      let c = clients.get(client);
      if (!c || ts - c.start > s.dgaWindowSeconds) {
        c = { start: ts, last: ts, names: new Set(), sample: [], random: 0, raised: false, dirty: false, mac: o.meta.dstMac };
        clients.set(client, c);
      }
      c.last = Math.max(c.last, ts);
      const name = q.name.toLowerCase();
      const h = hashName(name);
      if (c.names.has(h) || c.names.size >= MAX_NAMES_TRACKED) return;
      c.names.add(h);
      if (c.sample.length < SAMPLE) c.sample.push(name);
      if (looksRandom(generatedLabel(name))) c.random++;
      if (c.names.size < s.dgaNxdomains || c.random / c.names.size < s.dgaRandomRatio) return;
      if (firstCrossing(c)) raise(client, c);
    },
    tick(now: number): void {
      reportGrowth(clients, now, s.dgaWindowSeconds, (c, client) => raise(client, c));
    },
  };
}
