/**
 * A hostile capture for the bounded-resources test and benchmark: a SYN flood and random UDP from
 * many spoofed sources (half spoof LAN MAC + address, half arrive through the router from spoofed
 * public addresses), written with PcapWriter. Each source is used once per round of `sources`.
 */
import { join } from "node:path";
import { PcapWriter } from "../../src/capture/pcapfile.ts";
import { Rng } from "./prng.ts";

const ETH = 14, IP = 20;
const ROUTER_MAC = [0xf0, 0x9f, 0xc2, 0x11, 0x22, 0x33];
const VICTIM_MAC = [0xa4, 0x83, 0xe7, 0x0a, 0x0b, 0x0c];
const VICTIM_IP = [192, 168, 1, 10];
/** Packets per second of capture time (ticks of the detectors follow packet time). */
const RATE = 20_000;

/** A 32-bit mix (murmur3 finalizer): source k's address and MAC, stable and spread out. */
function mix(k: number): number {
  let h = Math.imul(k ^ 0x5bd1e995, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function template(udp: boolean): Uint8Array {
  const f = new Uint8Array(ETH + IP + (udp ? 8 + 16 : 20));
  f.set(VICTIM_MAC, 0);
  f[12] = 0x08;
  f[ETH] = 0x45;
  f[ETH + 3] = f.length - ETH;
  f[ETH + 8] = 64;
  f[ETH + 9] = udp ? 17 : 6;
  f.set(VICTIM_IP, ETH + 16);
  if (udp) f[ETH + IP + 5] = 8 + 16;
  else {
    f[ETH + IP + 12] = 0x50;
    f[ETH + IP + 13] = 0x02; // SYN
    f[ETH + IP + 14] = 0xff;
  }
  return f;
}

export async function writeFloodCapture(path: string, packets: number, sources: number, seed = 1): Promise<void> {
  const rng = new Rng(seed);
  const syn = template(false), udp = template(true);
  const w = new PcapWriter(path, 1);
  for (let i = 0; i < packets; i++) {
    const f = rng.chance(0.7) ? syn : udp;
    const k = i % sources;
    const h = mix(k + 1);
    const lan = (k & 1) === 0;
    if (lan) {
      f.set([0x02, (h >>> 24) & 0xfe, h >>> 16, h >>> 8, h, k & 0xff], 6); // locally administered unicast
      f.set([10, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff], ETH + 12);
    } else {
      f.set(ROUTER_MAC, 6);
      f.set([1 + ((h >>> 24) % 223), (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff], ETH + 12);
    }
    const v = new DataView(f.buffer);
    v.setUint16(ETH + 4, i & 0xffff);
    v.setUint16(ETH + IP, 1024 + rng.int(64000));
    v.setUint16(ETH + IP + 2, f === syn ? rng.pick([80, 443, 22, 8080]) : 1 + rng.int(65535));
    if (f === syn) v.setUint32(ETH + IP + 4, rng.u32());
    w.write(1_700_000_000 + i / RATE, f);
  }
  await w.close();
}

export interface FloodResult {
  packets: number;
  flowsCreated: number;
  flowsEvicted: number;
  maxFlows: number;
  maxFlowsSeen: number;
  devices: number | null;
  maxDevicesSeen: number;
  deviceCap: number | null;
  threats: number | null;
  maxThreatsSeen: number;
  threatCap: number | null;
  analyzerErrors: number;
  analyzers: number;
  missing: string[];
  broken: string[];
  rssBeforeMB: number;
  rssPeakMB: number;
  rssGrowthMB: number;
  heapAfterGcMB: number;
  seconds: number;
}

/** Runs flood-run.ts in a fresh process and parses its JSON line. */
export async function runFlood(file: string, maxFlows: number): Promise<FloodResult> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "flood-run.ts"), file, String(maxFlows)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`flood-run exited ${code}: ${err}`);
  return JSON.parse(out.trim().split("\n").pop()!) as FloodResult;
}
