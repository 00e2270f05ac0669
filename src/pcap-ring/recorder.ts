/**
 * The packets behind alerts: feeds the ring from the engine's batches, copies the first packets of
 * each flow involved in a threat to a kept file when the threat is raised (and as it grows), so
 * they outlive the ring, and answers "the packets of this threat / flow / device" as pcapng.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, appendFileSync, writeFileSync, accessSync, constants } from "node:fs";
import path from "node:path";
import type { Engine } from "../engine/engine.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { FlowQuery } from "../storage/flows.ts";
import type { Threat } from "../threats/model.ts";
import { concatBytes } from "../util/bytes.ts";
import { InterfaceMap, packetBlocks, pcapngFile, sectionHeader } from "./pcapng.ts";
import { PacketRing, type RingPacket } from "./ring.ts";

/** A threat keeps the first KEEP_PER_FLOW packets of each flow involved, at most KEEP_MAX_PACKETS in all. */
export const KEEP_PER_FLOW = 64;
export const KEEP_MAX_PACKETS = 5000;
/** Flows looked at per threat / device download. */
export const MAX_FLOWS = 5000;
/** A download holds at most this many packets (the newest are left out beyond it). */
export const MAX_DOWNLOAD_PACKETS = 200_000;
/** Flows before the threat's first sighting that still count as involved (the attack's start). */
export const LOOKBACK_SECONDS = 60;

export interface RecorderOptions {
  dir: string;
  capMb: number;
  /** Flows live and stored (the service's FlowView). */
  flows: (q: FlowQuery) => FlowRecord[];
  log?: (msg: string) => void;
}

interface KeptState {
  threat: Threat;
  /** Ring sequence number the next copy starts from. */
  from: number;
  perFlow: Map<number, number>;
  total: number;
  ifaces: InterfaceMap;
}

/** Checks at start-up that the ring can live in `dir` (creating it); throws with the reason. */
export function checkRingDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  accessSync(dir, constants.W_OK);
  const probe = path.join(dir, ".write-test");
  writeFileSync(probe, "ok");
  unlinkSync(probe);
}

export class PacketRecorder {
  readonly ring: PacketRing;
  readonly keptDir: string;
  readonly #o: RecorderOptions;
  readonly #pending = new Map<string, Threat>();
  readonly #kept = new Map<string, KeptState>();
  /** Bytes kept files may take together: a quarter of the ring, at least 16 MB. */
  readonly keptCapBytes: number;
  #keepError: string | null = null;

  constructor(opts: RecorderOptions) {
    this.#o = opts;
    this.ring = new PacketRing(opts.dir, opts.capMb << 20);
    this.keptDir = path.join(opts.dir, "kept");
    mkdirSync(this.keptDir, { recursive: true });
    this.keptCapBytes = Math.max(16 << 20, (opts.capMb << 20) / 4);
  }

  /** Every batch the engine processed goes into the ring; threats raised meanwhile keep their packets. */
  attach(engine: Engine): void {
    engine.onBatch((batch, linkType) => {
      this.ring.append(batch, linkType, engine.batchFlowIds);
      if (this.#pending.size > 0) this.keepPending();
    });
  }

  /** A threat was raised or grew: its packets are kept after the current batch. */
  threatChanged(t: Threat): void {
    if (t.status === "active") this.#pending.set(t.id, t);
  }

  keepPending(): void {
    const threats = [...this.#pending.values()];
    this.#pending.clear();
    for (const t of threats) {
      try {
        this.#keep(t);
      } catch (err) {
        const msg = `keeping the packets of threat ${t.id} failed: ${(err as Error).message}`;
        if (msg !== this.#keepError) this.#o.log?.(`pcap ring: ${msg}`);
        this.#keepError = msg;
      }
    }
  }

  /** Named by id and first sighting: a threat id from an older database never finds another threat's file. */
  #keptFile(t: Threat): string {
    return path.join(this.keptDir, `threat-${t.id.replace(/[^A-Za-z0-9_-]/g, "_")}-${Math.round(t.firstSeen * 1000)}.pcapng`);
  }

  #keep(t: Threat): void {
    let st = this.#kept.get(t.id);
    const file = this.#keptFile(t);
    if (st && st.total >= KEEP_MAX_PACKETS) return;
    const flows = this.#involved(t);
    if (flows.size === 0) return;
    if (!st) {
      st = { threat: t, from: 0, perFlow: new Map(), total: 0, ifaces: new InterfaceMap() };
      this.#kept.set(t.id, st);
    }
    st.threat = t;
    const s = st;
    const packets = this.ring.select((_ts, flowId) => {
      if (!flows.has(flowId)) return false;
      const n = s.perFlow.get(flowId) ?? 0;
      if (n >= KEEP_PER_FLOW || s.total >= KEEP_MAX_PACKETS) return false;
      s.perFlow.set(flowId, n + 1);
      s.total++;
      return true;
    }, { from: s.from });
    s.from = this.ring.nextSeq;
    if (packets.length === 0) return;
    const blocks = packetBlocks(packets, s.ifaces);
    if (!existsSync(file)) writeFileSync(file, concatBytes([sectionHeader(threatComment(t)), ...blocks]));
    else appendFileSync(file, concatBytes(blocks));
    this.#trimKept(file);
  }

  /** The flows a threat is about: those of its source (with its target, when it names one), from shortly before it began. */
  #involved(t: Threat): Set<number> {
    const ip = t.sourceIp ?? t.targetIp;
    const ids = new Set<number>();
    if (!ip) return ids;
    const other = t.sourceIp && t.targetIp ? t.targetIp : null;
    for (const f of this.#o.flows({ ip, since: t.firstSeen - LOOKBACK_SECONDS, limit: MAX_FLOWS })) {
      if (other && f.srcIp !== other && f.dstIp !== other) continue;
      ids.add(Number(f.id));
    }
    return ids;
  }

  /** Kept files beyond their cap: the oldest go first (never the one just written). */
  #trimKept(current: string): void {
    const files = readdirSync(this.keptDir).map((n) => path.join(this.keptDir, n)).map((f) => ({ f, s: statSync(f) }));
    let total = files.reduce((n, x) => n + x.s.size, 0);
    for (const { f, s } of files.sort((a, b) => a.s.mtimeMs - b.s.mtimeMs)) {
      if (total <= this.keptCapBytes) break;
      if (f === current) continue;
      unlinkSync(f);
      total -= s.size;
    }
  }

  /** A threat's packets: its kept file, else whatever the ring still holds of its flows; null when none. */
  threatPcap(t: Threat): Uint8Array | null {
    this.keepPending();
    const file = this.#keptFile(t);
    if (existsSync(file)) return new Uint8Array(readFileSync(file));
    const flows = this.#involved(t);
    const perFlow = new Map<number, number>();
    const packets = this.ring.select((_ts, id) => {
      if (!flows.has(id)) return false;
      const n = perFlow.get(id) ?? 0;
      perFlow.set(id, n + 1);
      return n < KEEP_PER_FLOW;
    }, { limit: KEEP_MAX_PACKETS });
    return packets.length ? pcapngFile(threatComment(t), packets) : null;
  }

  flowPcap(f: FlowRecord): Uint8Array | null {
    const id = Number(f.id);
    const packets = this.ring.select((_ts, flowId) => flowId === id, { limit: MAX_DOWNLOAD_PACKETS });
    const comment = `NetInsight flow ${f.id}: ${f.protocol} ${f.srcIp}:${f.srcPort} -> ${f.dstIp}:${f.dstPort}` +
      `${f.application ? ` (${f.application})` : ""}, from ${iso(f.startTime)}`;
    return packets.length ? pcapngFile(comment, packets) : null;
  }

  /** The packets of a device's flows over the last `minutes` (up to `now`, capture time). */
  devicePcap(deviceId: string, name: string | null, minutes: number, now: number): Uint8Array | null {
    const since = now - minutes * 60;
    const ids = new Set(this.#o.flows({ deviceId, since, limit: MAX_FLOWS }).map((f) => Number(f.id)));
    const packets: RingPacket[] = ids.size === 0 ? [] :
      this.ring.select((ts, flowId) => ts >= since && ids.has(flowId), { limit: MAX_DOWNLOAD_PACKETS });
    const comment = `NetInsight device ${deviceId}${name ? ` (${name})` : ""}: its flows' packets from ${iso(since)} to ${iso(now)}`;
    return packets.length ? pcapngFile(comment, packets) : null;
  }

  problems(): string[] {
    const out: string[] = [];
    if (this.ring.stats.error) out.push(`pcap ring: stopped (${this.ring.stats.error}); capture goes on`);
    if (this.#keepError) out.push(`pcap ring: ${this.#keepError}`);
    return out;
  }

  close(): void {
    this.keepPending();
    this.ring.close();
  }
}

const iso = (t: number) => new Date(t * 1000).toISOString();

export function threatComment(t: Threat): string {
  const target = t.targetIp ? ` against ${t.targetIp}${t.targetPort ? `:${t.targetPort}` : ""}` : "";
  return `NetInsight threat ${t.id}: ${t.title} (${t.type}, ${t.severity}); source ${t.sourceIp ?? t.sourceMac ?? "unknown"}${target}; ` +
    `${iso(t.firstSeen)} to ${iso(t.lastSeen)}. The first ${KEEP_PER_FLOW} packets of each flow involved.`;
}
