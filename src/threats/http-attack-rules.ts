/**
 * What an HTTP request says, not which port it used (nDPI's flow risks): signatures of SQL
 * injection, XSS, command injection / RCE, path traversal and Log4Shell JNDI lookups, matched on
 * request text that was percent-decoded and lower-cased first (so "%27+union+select" is seen).
 */

export type WebAttackKind = "sql_injection" | "xss" | "command_injection" | "path_traversal" | "log4shell";

export interface WebAttackRule {
  kind: WebAttackKind;
  /** Short name shown in the evidence ("sqli-union"). */
  name: string;
  re: RegExp;
  /** Also looked for in header values other than User-Agent/Referer (Log4Shell and Shellshock hide there). */
  anyHeader?: boolean;
}

/** A command name followed by a word boundary that is not the start of a query parameter ("id=5"). */
const CMD = String.raw`(?:cat|ls|id|whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|ping|nslookup|dir|type|echo|chmod|rm|perl|python\d?|powershell|cmd)(?=[\s;|&<>'"$()]|$)`;

export const WEB_ATTACK_RULES: readonly WebAttackRule[] = [
  { kind: "sql_injection", name: "sqli-union-select", re: /\bunion\s+(?:all\s+|distinct\s+)?select\b/ },
  { kind: "sql_injection", name: "sqli-tautology", re: /['"`)]\s*(?:or|and|\|\||&&)\s+(?:['"`]?[\w.]+['"`]?\s*(?:=|<|>|like\s)\s*['"`]?[\w.]+|true\b|false\b)/ },
  { kind: "sql_injection", name: "sqli-quote-comment", re: /['"]\s*\)?\s*(?:--(?:\s|$)|#|\/\*)/ },
  { kind: "sql_injection", name: "sqli-timing", re: /\b(?:sleep|pg_sleep|benchmark)\s*\(\s*\d|\bwaitfor\s+delay\s+'/ },
  { kind: "sql_injection", name: "sqli-functions", re: /\b(?:extractvalue|updatexml|load_file)\s*\(|\binto\s+(?:out|dump)file\b/ },
  { kind: "sql_injection", name: "sqli-schema", re: /\binformation_schema\b|\bsysobjects\b|\bmysql\.user\b|\bpg_catalog\.|\bsqlite_master\b/ },
  { kind: "sql_injection", name: "sqli-stacked", re: /;\s*(?:drop\s+table|truncate\s+table|insert\s+into|delete\s+from|exec(?:ute)?\s+(?:xp_|sp_))/ },

  { kind: "xss", name: "xss-script-tag", re: /<\s*\/?\s*script\b/ },
  { kind: "xss", name: "xss-event-handler", re: /<[a-z][a-z0-9]*\b[^>]*\son[a-z]+\s*=/ },
  { kind: "xss", name: "xss-javascript-url", re: /(?:^|[=("'\s])javascript\s*:/ },
  { kind: "xss", name: "xss-dangerous-tag", re: /<\s*(?:iframe|svg|object|embed|img|body)\b[^>]*(?:src|data|onload|onerror)\s*=/ },
  { kind: "xss", name: "xss-sink", re: /\bdocument\.(?:cookie|domain|write)\b|\balert\s*\(|\bstring\.fromcharcode\s*\(/ },

  { kind: "command_injection", name: "cmd-chained", re: new RegExp(String.raw`(?:;|\||&&|\$\(|\x60)\s*${CMD}`) },
  { kind: "command_injection", name: "cmd-shell-path", re: /\/bin\/(?:ba|z|k|c|da)?sh\b|\bcmd(?:\.exe)?\s+\/c\b|\bpowershell(?:\.exe)?\s+-\w/ },
  { kind: "command_injection", name: "rce-php-call", re: /\b(?:passthru|shell_exec|system|popen|proc_open|eval|assert|base64_decode)\s*\(|\bphpinfo\s*\(|<\?php/ },
  { kind: "command_injection", name: "rce-php-object", re: /\bo:\d+:"\w+":\d+:\{/ },
  { kind: "command_injection", name: "rce-fetch-and-run", re: /\b(?:wget|curl)\s+(?:-\S+\s+)*(?:https?|ftp):\/\/[^\s]+.*(?:\|\s*(?:ba)?sh|chmod|;\s*\.\/)/ },
  { kind: "command_injection", name: "shellshock", re: /\(\)\s*\{\s*:\s*;\s*\}\s*;/, anyHeader: true },

  { kind: "path_traversal", name: "traversal-dot-dot", re: /(?:\.\.[/\\]){2,}/ },
  { kind: "path_traversal", name: "traversal-system-file", re: /\/etc\/(?:passwd|shadow|group|hosts)\b|\bwin\.ini\b|\bboot\.ini\b|\/proc\/self\/environ\b/ },

  { kind: "log4shell", name: "log4shell-jndi", re: /\$\{jndi:|\bjndi:(?:ldaps?|rmi|dns|iiop|corba|nds|nis|https?):\/\//, anyHeader: true },
];

/**
 * What every rule above needs somewhere in the text it reads (its punctuation or a keyword), tested
 * on the raw text before it is normalized: most request lines and header values have none of it,
 * and then no rule can match. Anything that normalizing could turn into such text (a percent
 * escape, "+", NUL, "${" folding, any non-ASCII character whose lower case is ASCII) counts as a
 * trigger, so the test only ever says "maybe" for text a rule might match. A new rule adds what it
 * needs here (a test checks every rule against its examples).
 */
const TRIGGERS = new RegExp(
  String.raw`['"\x60()<;|&$\{%+\0\x80-\uffff]|union|into|schema|sysobjects|mysql\.user|pg_catalog\.|sqlite_master|javascript|` +
    String.raw`document\.|cmd|powershell|/bin/|wget|curl|\.\.|/etc/|win\.ini|boot\.ini|/proc/self|jndi`,
  "i",
);

/** Whether any rule could match `raw` once normalized (false: none can; see TRIGGERS). */
export function mayMatchWebAttack(raw: string): boolean {
  return TRIGGERS.test(raw);
}

/** Rounds of percent-decoding: attackers double-encode ("%2527"); a third round is rarely needed. */
const DECODE_ROUNDS = 2;
/** Characters of request text inspected (nDPI looks at the first packets only, too). */
export const MAX_INSPECTED_CHARS = 4096;

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** Percent-decoding that never throws (bad escapes stay as they are); "+" is a space in query strings. */
function percentDecode(s: string): string {
  if (!s.includes("%") && !s.includes("+")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && hex(s.charCodeAt(i + 1)) >= 0 && hex(s.charCodeAt(i + 2)) >= 0) {
      out += String.fromCharCode(hex(s.charCodeAt(i + 1)) * 16 + hex(s.charCodeAt(i + 2)));
      i += 2;
    } else out += c === 0x2b ? " " : s[i];
  }
  return out;
}

/**
 * Request text as the rules read it: decoded, lower case, SQL comments and Log4j lookups that hide
 * keywords ("un/**\/ion", "${lower:j}ndi", "${::-j}") folded away, NULs dropped.
 */
export function normalizeRequestText(raw: string): string {
  let s = raw.slice(0, MAX_INSPECTED_CHARS);
  for (let i = 0; i < DECODE_ROUNDS; i++) s = percentDecode(s);
  s = s.toLowerCase().replaceAll("\0", "");
  s = s.replace(/\/\*.*?\*\//g, " ");
  // ${lower:x}, ${upper:x}, ${::-x}, ${env:NAME:-x} -> x (Log4j evaluates these before the lookup).
  for (let i = 0; i < 4 && s.includes("${"); i++) {
    const next = s.replace(/\$\{(?:lower|upper):([^${}]*)\}|\$\{[^${}:]*:[^${}]*:-([^${}]*)\}|\$\{::-([^${}]*)\}/g,
      (_m, a, b, c) => a ?? b ?? c ?? "");
    if (next === s) break;
    s = next;
  }
  return s.replace(/\s+/g, " ");
}

export interface WebAttackMatch {
  kind: WebAttackKind;
  rule: string;
  /** The matched text with a little context, for the evidence. */
  excerpt: string;
}

const EXCERPT_CONTEXT = 40;

/** The first rule of each kind that matches the normalized text. */
export function matchWebAttacks(normalized: string, headerOnly = false): WebAttackMatch[] {
  const out: WebAttackMatch[] = [];
  for (const r of WEB_ATTACK_RULES) {
    if (headerOnly && !r.anyHeader) continue;
    if (out.some((m) => m.kind === r.kind)) continue;
    const m = r.re.exec(normalized);
    if (!m) continue;
    const from = Math.max(0, m.index - EXCERPT_CONTEXT);
    out.push({ kind: r.kind, rule: r.name, excerpt: normalized.slice(from, m.index + m[0].length + EXCERPT_CONTEXT) });
  }
  return out;
}

/** Header names whose values are free text a client chose (rules of every kind apply there). */
export const INSPECTED_HEADERS = new Set(["user-agent", "referer", "x-forwarded-for"]);
