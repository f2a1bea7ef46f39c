import { z } from 'zod';

/**
 * Plausibility rules: the typed records of rules.json (mined from a real timeline, stored in
 * a model folder) and of a user's rule edits (add, remove, relax). Validated with zod at the
 * edge; `schema/rules.schema.json` and `schema/rule-edits.schema.json` are generated from
 * these schemas.
 *
 * A rule names codes by an *item*: an exact code (`RECURRENCE`) or a code family, a prefix
 * ending in `*` (`TREATMENT_START:*` = every code that starts with `TREATMENT_START:`).
 */

/** rules.json's format version; a reader refuses other versions. */
export const RULES_FORMAT_VERSION = 1;

const item = z
  .string()
  .min(1)
  .describe('an event code, or a code family: a prefix ending in * (e.g. "TREATMENT_START:*")');

const support = z
  .object({
    patients: z
      .number()
      .int()
      .nonnegative()
      .describe('patients in the timeline the rule was mined from'),
    at_risk: z
      .number()
      .int()
      .nonnegative()
      .describe(
        'patients who could have broken the rule (e.g. those with the code, for "at most once")',
      ),
    exceptions: z.number().int().nonnegative().describe('patients at risk who broke it'),
    expected_by_chance: z
      .number()
      .nonnegative()
      .optional()
      .describe('exceptions expected if codes and attributes were independent (association rules)'),
  })
  .strict();

const common = {
  id: z.string().min(1).optional().describe('stable id (default: derived from the rule)'),
  severity: z
    .enum(['hard', 'soft'])
    .default('hard')
    .describe('hard: enforced while sampling and gated in validation; soft: audited only'),
  origin: z.enum(['mined', 'user']).default('user'),
  support: support.optional(),
};

/** One rule; `code` is the item the rule is about. */
export const ruleSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('required'),
      code: item.describe('present in every patient'),
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal('first'),
      code: item.describe('when present, its first occurrence is the patient’s first event'),
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal('max_count'),
      code: item,
      max: z.number().int().nonnegative().describe('most occurrences per patient'),
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal('day_range'),
      code: item,
      min_day: z.number().int().nonnegative().describe('never before this day (days since index)'),
      max_day: z.number().int().nonnegative().describe('never after this day'),
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal('precedence'),
      before: item.describe('this item must have occurred...'),
      code: item.describe('...before the first occurrence of this one'),
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal('exclusive'),
      code: item,
      other: item.describe('never in the same patient as code'),
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal('code_requires_level'),
      code: item,
      attribute: z.string().min(1).describe('a categorical attribute'),
      levels: z
        .array(z.string())
        .min(1)
        .describe('the code occurs only in patients with one of these levels'),
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal('level_requires_code'),
      attribute: z.string().min(1).describe('a categorical attribute'),
      level: z.string().describe('patients with this level...'),
      code: item.describe('...always have this item'),
      ...common,
    })
    .strict(),
]);

/** How rules were mined (recorded in rules.json). */
const miningCriteria = z
  .object({
    min_at_risk: z.number().int().positive(),
    min_expected_by_chance: z.number().nonnegative(),
    tolerance: z.number().min(0).max(1),
  })
  .strict();

/** rules.json: the rules of a model folder (or mined from a timeline). */
export const ruleSetSchema = z
  .object({
    $schema: z.string().optional(),
    format: z.literal('trajsim-rules'),
    format_version: z.literal(RULES_FORMAT_VERSION),
    source: z
      .object({
        name: z.string(),
        patients: z.number().int().nonnegative(),
        content_hash: z.string(),
      })
      .strict()
      .describe('the timeline the rules were mined from'),
    criteria: miningCriteria.optional(),
    rules: z.array(ruleSchema),
  })
  .strict();

/** A relaxation: the rule becomes soft (audited, never enforced or gated). */
const relaxSchema = z.union([
  z.string().min(1).describe('id of a rule to make soft'),
  z
    .object({
      id: z.string().min(1),
      max: z.number().int().nonnegative().optional().describe('max_count: a new maximum'),
      min_day: z.number().int().nonnegative().optional().describe('day_range: a new first day'),
      max_day: z.number().int().nonnegative().optional().describe('day_range: a new last day'),
    })
    .strict()
    .describe('id of a rule and its new bounds (it stays hard)'),
]);

/** A user's edits of a rule set: `--rules FILE` and a scenario's `rules` key. */
export const ruleEditsSchema = z
  .object({
    $schema: z.string().optional(),
    add: z.array(ruleSchema).default([]).describe('rules to add (hard unless severity says soft)'),
    remove: z.array(z.string().min(1)).default([]).describe('ids of rules to drop'),
    relax: z.array(relaxSchema).default([]).describe('rules to make soft, or to loosen'),
  })
  .strict();

export type Rule = z.output<typeof ruleSchema>;
export type RuleInput = z.input<typeof ruleSchema>;
export type RuleKind = Rule['kind'];
export type RuleSupport = z.output<typeof support>;
export type RuleSet = z.output<typeof ruleSetSchema>;
export type RuleEdits = z.output<typeof ruleEditsSchema>;
export type MiningCriteria = z.output<typeof miningCriteria>;

/**
 * The stable id of a rule: its `id` when given, else kind and items, e.g.
 * `max_count:RECURRENCE`, `precedence:TREATMENT_START:*>RECURRENCE`.
 *
 * @example
 * ruleId({ kind: 'required', code: 'DIAGNOSIS', severity: 'hard', origin: 'mined' }) // => 'required:DIAGNOSIS'
 */
export function ruleId(rule: Rule): string {
  if (rule.id !== undefined) return rule.id;
  switch (rule.kind) {
    case 'precedence':
      return `precedence:${rule.before}>${rule.code}`;
    case 'exclusive':
      return `exclusive:${rule.code}|${rule.other}`;
    case 'code_requires_level':
      return `code_requires_level:${rule.code}@${rule.attribute}`;
    case 'level_requires_code':
      return `level_requires_code:${rule.attribute}=${rule.level}>${rule.code}`;
    default:
      return `${rule.kind}:${rule.code}`;
  }
}

/**
 * The published JSON Schemas of rules.json and of a rule edits file
 * (scripts/write-rules-schema.mjs writes them to schema/).
 *
 * @example
 * rulesJsonSchemas().edits.type // => 'object'
 */
export function rulesJsonSchemas(): {
  rules: Record<string, unknown>;
  edits: Record<string, unknown>;
} {
  return {
    rules: z.toJSONSchema(ruleSetSchema, { io: 'input' }) as Record<string, unknown>,
    edits: z.toJSONSchema(ruleEditsSchema, { io: 'input' }) as Record<string, unknown>,
  };
}
