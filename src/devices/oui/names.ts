/** Short display names for IEEE organization names ("Apple, Inc." -> "Apple"). Used by build.ts. */

/** Legal-form suffixes removed from the end, repeatedly ("Co., Ltd.", "Inc.", "GmbH", ...). */
const SUFFIX = new RegExp(
  "[\\s,.]+(" + [
    "co\\.?,?\\s*ltd\\.?", "co\\.", "corp\\.?", "corporation", "inc\\.?", "incorporated", "ltd\\.?", "limited",
    "llc", "l\\.l\\.c\\.", "gmbh(\\s*&\\s*co\\.?\\s*kg)?", "ag", "kg", "s\\.?a\\.?", "s\\.?p\\.?a\\.?", "s\\.?r\\.?l\\.?",
    "b\\.?v\\.?", "n\\.?v\\.?", "a/s", "ab", "oy", "pty", "pte", "plc", "sas", "s\\.?a\\.?s\\.?", "k\\.?k\\.?",
    "co", "company",
  ].join("|") + ")[\\s,.]*$",
  "i",
);
const MAX_PASSES = 4;

export function shortVendorName(org: string): string {
  let name = org.replace(/\s+/g, " ").trim();
  for (let i = 0; i < MAX_PASSES; i++) {
    const next = name.replace(SUFFIX, "").trim();
    if (next === name || next.length < 2) break;
    name = next;
  }
  return name.replace(/[\t\n]/g, " ");
}
