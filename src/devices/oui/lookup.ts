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
  const names = new NameSet(text);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const tab = text.indexOf("\t", start);
    const slot = tab > start && tab < end ? PREFIX_DIGITS.indexOf((tab - start) as 9 | 7 | 6) : -1;
    if (slot >= 0) {
      prefixes[slot]!.push(hexAt(text, start, tab));
      nameIds[slot]!.push(names.idOf(tab + 1, end));
    }
    start = end + 1;
  }
  const list = names.list;
  const starts = new Uint32Array(list.length + 1);
  for (let k = 0; k < list.length; k++) starts[k + 1] = starts[k]! + list[k]!.length;
  return {
    byLength: prefixes.map((p, slot) => sortedTable(p, nameIds[slot]!, list.length)),
    names: list.join(""),
    starts,
    cut: new Array<string | undefined>(list.length),
  };
}

/** `parseInt(text.slice(from, to), 16)`, read by character codes (no slice per row). */
function hexAt(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (digit < 0) return parseInt(text.slice(from, to), 16);
    n = n * 16 + digit;
  }
  return n;
}

/**
 * The distinct vendor names of the file while it loads, each an id in order of first appearance:
 * found by a hash of the row's characters in an open-addressing table, so a name is cut out of the
 * text once, not once per row with a Map lookup each.
 */
class NameSet {
  readonly list: string[] = [];
  /** Per id, where its first row's name starts in the text. */
  private readonly at: number[] = [];
  /** id + 1 per slot, 0 empty. */
  private slots = new Int32Array(1 << 16);
  private lastId = -1;
  private lastFrom = 0;
  private lastTo = 0;

  constructor(private readonly text: string) {}

  idOf(from: number, to: number): number {
    // Rows are sorted by prefix: a vendor's blocks often follow one another.
    if (this.lastId >= 0 && this.same(this.lastFrom, this.lastTo, from, to)) return this.lastId;
    const mask = this.slots.length - 1;
    let slot = this.hash(from, to) & mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === 0) break;
      const id = entry - 1, start = this.at[id]!;
      if (this.same(start, start + this.list[id]!.length, from, to)) return this.remember(id, from, to);
      slot = (slot + 1) & mask;
    }
    const id = this.list.push(this.text.slice(from, to)) - 1;
    this.at.push(from);
    this.slots[slot] = id + 1;
    if (this.list.length * 2 > this.slots.length) this.grow();
    return this.remember(id, from, to);
  }

  private hash(from: number, to: number): number {
    const text = this.text;
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h;
  }

  private remember(id: number, from: number, to: number): number {
    this.lastId = id;
    this.lastFrom = from;
    this.lastTo = to;
    return id;
  }

  private same(a: number, aEnd: number, b: number, bEnd: number): boolean {
    const n = aEnd - a;
    if (n !== bEnd - b) return false;
    const text = this.text;
    for (let i = 0; i < n; i++) if (text.charCodeAt(a + i) !== text.charCodeAt(b + i)) return false;
    return true;
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2), mask = slots.length - 1;
    for (let id = 0; id < this.list.length; id++) {
      const from = this.at[id]!;
      let slot = this.hash(from, from + this.list[id]!.length) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
  }
}

/** The rows of one prefix length as typed arrays, in prefix order (the file is sorted; this does not rely on it). */
function sortedTable(prefixes: number[], nameIds: number[], nameCount: number): PrefixTable {
  const ids = nameCount <= 0x10000 ? new Uint16Array(prefixes.length) : new Uint32Array(prefixes.length);
  const sorted = new Float64Array(prefixes.length);
  let inOrder = true;
  for (let k = 1; k < prefixes.length && inOrder; k++) inOrder = prefixes[k - 1]! <= prefixes[k]!;
  if (inOrder) {
    // As build.ts writes the file: copied as it is (the sort below would keep this order).
    sorted.set(prefixes);
    ids.set(nameIds);
    return { prefixes: sorted, nameIds: ids };
  }
  const order = prefixes.map((_, k) => k).sort((a, b) => prefixes[a]! - prefixes[b]!);
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
