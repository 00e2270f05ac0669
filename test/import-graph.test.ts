/**
 * The house rules for imports, checked on every source file (tests and test helpers aside):
 * imports run from the edges to the core, never back up; the edges reach the service only through
 * its contract (context.ts, bus.ts, logger.ts); decoders import nothing outside decode/; and no
 * module cycle exists outside decode/'s tunnel recursion (IP in GRE in IP...).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const SRC = path.resolve(import.meta.dir, "../src");

/**
 * Every top-level folder (or file) of src/ and its layer; imports may only go to the same layer or
 * below. A new folder must be placed here (the test names it until it is).
 */
const LAYER: Record<string, number> = {
  // 0: the core, the data path left to right and what it shares
  decode: 0, capture: 0, flows: 0, engine: 0, devices: 0, analytics: 0, threats: 0, storage: 0, util: 0,
  export: 0, "pcap-ring": 0, tls: 0, backup: 0, version: 0,
  // 1: the running service (capture control, writer, worker)
  service: 1,
  // 2: the edges: wire shapes and the outside world
  api: 2, ws: 2, web: 2, notify: 2,
  // 3: assembly and entry points
  server: 3, cli: 3, main: 3, install: 3, config: 3,
};

/** The service's contract: importable from every layer; it imports only the core. */
const CONTRACT = new Set(["service/context.ts", "service/bus.ts", "service/logger.ts"]);

/**
 * Modules whose types (only) every layer may import: settings types are declared once, in the
 * configuration schema, and read by the module they configure.
 */
const SHARED_TYPES = new Set(["config.ts"]);

/** Known exceptions, each with its reason. Keep this list short. */
const ALLOWED = new Map<string, string>([]);

const exempt = (e: Edge) => CONTRACT.has(e.to) || (e.typeOnly && SHARED_TYPES.has(e.to)) || ALLOWED.has(`${e.from} -> ${e.to}`);

interface Edge { from: string; to: string; typeOnly: boolean }

const isTestFile = (rel: string) => /\.test\.ts$|(^|\/)(testing|testkit)\.ts$|(^|\/)testing\//.test(rel) || rel.endsWith(".d.ts");

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^"';]*?\s+from\s+)?["'](\.[^"']+)["']/g;
const DYNAMIC = /import\(\s*["'](\.[^"']+)["']\s*\)/g;

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sources(SRC)) {
    const from = path.relative(SRC, file);
    if (isTestFile(from)) continue;
    const text = readFileSync(file, "utf8");
    const add = (spec: string, typeOnly: boolean) => {
      const abs = path.resolve(path.dirname(file), spec);
      if (!abs.startsWith(SRC + path.sep) || !abs.endsWith(".ts")) return;
      out.push({ from, to: path.relative(SRC, abs), typeOnly });
    };
    for (const m of text.matchAll(IMPORT)) add(m[2]!, m[1] !== undefined);
    for (const m of text.matchAll(DYNAMIC)) add(m[1]!, false);
  }
  return out;
}

const area = (rel: string) => rel.split("/")[0]!.replace(/\.ts$/, "");
const show = (e: Edge) => `${e.from} -> ${e.to}${e.typeOnly ? " (type)" : ""}`;
const all = edges();

describe("import graph", () => {
  test("every area of src/ has a layer", () => {
    const areas = new Set(sources(SRC).map((f) => path.relative(SRC, f)).filter((f) => !isTestFile(f)).map(area));
    expect([...areas].filter((a) => LAYER[a] === undefined)).toEqual([]);
  });

  test("no import runs back up: core -> service/edges, service -> edges, edges -> assembly", () => {
    const up = all.filter((e) => LAYER[area(e.to)]! > LAYER[area(e.from)]! && !exempt(e));
    expect(up.map(show)).toEqual([]);
  });

  test("the edges reach the service only through its contract (context, bus, logger)", () => {
    const impl = all.filter((e) => LAYER[area(e.from)] === 2 && area(e.to) === "service" && !CONTRACT.has(e.to));
    expect(impl.map(show)).toEqual([]);
  });

  test("the contract imports only the core", () => {
    const bad = all.filter((e) => CONTRACT.has(e.from) && LAYER[area(e.to)] !== 0 && !CONTRACT.has(e.to));
    expect(bad.map(show)).toEqual([]);
  });

  test("decoders import nothing outside decode/", () => {
    expect(all.filter((e) => area(e.from) === "decode" && area(e.to) !== "decode").map(show)).toEqual([]);
  });

  test("no module cycle outside decode/'s tunnel recursion (value imports; type imports vanish at run time)", () => {
    const next = new Map<string, string[]>();
    for (const e of all) if (!e.typeOnly) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    // Tarjan's strongly connected components.
    let counter = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string) => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      for (const w of next.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v)!, index.get(w)!));
        }
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== v);
        if (scc.length > 1) cycles.push(scc.sort());
      }
    };
    for (const v of next.keys()) if (!index.has(v)) visit(v);
    const outside = cycles.filter((c) => !c.every((f) => area(f) === "decode"));
    expect(outside).toEqual([]);
    // The tunnel recursion is there (so this test sees cycles at all).
    expect(cycles.some((c) => c.includes("decode/ipv4.ts") && c.includes("decode/gre.ts"))).toBe(true);
  });
});
