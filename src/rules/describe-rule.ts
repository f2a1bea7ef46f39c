import { type Rule, ruleId } from './rule-schema.js';

const n = (v: number): string => v.toLocaleString('en-US');

/**
 * A rule in plain words, without its support.
 *
 * @example
 * describeRule({ kind: 'max_count', code: 'RECURRENCE', max: 1, severity: 'hard', origin: 'mined' })
 * // => 'RECURRENCE occurs at most once'
 */
export function describeRule(rule: Rule): string {
  switch (rule.kind) {
    case 'required':
      return `every patient has ${rule.code}`;
    case 'first':
      return `${rule.code} is always the first event`;
    case 'day_range':
      return rule.min_day === rule.max_day
        ? `${rule.code} occurs only on day ${rule.min_day}`
        : rule.min_day === 0
          ? `${rule.code} never occurs after day ${rule.max_day}`
          : `${rule.code} occurs only on days ${rule.min_day}..${rule.max_day}`;
    case 'max_count':
      return rule.max === 1
        ? `${rule.code} occurs at most once`
        : `${rule.code} occurs at most ${rule.max} times`;
    case 'precedence':
      return `${rule.code} never occurs before the first ${rule.before}`;
    case 'exclusive':
      return `${rule.code} and ${rule.other} never occur in the same patient`;
    case 'code_requires_level':
      return `${rule.code} occurs only when ${rule.attribute} is ${rule.levels.join(' or ')}`;
    case 'level_requires_code':
      return `${rule.attribute} = ${rule.level} always has ${rule.code}`;
  }
}

/** What "at risk" means for a rule kind (for the support line). */
function atRiskWords(rule: Rule): string {
  switch (rule.kind) {
    case 'required':
      return 'patients';
    case 'first':
    case 'precedence':
      return `patients with ${rule.code}`;
    case 'day_range':
      return rule.min_day === rule.max_day
        ? `patients with ${rule.code}`
        : `patients followed beyond day ${rule.max_day}`;
    case 'max_count':
      return `patients with ${rule.max === 1 ? 'one' : rule.max}`;
    case 'exclusive':
      return 'patients in the smaller group';
    case 'code_requires_level':
      return `patients with another ${rule.attribute}`;
    case 'level_requires_code':
      return `patients with ${rule.attribute} = ${rule.level}`;
  }
}

/**
 * One line per rule: what it says, its support and how it is used, e.g.
 * "RECURRENCE occurs at most once: 468 of 468 patients with one keep it, 0 exceptions [hard, mined]".
 *
 * @example
 * describeRuleWithSupport(rule) // => 'every patient has DIAGNOSIS: 929 of 929 patients keep it, 0 exceptions [hard, mined]'
 */
export function describeRuleWithSupport(rule: Rule): string {
  const s = rule.support;
  const support = s
    ? `: ${n(s.at_risk - s.exceptions)} of ${n(s.at_risk)} ${atRiskWords(rule)} keep it, ${n(s.exceptions)} exception${s.exceptions === 1 ? '' : 's'}${s.expected_by_chance !== undefined ? ` (${s.expected_by_chance} expected by chance)` : ''}`
    : '';
  return `${describeRule(rule)}${support} [${rule.severity}, ${rule.origin}; ${ruleId(rule)}]`;
}
