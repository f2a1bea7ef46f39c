import { z } from 'zod';
import { parseIsoDay } from '../core/days.js';
import { ruleEditsSchema } from '../rules/rule-schema.js';

/**
 * The scenario file (`scenarios/*.json`): what cohort to generate. Validated with zod at the
 * edge; `schema/scenario.schema.json` is generated from this schema for editors.
 */

const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(parseIsoDay(s)), { message: 'expected a calendar date YYYY-MM-DD' });

const numericDistribution = z
  .object({
    distribution: z
      .enum(['normal', 'uniform', 'lognormal'])
      .describe('shape of the numeric distribution'),
    mean: z.number().optional().describe('normal: mean; lognormal: mean of log(x)'),
    sd: z
      .number()
      .positive()
      .optional()
      .describe('normal: standard deviation; lognormal: sd of log(x)'),
    min: z
      .number()
      .optional()
      .describe('lower bound (inclusive); values are redrawn (truncated) to stay inside'),
    max: z.number().optional().describe('upper bound (inclusive)'),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.distribution !== 'uniform' && (d.mean === undefined || d.sd === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: `${d.distribution} needs mean and sd`,
        path: [d.mean === undefined ? 'mean' : 'sd'],
      });
    }
    if (d.distribution === 'uniform' && (d.min === undefined || d.max === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'uniform needs min and max', path: ['min'] });
    }
    if (d.min !== undefined && d.max !== undefined && d.min > d.max) {
      ctx.addIssue({
        code: 'custom',
        message: `min ${d.min} is greater than max ${d.max}`,
        path: ['min'],
      });
    }
  });

/** Request for one attribute. */
export const attributeRequestSchema = z.union([
  z.literal('as_trained').describe('follow the model’s fitted joint distribution (the default)'),
  z.string().describe('a fixed categorical level'),
  z.number().describe('a fixed numeric value'),
  z
    .object({ weights: z.record(z.string(), z.number().nonnegative()) })
    .strict()
    .describe('categorical levels with relative weights'),
  numericDistribution,
]);

/** One inclusion criterion on the generated trajectory; a patient is kept when all hold. */
export const criterionSchema = z.union([
  z
    .object({
      code: z.string().min(1).describe('an event code the patient must have'),
      within_days: z.number().int().nonnegative().optional().describe('...on or before this day'),
      after_days: z.number().int().nonnegative().optional().describe('...on or after this day'),
      value_above: z
        .number()
        .optional()
        .describe(
          '...with a value strictly greater than this (data units; events without a value never match; the code must be a valued code of the model)',
        ),
      value_below: z
        .number()
        .optional()
        .describe('...with a value strictly less than this (data units; both: an open interval)'),
    })
    .strict()
    .refine(
      (c) =>
        c.value_above === undefined || c.value_below === undefined || c.value_above < c.value_below,
      { message: 'value_above must be less than value_below', path: ['value_above'] },
    ),
  z
    .object({
      not_code: z.string().min(1).describe('an event code the patient must not have'),
      within_days: z.number().int().nonnegative().optional().describe('...on or before this day'),
    })
    .strict(),
  z
    .object({
      min_events: z.number().int().nonnegative().optional(),
      max_events: z.number().int().positive().optional(),
    })
    .strict()
    .refine((c) => c.min_events !== undefined || c.max_events !== undefined, {
      message: 'give min_events, max_events or both',
    }),
]);

/** A forced event (a what-if): the code happens at `day` for every patient. */
export const interventionSchema = z
  .object({
    code: z.string().min(1).describe('the event code to force'),
    day: z.number().int().nonnegative().default(0).describe('day since index date'),
    replaces: z
      .string()
      .optional()
      .describe(
        'code prefix whose model-sampled events on that day are dropped (e.g. "TREATMENT:")',
      ),
    set_attribute: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .optional()
      .describe('attribute values the intervention implies (e.g. {"rx": "Lev+5FU"})'),
    value: z
      .number()
      .finite()
      .optional()
      .describe("the forced event's value in data units (e.g. a lab result); absent: none"),
  })
  .strict();

export const scenarioSchema = z
  .object({
    $schema: z.string().optional(),
    name: z
      .string()
      .min(1)
      .max(200)
      // a label (spaces allowed); never used as a file name as it is
      .regex(/^\P{Cc}+$/u, 'a label without control characters'),
    description: z.string().optional(),
    patients: z
      .number()
      .int()
      .positive()
      .max(1e9)
      .describe('how many patients to generate (after criteria)'),
    seed: z
      .union([z.number().int(), z.string().min(1)])
      .describe('the seed every random choice flows from'),
    model: z
      .string()
      .optional()
      .describe('model directory (default: the --model flag, else models/default)'),
    index_date: z
      .object({ from: isoDate, to: isoDate })
      .strict()
      .refine((w) => parseIsoDay(w.from) <= parseIsoDay(w.to), {
        message: 'from is after to',
        path: ['from'],
      })
      .optional()
      .describe(
        'calendar window of index dates, drawn uniformly (default: the training data’s range)',
      ),
    attributes: z.record(z.string(), attributeRequestSchema).default({}),
    criteria: z.array(criterionSchema).default([]),
    interventions: z.array(interventionSchema).default([]),
    horizon_days: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('administrative censoring: END_OF_FOLLOWUP at this day at the latest'),
    rules: ruleEditsSchema
      .omit({ $schema: true })
      .optional()
      .describe(
        'edits of the model’s plausibility rules for this scenario: add, remove (ids) or relax (ids → soft, or new bounds)',
      ),
    min_acceptance_rate: z
      .number()
      .min(
        1e-6,
        'expected at least 1e-6 (one accepted candidate in a million); a lower rate would run for days',
      )
      .max(1)
      .default(0.001)
      .describe(
        'refuse when the criteria accept fewer candidates than this (estimated on a pilot batch)',
      ),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type AttributeRequest = z.output<typeof attributeRequestSchema>;
export type Criterion = z.output<typeof criterionSchema>;
export type Intervention = z.output<typeof interventionSchema>;

/**
 * The published JSON Schema of scenario files.
 *
 * @example
 * scenarioJsonSchema().type // => 'object'
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scenarioSchema, { io: 'input' }) as Record<string, unknown>;
}
