import { compileRules, itemMatches, type RuleAttributeSpec } from './compile-rules.js';
import { describeRule } from './describe-rule.js';
import type { Rule } from './rule-schema.js';

/** A forced event (an intervention) as the rules see it. */
export interface ForcedEventSpec {
  readonly code: string;
  readonly day: number;
  /** Code prefixes the forced event stands in for (the model's own events of these codes are dropped). */
  readonly replaces?: readonly string[];
}

/** A forced event that would break a hard rule: which one, which rule, why. */
export interface ForcedEventConflict {
  /** Index of the forced event in the list given. */
  readonly index: number;
  readonly ruleId: string;
  readonly message: string;
}

/**
 * Checks forced events (a scenario's interventions) against the hard rules before any
 * patient is sampled: a forced code outside its `day_range`; a code allowed only with some
 * attribute levels (`code_requires_level`) while the attribute is not fixed to one of them
 * (`fixed`: the values the scenario sets); more forced events of an item than its
 * `max_count`, or as many while the model may still draw its own (no `replaces` covering
 * the item); forced codes of an `exclusive` pair; a `first` code forced after day 0.
 * Returns the conflicts (empty when none), each naming the rule.
 *
 * @example
 * checkForcedEvents(rules, [{ code: 'TREATMENT_START:Lev', day: 30 }], new Map(), codes, attributes)[0]?.message
 * // => "TREATMENT_START:Lev on day 30 breaks 'TREATMENT_START:* occurs only on day 0' (day_range:TREATMENT_START:*)"
 */
export function checkForcedEvents(
  rules: readonly Rule[],
  forced: readonly ForcedEventSpec[],
  fixed: ReadonlyMap<string, string | number>,
  codes: readonly string[],
  attributes: readonly RuleAttributeSpec[],
): ForcedEventConflict[] {
  const compiled = compileRules(rules, codes, attributes);
  const conflicts: ForcedEventConflict[] = [];
  const breaks = (index: number, r: { id: string; rule: Rule }, why: string) =>
    conflicts.push({
      index,
      ruleId: r.id,
      message: `${why} breaks '${describeRule(r.rule)}' (${r.id})`,
    });
  for (const r of compiled.rules) {
    if (!r.hard) continue;
    const inItem = (code: string) => itemMatches(r.rule.code, code);
    const members = forced.flatMap((f, k) => (inItem(f.code) ? [k] : []));
    if (members.length === 0 && r.kind !== 'exclusive') continue;
    const rule = r.rule;
    switch (rule.kind) {
      case 'day_range':
        for (const k of members) {
          const f = forced[k]!;
          if (f.day < rule.min_day || f.day > rule.max_day)
            breaks(k, r, `${f.code} on day ${f.day}`);
        }
        break;
      case 'first':
        for (const k of members) {
          if (forced[k]!.day > 0) breaks(k, r, `${forced[k]!.code} on day ${forced[k]!.day}`);
        }
        break;
      case 'code_requires_level': {
        const value = fixed.get(rule.attribute);
        if (value === undefined || !rule.levels.includes(String(value))) {
          const why =
            value === undefined
              ? `forcing ${forced[members[0]!]!.code} on every patient (${rule.attribute} is not set; add "set_attribute": {"${rule.attribute}": "${rule.levels[0]}"})`
              : `forcing ${forced[members[0]!]!.code} with ${rule.attribute} = ${value}`;
          breaks(members[0]!, r, why);
        }
        break;
      }
      case 'max_count': {
        const covered = (k: number) =>
          (forced[k]!.replaces ?? []).some((prefix) =>
            codes.every((c) => !itemMatches(rule.code, c) || c.startsWith(prefix)),
          );
        if (members.length > rule.max || (members.length === rule.max && !members.some(covered))) {
          breaks(
            members[members.length - 1]!,
            r,
            members.length > rule.max
              ? `${members.length} forced ${rule.code} events`
              : `forcing ${forced[members[0]!]!.code} while the model may draw its own (add "replaces": "${rule.code.replace(/\*$/, '')}")`,
          );
        }
        break;
      }
      case 'exclusive': {
        const a = forced.findIndex((f) => itemMatches(rule.code, f.code));
        const b = forced.findIndex((f) => itemMatches(rule.other, f.code));
        if (a >= 0 && b >= 0)
          breaks(Math.max(a, b), r, `forcing both ${forced[a]!.code} and ${forced[b]!.code}`);
        break;
      }
      default:
        break;
    }
  }
  return conflicts;
}
