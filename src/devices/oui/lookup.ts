/**
 * MAC -> vendor from the embedded IEEE registry (MA-S 36-bit, MA-M 28-bit, MA-L 24-bit; longest
 * prefix wins). The table is gunzipped and indexed once, on the first lookup.
 */
import { readFileSync } from "node:fs";
import ouiFile from "./oui.tsv.gz" with { type: "file" };

export { OUI_DATA_DATE, OUI_DATA_SOURCE } from "./meta.ts";

/** Prefix lengths in hex digits, longest first. */
const PREFIX_DIGITS = [9, 7, 6] as const;

let tables: Map<number, string>[] | undefined;

function load(): Map<number, string>[] {
  const maps = PREFIX_DIGITS.map(() => new Map<number, string>());
  const text = new TextDecoder().decode(Bun.gunzipSync(readFileSync(ouiFile)));
  const names = new Map<string, string>(); // intern: many prefixes share one vendor string
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const tab = text.indexOf("\t", start);
    if (tab > start && tab < end) {
      const hex = text.slice(start, tab);
      const slot = PREFIX_DIGITS.indexOf(hex.length as 9 | 7 | 6);
      let name = text.slice(tab + 1, end);
      const interned = names.get(name);
      if (interned) name = interned; else names.set(name, name);
      if (slot >= 0) maps[slot]!.set(parseInt(hex, 16), name);
    }
    start = end + 1;
  }
  return maps;
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
  tables ??= load();
  for (let i = 0; i < PREFIX_DIGITS.length; i++) {
    const name = tables[i]!.get(parseInt(hex.slice(0, PREFIX_DIGITS[i]), 16));
    if (name !== undefined) return name;
  }
  return undefined;
}

/** Number of prefixes loaded (loads the table). */
export function ouiSize(): number {
  tables ??= load();
  return tables.reduce((n, m) => n + m.size, 0);
}
