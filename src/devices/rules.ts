/**
 * The classification rule table: every family of rules in one list, in the order they are read.
 * Add a rule by adding a row to the file of its family under rules/.
 */
import { DHCP_RULES } from "./rules/dhcp.ts";
import { MDNS_RULES, SSDP_RULES } from "./rules/discovery.ts";
import { HOSTNAME_RULES, OUI_RULES } from "./rules/names.ts";
import { AGENT_RULES, DOMAIN_RULES, STACK_RULES } from "./rules/traffic.ts";
import type { Rule } from "./rules/types.ts";

export type { Rule } from "./rules/types.ts";
export { AGENT_SIGNALS, HOSTNAME_SIGNALS, NAME_SIGNALS } from "./rules/types.ts";

export const RULES: readonly Rule[] = [
  ...OUI_RULES, ...DHCP_RULES, ...HOSTNAME_RULES, ...MDNS_RULES, ...SSDP_RULES,
  ...AGENT_RULES, ...DOMAIN_RULES, ...STACK_RULES,
];

/** Rules indexed by the signal they read (built once). */
export const RULES_BY_SIGNAL: ReadonlyMap<string, readonly Rule[]> = (() => {
  const map = new Map<string, Rule[]>();
  for (const rule of RULES) {
    for (const signal of typeof rule.on === "string" ? [rule.on] : rule.on) {
      let list = map.get(signal);
      if (!list) map.set(signal, (list = []));
      list.push(rule);
    }
  }
  return map;
})();

export function ruleMatches(rule: Rule, value: string): boolean {
  return typeof rule.match === "function" ? rule.match(value) : rule.match.test(value);
}

/**
 * Per signal, "does any rule match": the rules' regular expressions joined into one alternation
 * per flag set (one scan of the value instead of twenty; every name a device looks up is asked),
 * and the rules that cannot be joined (predicates, back-references, stateful flags) kept as they are.
 */
const ANY_RULE: ReadonlyMap<string, readonly ((value: string) => boolean)[]> = (() => {
  const map = new Map<string, ((value: string) => boolean)[]>();
  for (const [signal, rules] of RULES_BY_SIGNAL) {
    const byFlags = new Map<string, string[]>();
    const testers: ((value: string) => boolean)[] = [];
    for (const rule of rules) {
      const m = rule.match;
      if (typeof m !== "function" && joinable(m)) {
        let sources = byFlags.get(m.flags);
        if (!sources) byFlags.set(m.flags, (sources = []));
        sources.push(`(?:${m.source})`);
      } else {
        testers.push((value) => ruleMatches(rule, value));
      }
    }
    for (const [flags, sources] of byFlags) {
      const joined = new RegExp(sources.join("|"), flags);
      testers.unshift((value) => joined.test(value));
    }
    map.set(signal, testers);
  }
  return map;
})();

/** A pattern that means the same inside an alternation: no back-references or named groups, no lastIndex state. */
function joinable(re: RegExp): boolean {
  return !re.global && !re.sticky && !/\\[1-9]|\\k<|\(\?</.test(re.source);
}

/** True when some rule reads this signal and matches the value (used to keep only telling names). */
export function anyRuleMatches(signal: string, value: string): boolean {
  const testers = ANY_RULE.get(signal);
  if (testers === undefined) return false;
  for (const test of testers) if (test(value)) return true;
  return false;
}
