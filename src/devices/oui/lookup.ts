/**
 * MAC -> vendor from the embedded IEEE registry (MA-S 36-bit, MA-M 28-bit, MA-L 24-bit; longest
 * prefix wins). The table is gunzipped and indexed once, on the first lookup, into sorted typed
 * arrays and one text of all vendor names: ~1.5 MB instead of the ~12 MB that three Maps of 53 k
 * entries and 30 k name strings held for the life of the process.
 */
import { readFileSync } from "node:fs";
import ouiFile from "./oui.tsv.gz" with { type: "file" };

export { OUI_DATA_DATE, OUI_DATA_SOURCE } from "./meta.ts";

/** Prefix lengths in hex digits, longest first. */
const PREFIX_DIGITS = [9, 7, 6] as const;

/** One prefix length: its prefixes ascending, and the vendor name id of each. */
interface PrefixTable {
  prefixes: Float64Array; // 36-bit MA-S prefixes do not fit a Uint32Array
  nameIds: Uint16Array | Uint32Array;
}

interface OuiTable {
  byLength: PrefixTable[];
  /** Every distinct vendor name, one after the other; name `k` is names.slice(starts[k], starts[k + 1]). */
  names: string;
  starts: Uint32Array;
  /** Names already cut out of `names` (a device asks for its vendor again and again). */
  cut: (string | undefined)[];
}

let table: OuiTable | undefined;

function load(): OuiTable {
  const text = new TextDecoder().decode(Bun.gunzipSync(readFileSync(ouiFile)));
  const prefixes = PREFIX_DIGITS.map(() => [] as number[]);
  const nameIds = PREFIX_DIGITS.map(() => [] as number[]);
  const ids = new Map<string, number>(); // only while loading
  const names: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const tab = text.indexOf("\t", start);
    const slot = tab > start && tab < end ? PREFIX_DIGITS.indexOf((tab - start) as 9 | 7 | 6) : -1;
    if (slot >= 0) {
      const name = text.slice(tab + 1, end);
      let id = ids.get(name);
      if (id === undefined) ids.set(name, (id = names.push(name) - 1));
      prefixes[slot]!.push(parseInt(text.slice(start, tab), 16));
      nameIds[slot]!.push(id);
    }
    start = end + 1;
  }
  const starts = new Uint32Array(names.length + 1);
  for (let k = 0; k < names.length; k++) starts[k + 1] = starts[k]! + names[k]!.length;
  return {
    byLength: prefixes.map((p, slot) => sortedTable(p, nameIds[slot]!, names.length)),
    names: names.join(""),
    starts,
    cut: new Array<string | undefined>(names.length),
  };
}

/** The rows of one prefix length as typed arrays, in prefix order (the file is sorted; this does not rely on it). */
function sortedTable(prefixes: number[], nameIds: number[], nameCount: number): PrefixTable {
  const order = prefixes.map((_, k) => k).sort((a, b) => prefixes[a]! - prefixes[b]!);
  const ids = nameCount <= 0x10000 ? new Uint16Array(order.length) : new Uint32Array(order.length);
  const sorted = new Float64Array(order.length);
  order.forEach((k, n) => {
    sorted[n] = prefixes[k]!;
    ids[n] = nameIds[k]!;
  });
  return { prefixes: sorted, nameIds: ids };
}

/** The name id of `prefix` in one table (binary search), or -1. */
function find(t: PrefixTable, prefix: number): number {
  let lo = 0, hi = t.prefixes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1, p = t.prefixes[mid]!;
    if (p === prefix) return t.nameIds[mid]!;
    if (p < prefix) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function nameOf(o: OuiTable, id: number): string {
  return (o.cut[id] ??= o.names.slice(o.starts[id], o.starts[id + 1]));
}

/** The 12 hex digits of a MAC in any common notation, or undefined. */
export function macHex(mac: string): string | undefined {
  const hex = mac.replace(/[^0-9a-fA-F]/g, "").toLowerCase();
  return hex.length === 12 ? hex : undefined;
}

/** True when the locally administered bit is set (randomized / private addresses). */
export function isLocallyAdministered(mac: string): boolean {
  const hex = macHex(mac);
  return hex !== undefined && (parseInt(hex.slice(0, 2), 16) & 0x02) !== 0;
}

/** Vendor short name for a MAC; undefined for unknown, private and locally administered addresses. */
export function lookupVendor(mac: string): string | undefined {
  const hex = macHex(mac);
  if (!hex || (parseInt(hex.slice(0, 2), 16) & 0x02) !== 0) return undefined;
  table ??= load();
  for (let i = 0; i < PREFIX_DIGITS.length; i++) {
    const id = find(table.byLength[i]!, parseInt(hex.slice(0, PREFIX_DIGITS[i]), 16));
    if (id >= 0) return nameOf(table, id);
  }
  return undefined;
}

/** Number of prefixes loaded (loads the table). */
export function ouiSize(): number {
  table ??= load();
  return table.byLength.reduce((n, t) => n + t.prefixes.length, 0);
}
