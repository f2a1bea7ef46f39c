import { isTerminalCode } from '../timeline/types.js';
import { type Rule, ruleId } from './rule-schema.js';

/**
 * Rules compiled against one code dictionary and attribute schema: items as code-membership
 * tables, attributes and levels as indices. What the sampler's mask and the audit run on.
 */

/** The attribute schema a rule set is compiled against (categorical levels by name). */
export interface RuleAttributeSpec {
  readonly name: string;
  readonly kind: 'categorical' | 'numeric';
  readonly levels?: readonly string[];
}

/** One compiled rule. Item fields are indices into {@link CompiledRules.items}; -1 when unused. */
export interface CompiledRule {
  readonly rule: Rule;
  readonly id: string;
  readonly hard: boolean;
  readonly kind: Rule['kind'];
  /** The item the rule is about (`code`). */
  readonly item: number;
  /** precedence: `before`; exclusive: `other`. */
  readonly other: number;
  readonly max: number;
  readonly minDay: number;
  readonly maxDay: number;
  /** Index of the attribute in the schema; -1 when the schema lacks it (rule not checkable). */
  readonly attribute: number;
  /** Per level of the attribute: 1 when allowed (code_requires_level) or the required level (level_requires_code). */
  readonly levels: Uint8Array;
  /** Obligations (required, level_requires_code): the last day the item may come (Infinity when free). */
  readonly deadline: number;
  /** False when the rule cannot be checked on this schema (an unknown attribute or level). */
  readonly checkable: boolean;
}

export interface CompiledRules {
  readonly codes: readonly string[];
  readonly terminal: Uint8Array;
  /** Item patterns (`RECURRENCE`, `TREATMENT_START:*`) and, per item, 1 for each member code. */
  readonly items: readonly { readonly pattern: string; readonly member: Uint8Array }[];
  /** Per code: the items it belongs to. */
  readonly itemsOfCode: readonly (readonly number[])[];
  readonly rules: readonly CompiledRule[];
  /** Per code: indices of the rules an occurrence of it may break. */
  readonly rulesOfCode: readonly (readonly number[])[];
  /** Indices of the rules a patient must fulfil before its terminal event. */
  readonly obligations: readonly number[];
}

/**
 * True when `code` belongs to the item `pattern` (an exact code, or a prefix ending in `*`).
 *
 * @example
 * itemMatches('TREATMENT_START:*', 'TREATMENT_START:Lev') // => true
 */
export function itemMatches(pattern: string, code: string): boolean {
  return pattern.endsWith('*') ? code.startsWith(pattern.slice(0, -1)) : code === pattern;
}

/**
 * Compiles rules against a code dictionary and an attribute schema. Codes a rule names but
 * the dictionary lacks simply never occur; a rule on an attribute (or level) the schema lacks
 * is kept but marked not checkable (it is neither enforced nor audited).
 *
 * @example
 * compileRules([{ kind: 'max_count', code: 'RECURRENCE', max: 1, severity: 'hard', origin: 'mined' }],
 *   ['DIAGNOSIS', 'RECURRENCE', 'DEATH'], []).rulesOfCode[1] // => [0]
 */
export function compileRules(
  rules: readonly Rule[],
  codes: readonly string[],
  attributes: readonly RuleAttributeSpec[],
): CompiledRules {
  const V = codes.length;
  const items: { pattern: string; member: Uint8Array }[] = [];
  const itemIndex = new Map<string, number>();
  const itemOf = (pattern: string): number => {
    let k = itemIndex.get(pattern);
    if (k === undefined) {
      k = items.length;
      const member = new Uint8Array(V);
      codes.forEach((c, i) => {
        if (itemMatches(pattern, c)) member[i] = 1;
      });
      items.push({ pattern, member });
      itemIndex.set(pattern, k);
    }
    return k;
  };
  const compiled: CompiledRule[] = rules.map((rule) => {
    const item = itemOf(rule.code);
    let other = -1;
    let max = Number.POSITIVE_INFINITY;
    let minDay = 0;
    let maxDay = Number.POSITIVE_INFINITY;
    let attribute = -1;
    let levels = new Uint8Array(0);
    let checkable = true;
    if (rule.kind === 'precedence') other = itemOf(rule.before);
    if (rule.kind === 'exclusive') other = itemOf(rule.other);
    if (rule.kind === 'max_count') max = rule.max;
    if (rule.kind === 'day_range') {
      minDay = rule.min_day;
      maxDay = rule.max_day;
    }
    if (rule.kind === 'code_requires_level' || rule.kind === 'level_requires_code') {
      attribute = attributes.findIndex((a) => a.name === rule.attribute);
      const spec = attributes[attribute];
      const known = spec?.kind === 'categorical' ? (spec.levels ?? []) : undefined;
      if (!known) {
        checkable = false;
        attribute = -1;
      } else {
        levels = new Uint8Array(known.length);
        const wanted = rule.kind === 'code_requires_level' ? rule.levels : [rule.level];
        for (const l of wanted) {
          const at = known.indexOf(l);
          if (at >= 0) levels[at] = 1;
          else if (rule.kind === 'level_requires_code') checkable = false;
        }
      }
    }
    return {
      rule,
      id: ruleId(rule),
      hard: rule.severity === 'hard' && checkable,
      kind: rule.kind,
      item,
      other,
      max,
      minDay,
      maxDay,
      attribute,
      levels,
      deadline: Number.POSITIVE_INFINITY,
      checkable,
    };
  });
  // An obligation's deadline: the last day its item may occur (from hard day_range rules).
  const withDeadlines = compiled.map((r) => {
    if (r.kind !== 'required' && r.kind !== 'level_requires_code') return r;
    let deadline = Number.POSITIVE_INFINITY;
    for (const d of compiled) {
      if (d.kind === 'day_range' && d.hard && d.item === r.item)
        deadline = Math.min(deadline, d.maxDay);
    }
    return { ...r, deadline };
  });
  const terminal = new Uint8Array(V);
  codes.forEach((c, i) => {
    if (isTerminalCode(c)) terminal[i] = 1;
  });
  const itemsOfCode = codes.map((_, c) => items.flatMap((it, k) => (it.member[c] ? [k] : [])));
  const rulesOfCode = codes.map((_, c) =>
    withDeadlines.flatMap((r, k) => {
      if (!r.checkable) return [];
      const inItem = items[r.item]!.member[c] === 1;
      const inOther = r.other >= 0 && items[r.other]!.member[c] === 1;
      switch (r.kind) {
        case 'required':
        case 'level_requires_code':
          return [];
        case 'exclusive':
          return inItem || inOther ? [k] : [];
        default:
          return inItem ? [k] : [];
      }
    }),
  );
  const obligations = withDeadlines.flatMap((r, k) =>
    r.checkable && (r.kind === 'required' || r.kind === 'level_requires_code') ? [k] : [],
  );
  return { codes, terminal, items, itemsOfCode, rules: withDeadlines, rulesOfCode, obligations };
}
