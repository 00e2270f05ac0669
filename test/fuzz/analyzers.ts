/**
 * Every analyzer that exists in the tree (devices, threats, analytics labels and rollups), built the
 * way the service builds them, each wrapped so a throw names its analyzer and hook. Modules that
 * have not landed (or do not load) are listed in `missing` instead of failing the import.
 */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Engine } from "../../src/engine/engine.ts";
import type { Analyzer } from "../../src/engine/events.ts";

export interface AnalyzerError {
  analyzer: string;
  hook: string;
  error: string;
}

/** A hook call slower than this is kept with its argument for the report (GC pauses land here too). */
export const SLOW_HOOK_MS = 100;

export interface SlowHook {
  where: string;
  ms: number;
  arg: string;
}

export interface AnalyzerSet {
  analyzers: Analyzer[];
  /** Set by the caller once the engine exists (flow labels go to it). */
  bindEngine(e: Engine): void;
  /** Devices currently tracked, threats currently stored (null when that module is missing). */
  deviceCount(): number | null;
  threatCount(): number | null;
  maxDevices: number | null;
  maxThreats: number | null;
  names: string[];
  /** Analyzer modules not in the tree yet. */
  missing: string[];
  /** Analyzer modules present that failed to load (a bug: the fuzz test fails on it). */
  broken: string[];
  /** The slowest single analyzer hook call so far (hang hunting). */
  slowest: { where: string; ms: number };
  /** Hook calls slower than SLOW_HOOK_MS since the last `takeSlow()`, with what they were given. */
  takeSlow(): SlowHook[];
  /** Throws seen since the last `takeErrors()`. */
  takeErrors(): AnalyzerError[];
  close(): void;
}

/** Imports an analyzer module; an absent file is "missing", a file that fails to load is "broken". */
async function load(path: string, missing: string[], broken: string[]): Promise<Record<string, unknown> | null> {
  const file = resolve(import.meta.dir, path);
  if (!existsSync(file)) {
    missing.push(path);
    return null;
  }
  try {
    return (await import(file)) as Record<string, unknown>;
  } catch (e) {
    broken.push(`${path}: ${(e as Error).message.split("\n")[0]}`);
    return null;
  }
}

export async function loadAnalyzers(opts: { maxDevices?: number; maxThreats?: number; extra?: Analyzer[] } = {}): Promise<AnalyzerSet> {
  const missing: string[] = [];
  const broken: string[] = [];
  const raw: Analyzer[] = [];
  let engine: Engine | null = null;
  const label = (id: string, patch: Record<string, unknown>) => engine?.flows.label(id, patch as never);
  let deviceCount: (() => number) | null = null;
  let threatCount: (() => number) | null = null;
  let maxDevices: number | null = null;
  let maxThreats: number | null = null;
  let db: Database | null = null;

  const devices = await load("../../src/devices/tracker.ts", missing, broken);
  if (devices?.DeviceTracker) {
    const Tracker = devices.DeviceTracker as new (o: object) => Analyzer & { list(): unknown[] };
    maxDevices = opts.maxDevices ?? (devices.DEFAULT_MAX_DEVICES as number | undefined) ?? null;
    const t = new Tracker({ maxDevices: maxDevices ?? undefined, labelFlow: label });
    raw.push(t);
    deviceCount = () => t.list().length;
  }
  const labeler = await load("../../src/analytics/labeler.ts", missing, broken);
  if (labeler?.FlowLabeler) {
    const L = labeler.FlowLabeler as new (o: object) => Analyzer;
    raw.push(new L({ labelFlow: label }));
  }
  const rollup = await load("../../src/analytics/rollup.ts", missing, broken);
  const rollupStore = await load("../../src/storage/rollups.ts", missing, broken);
  const storageDb = await load("../../src/storage/db.ts", missing, broken);
  if (rollup?.TrafficRollup && rollupStore?.RollupStore && storageDb?.openDatabase) {
    db = (storageDb.openDatabase as (path: string) => Database)(":memory:");
    const Store = rollupStore.RollupStore as new (db: Database) => unknown;
    const R = rollup.TrafficRollup as new (o: object) => Analyzer;
    raw.push(new R({ store: new Store(db), activeFlows: () => engine?.flows.active() ?? [] }));
  }
  const threats = await load("../../src/threats/index.ts", missing, broken);
  if (threats?.createThreatDetectors && threats.ThreatStore) {
    const Store = threats.ThreatStore as new (o: object) => { size: number; maxThreats?: number };
    const store = new Store(opts.maxThreats ? { maxThreats: opts.maxThreats } : {});
    const create = threats.createThreatDetectors as (o: object) => { analyzers: Analyzer[] };
    raw.push(...create({ store }).analyzers);
    threatCount = () => store.size;
    maxThreats = store.maxThreats ?? opts.maxThreats ?? null;
  }

  raw.push(...(opts.extra ?? []));
  let errors: AnalyzerError[] = [];
  const slowest = { where: "", ms: 0 };
  let slow: SlowHook[] = [];
  const timing = (where: string, ms: number, arg: unknown) => {
    if (ms > SLOW_HOOK_MS && slow.length < 10) slow.push({ where, ms, arg: describe(arg) });
    if (ms > slowest.ms) {
      slowest.ms = ms;
      slowest.where = where;
    }
  };
  const analyzers = raw.map((a) => guard(a, (hook, e) => errors.push({ analyzer: a.name, hook, error: (e as Error).stack ?? String(e) }), timing));
  return {
    analyzers,
    bindEngine: (e) => {
      engine = e;
    },
    deviceCount: () => deviceCount?.() ?? null,
    threatCount: () => threatCount?.() ?? null,
    maxDevices,
    maxThreats,
    names: raw.map((a) => a.name),
    missing,
    broken,
    slowest,
    takeSlow: () => {
      const out = slow;
      slow = [];
      return out;
    },
    takeErrors: () => {
      const out = errors;
      errors = [];
      return out;
    },
    close: () => db?.close(),
  };
}

/** The same analyzer, with each hook reporting what it throws before the engine counts it. */
function describe(arg: unknown): string {
  try {
    return JSON.stringify(arg)?.slice(0, 600) ?? String(arg);
  } catch {
    return String(arg);
  }
}

function guard(a: Analyzer, report: (hook: string, e: unknown) => void, timing: (where: string, ms: number, arg: unknown) => void): Analyzer {
  const wrap = <A extends unknown[]>(hook: string, fn: ((...args: A) => void) | undefined) =>
    fn &&
    ((...args: A) => {
      const t0 = performance.now();
      try {
        fn.apply(a, args);
      } catch (e) {
        report(hook, e);
        throw e;
      } finally {
        timing(`${a.name}.${hook}`, performance.now() - t0, args[0]);
      }
    });
  return {
    name: a.name,
    wants: a.wants,
    observe: wrap("observe", a.observe),
    flowStarted: wrap("flowStarted", a.flowStarted),
    flowEnded: wrap("flowEnded", a.flowEnded),
    tick: wrap("tick", a.tick),
  };
}
