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

/** True when some rule reads this signal and matches the value (used to keep only telling names). */
export function anyRuleMatches(signal: string, value: string): boolean {
  const rules = RULES_BY_SIGNAL.get(signal);
  return rules !== undefined && rules.some((r) => ruleMatches(r, value));
}
