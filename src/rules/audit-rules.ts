import type { Timeline } from '../timeline/types.js';
import { compileRules } from './compile-rules.js';
import { describeRule } from './describe-rule.js';
import type { Rule } from './rule-schema.js';
import { RuleState } from './rule-state.js';

/** Example patient ids kept per rule. */
export const AUDIT_EXAMPLES = 5;

/** Violations of one rule in one timeline (mergeable across shards with {@link mergeRuleAudits}). */
export interface RuleAuditCount {
  readonly id: string;
  /** Patients checked (0 when the rule is not checkable on this timeline's schema). */
  patients: number;
  /** Patients breaking the rule at least once. */
  violating: number;
  /** The first {@link AUDIT_EXAMPLES} violating patient ids, in timeline order. */
  readonly examples: string[];
}

/** The audit of a rule list on one timeline, in rule order. */
export interface RuleAudit {
  readonly rules: readonly Rule[];
  readonly counts: readonly RuleAuditCount[];
}

/**
 * Checks every patient of a timeline against rules (hard and soft) by replaying its events
 * through the same state machine the sampler's mask uses, and counts the patients breaking
 * each rule, with example ids. Works on any timeline (another tool's output too): codes it
 * lacks never occur; a rule on an attribute it lacks is not checked (patients 0). Obligations
 * (required codes) are checked at the end of each patient. `examples` ids are kept per rule
 * (default {@link AUDIT_EXAMPLES}).
 *
 * @example
 * auditRules(timeline, rules.rules).counts[0] // => { id: 'required:DIAGNOSIS', patients: 929, violating: 0, examples: [] }
 */
export function auditRules(
  timeline: Timeline,
  rules: readonly Rule[],
  options: { readonly examples?: number } = {},
): RuleAudit {
  const keep = options.examples ?? AUDIT_EXAMPLES;
  const attrs = timeline.patients.attributes;
  const compiled = compileRules(
    rules,
    timeline.events.codes,
    attrs.map((a) =>
      a.kind === 'categorical'
        ? { name: a.name, kind: a.kind, levels: a.levels }
        : { name: a.name, kind: a.kind },
    ),
  );
  const state = new RuleState(compiled, 1, attrs.length);
  const R = compiled.rules.length;
  const counts: RuleAuditCount[] = compiled.rules.map((r) => ({
    id: r.id,
    patients: r.checkable ? timeline.patients.ids.length : 0,
    violating: 0,
    examples: [],
  }));
  const values = new Float64Array(attrs.length);
  const broken = new Int32Array(Math.max(1, R));
  const hit = new Uint8Array(R);
  const { offsets } = timeline;
  const { code, day } = timeline.events;
  const P = timeline.patients.ids.length;
  for (let p = 0; p < P; p++) {
    attrs.forEach((a, j) => {
      values[j] = a.kind === 'categorical' ? a.codes[p]! : Number.NaN;
    });
    state.reset(0, values, 0);
    hit.fill(0);
    for (let e = offsets[p]!; e < offsets[p + 1]!; e++) {
      const n = state.broken(0, code[e]!, day[e]!, broken, false);
      for (let j = 0; j < n; j++) hit[broken[j]!] = 1;
      state.observe(0, code[e]!, day[e]!);
    }
    for (const r of compiled.obligations) if (state.pending(0, r)) hit[r] = 1;
    for (let r = 0; r < R; r++) {
      if (hit[r] !== 1) continue;
      const c = counts[r]!;
      c.violating++;
      if (c.examples.length < keep) c.examples.push(timeline.patients.ids[p]!);
    }
  }
  return { rules, counts };
}

/**
 * Adds the audit of the next shard into `into` (same rules, shards in order).
 *
 * @example
 * const total = auditRules(shard0, rules); mergeRuleAudits(total, auditRules(shard1, rules));
 */
export function mergeRuleAudits(into: RuleAudit, next: RuleAudit): void {
  next.counts.forEach((c, r) => {
    const t = into.counts[r]!;
    t.patients += c.patients;
    t.violating += c.violating;
    for (const id of c.examples) if (t.examples.length < AUDIT_EXAMPLES) t.examples.push(id);
  });
}

/**
 * One line per rule with violations.
 *
 * @example
 * auditLines(auditRules(synthetic, rules))
 * // => ['RECURRENCE occurs at most once: broken by 8 of 2000 patients (S0000110, ...)']
 */
export function auditLines(audit: RuleAudit): string[] {
  return audit.counts.flatMap((c, r) =>
    c.violating > 0
      ? [
          `${describeRule(audit.rules[r]!)}: broken by ${c.violating} of ${c.patients} patients (${c.examples.join(', ')})`,
        ]
      : [],
  );
}
