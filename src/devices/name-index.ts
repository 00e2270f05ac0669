/**
 * Which names no rule can read, without running the rules: an index of the endings the name rules
 * require. Every DOMAIN_RULES pattern is anchored at the end (`apple\.com$`), so a name that ends in
 * none of the literal endings its rules spell cannot match; only names that do are scanned
 * (anyRuleMatches). A device looks up thousands of names, nearly all of them ending elsewhere.
 */
import { RULES_BY_SIGNAL, type Rule } from "./rules.ts";

/** More endings than this from one rule (alternations multiply): the rule is not indexed. */
const MAX_ENDINGS_PER_RULE = 256;
/** Endings shorter than this would let most names through: such a rule is not indexed. */
const MIN_ENDING_LENGTH = 5;

/** A node of the reversed-ending trie: children by lower-case character code; `end` when an ending stops here. */
interface Node { next: Map<number, Node>; end: boolean }

/** Per signal, the endings its rules require, or null when some rule reading it cannot be indexed. */
export class NameIndex {
  private readonly root: Node | null;

  constructor(rules: readonly Rule[]) {
    let root: Node | null = { next: new Map(), end: false };
    for (const rule of rules) {
      const endings = typeof rule.match === "function" ? null : requiredEndings(rule.match);
      if (endings === null) {
        root = null;
        break;
      }
      for (const e of endings) addReversed(root, e);
    }
    this.root = root;
  }

  /** Whether every rule of the signal is indexed (else mayMatch answers true for every name). */
  get indexed(): boolean {
    return this.root !== null;
  }

  /**
   * False only when no rule can match `name` with its final dot removed and ASCII letters folded
   * to lower case (pushName's value of a clean name): then anyRuleMatches is false for it.
   */
  mayMatch(name: string): boolean {
    let node = this.root;
    if (node === null) return true;
    let i = name.length - 1;
    if (i >= 0 && name.charCodeAt(i) === 46) i--;
    for (; i >= 0; i--) {
      let c = name.charCodeAt(i);
      if (c >= 65 && c <= 90) c += 32;
      const next: Node | undefined = node.next.get(c);
      if (next === undefined) return false;
      if (next.end) return true;
      node = next;
    }
    return false;
  }
}

/** The index of each signal that has rules (built once). */
export const NAME_INDEX: ReadonlyMap<string, NameIndex> = new Map(
  [...RULES_BY_SIGNAL].map(([signal, rules]) => [signal, new NameIndex(rules)]),
);

function addReversed(root: Node, ending: string): void {
  let node = root;
  for (let i = ending.length - 1; i >= 0; i--) {
    const c = ending.charCodeAt(i);
    let next = node.next.get(c);
    if (next === undefined) node.next.set(c, (next = { next: new Map(), end: false }));
    node = next;
  }
  node.end = true;
}

// ---- endings of a pattern ----

/** One piece of a parsed pattern. */
type Piece =
  | { kind: "char"; code: number } // a literal ASCII character (letters lower case)
  | { kind: "group"; alternatives: Piece[][] }
  | { kind: "start" } // ^
  | { kind: "end" } // $
  | { kind: "other" }; // anything else: a class, `.`, an escape class, a quantified piece

/**
 * The endings (lower case) one of which every value the pattern matches ends with, or null when
 * that cannot be told: a top-level alternative not anchored by a final `$`, a flag that changes
 * what `$` or a letter means (m, u, v, y, g), syntax this reader does not know, or endings too
 * many or too short to be worth an index. Conservative: a null only costs speed.
 */
export function requiredEndings(re: RegExp): string[] | null {
  if (!/^[is]*$/.test(re.flags)) return null;
  const parsed = parse(re.source);
  if (parsed === null) return null;
  const all: string[] = [];
  for (const alternative of parsed) {
    const last = alternative[alternative.length - 1];
    if (last === undefined || last.kind !== "end") return null;
    const endings = suffixes(alternative.slice(0, -1));
    if (endings === null) return null;
    for (const e of endings) {
      if (e.length < MIN_ENDING_LENGTH) return null;
      all.push(e);
    }
    if (all.length > MAX_ENDINGS_PER_RULE) return null;
  }
  return all;
}

/** Endings one of which every match of the sequence ends with (read from its end until a piece that is not literal). */
function suffixes(seq: Piece[]): string[] | null {
  let set = [""];
  for (let k = seq.length - 1; k >= 0; k--) {
    const p = seq[k]!;
    if (p.kind === "char") {
      set = set.map((s) => String.fromCharCode(p.code) + s);
      continue;
    }
    if (p.kind === "group") {
      const whole = literals(p.alternatives);
      if (whole !== null) {
        // Every alternative is plain text: the ending grows by each of them and reading goes on.
        set = cross(whole, set);
        if (set.length > MAX_ENDINGS_PER_RULE) return null;
        continue;
      }
      // Else the group's own endings close the ending.
      const inner: string[] = [];
      for (const alt of p.alternatives) {
        const e = suffixes(alt);
        if (e === null) return null;
        inner.push(...e);
      }
      set = cross(inner, set);
      return set.length > MAX_ENDINGS_PER_RULE ? null : set;
    }
    // `^`, `$` inside, a class, `.`, a quantified piece: what comes before says nothing more.
    return set;
  }
  return set;
}

/** Every text the alternatives match when they are plain text (nested groups of text included), else null. */
function literals(alternatives: Piece[][]): string[] | null {
  const out: string[] = [];
  for (const alt of alternatives) {
    let set = [""];
    for (const p of alt) {
      if (p.kind === "char") set = set.map((s) => s + String.fromCharCode(p.code));
      else if (p.kind === "group") {
        const inner = literals(p.alternatives);
        if (inner === null) return null;
        set = cross(set, inner);
      } else return null;
      if (set.length > MAX_ENDINGS_PER_RULE) return null;
    }
    out.push(...set);
  }
  return out;
}

function cross(heads: string[], tails: string[]): string[] {
  const out: string[] = [];
  for (const h of heads) for (const t of tails) out.push(h + t);
  return out;
}

/**
 * Parses the subset of pattern syntax the name rules use into alternatives of pieces; null on any
 * syntax it does not know (lookarounds, named groups, back-references, braces).
 */
function parse(source: string): Piece[][] | null {
  let at = 0;
  function alternatives(): Piece[][] | null {
    const alts: Piece[][] = [[]];
    while (at < source.length) {
      const c = source[at]!;
      if (c === ")") return alts;
      if (c === "|") {
        at++;
        alts.push([]);
        continue;
      }
      const piece = atom();
      if (piece === null) return null;
      alts[alts.length - 1]!.push(quantified(piece));
    }
    return alts;
  }
  function atom(): Piece | null {
    const c = source[at]!;
    if (c === "(") {
      at++;
      if (source[at] === "?") {
        if (source[at + 1] !== ":") return null;
        at += 2;
      }
      const inner = alternatives();
      if (inner === null || source[at] !== ")") return null;
      at++;
      return { kind: "group", alternatives: inner };
    }
    if (c === "[") {
      // A class: skipped to its end (escapes inside included); it is never literal.
      at++;
      if (source[at] === "]") at++;
      while (at < source.length && source[at] !== "]") at += source[at] === "\\" ? 2 : 1;
      if (at >= source.length) return null;
      at++;
      return { kind: "other" };
    }
    if (c === "\\") {
      const e = source[at + 1];
      if (e === undefined) return null;
      at += 2;
      // An escaped punctuation character is itself; letters and digits are classes, anchors or references.
      if (/[.\-\\/^$|?*+()[\]{}]/.test(e)) return { kind: "char", code: e.charCodeAt(0) };
      if (/[dDwWsSbB]/.test(e)) return { kind: "other" };
      return null;
    }
    if (c === "{" || c === "}" || c === "]" || c === "*" || c === "+" || c === "?") return null;
    at++;
    if (c === "^") return { kind: "start" };
    if (c === "$") return { kind: "end" };
    if (c === ".") return { kind: "other" };
    const code = c.charCodeAt(0);
    if (code < 32 || code > 126) return null;
    return { kind: "char", code: code >= 65 && code <= 90 ? code + 32 : code };
  }
  function quantified(piece: Piece): Piece {
    const q = source[at];
    if (q !== "*" && q !== "+" && q !== "?") return piece;
    at++;
    if (source[at] === "?") at++; // lazy
    return { kind: "other" };
  }
  const result = alternatives();
  return result !== null && at === source.length ? result : null;
}
