/**
 * MAC -> vendor from the embedded IEEE registry (MA-S 36-bit, MA-M 28-bit, MA-L 24-bit; longest
 * prefix wins). The file is gunzipped once, on the first lookup, and searched as it is: its rows
 * ("prefix<TAB>name", one a line) are sorted by their bytes, so a prefix is found by binary search
 * over the lines. A capture asks for a few dozen vendors: indexing all 53 k rows (and decoding
 * 1.4 MB of text) cost more CPU than every lookup of a run, for the same ~1.4 MB held.
 */
import { readFileSync } from "node:fs";
import ouiFile from "./oui.tsv.gz" with { type: "file" };

export { OUI_DATA_DATE, OUI_DATA_SOURCE } from "./meta.ts";

/** Prefix lengths in hex digits, longest first. */
const PREFIX_DIGITS = [9, 7, 6] as const;
const TAB = 9, NEWLINE = 10;

interface OuiTable {
  /** The registry file's bytes, rows sorted (build.ts writes them so; every row ends in a newline). */
  bytes: Uint8Array;
  /** Names already decoded, by the offset of their row's name (a device asks for its vendor again and again). */
  names: Map<number, string>;
}

let table: OuiTable | undefined;

function load(): OuiTable {
  return { bytes: Bun.gunzipSync(readFileSync(ouiFile)), names: new Map() };
}

/**
 * Where the name of the row whose prefix is the first `digits` characters of `hex` starts, or -1.
 * The rows are in byte order, so comparing a row's first digits + 1 bytes with "prefix<TAB>" is
 * monotone over them: a binary search over byte offsets, each step taken back to its line's start.
 */
function findRow(bytes: Uint8Array, hex: string, digits: number): number {
  let lo = 0, hi = bytes.length; // rows starting in [lo, hi) remain; both are line starts
  while (lo < hi) {
    let row = (lo + hi) >>> 1;
    while (row > lo && bytes[row - 1] !== NEWLINE) row--;
    const order = compareRow(bytes, row, hex, digits);
    if (order === 0) return row + digits + 1;
    if (order > 0) hi = row;
    else {
      let end = row;
      while (end < bytes.length && bytes[end] !== NEWLINE) end++;
      lo = end + 1;
    }
  }
  return -1;
}

/** The row at `row` against "prefix<TAB>" (the first `digits` characters of `hex`): <0, 0 (the row is the prefix's) or >0. */
function compareRow(bytes: Uint8Array, row: number, hex: string, digits: number): number {
  for (let k = 0; k <= digits; k++) {
    const at = row + k;
    const b = at < bytes.length ? bytes[at]! : -1;
    const c = k < digits ? hex.charCodeAt(k) : TAB;
    if (b !== c) return b - c;
  }
  return 0;
}

function nameAt(o: OuiTable, from: number): string {
  let name = o.names.get(from);
  if (name === undefined) {
    const bytes = o.bytes;
    let end = from;
    while (end < bytes.length && bytes[end] !== NEWLINE) end++;
    name = new TextDecoder().decode(bytes.subarray(from, end));
    o.names.set(from, name);
  }
  return name;
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
    const at = findRow(table.bytes, hex, PREFIX_DIGITS[i]);
    if (at >= 0) return nameAt(table, at);
  }
  return undefined;
}

/** Number of prefixes loaded (loads the table): one per line. */
export function ouiSize(): number {
  table ??= load();
  let rows = 0;
  for (const b of table.bytes) if (b === NEWLINE) rows++;
  return rows;
}
