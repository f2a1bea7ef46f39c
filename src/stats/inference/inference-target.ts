/**
 * Inference targets (survival at a day, RMST, median, a Cox log hazard ratio; overall or the
 * difference between two levels of an attribute) estimated from a timeline, with one
 * influence value per patient row.
 */

import { TrajsimError } from '../../core/errors.js';
import type { Attribute, CategoricalAttribute, Timeline } from '../../timeline/types.js';
import { type CoxCovariate, coxDesign } from '../cox-design.js';
import { endpointTimes } from '../endpoints.js';
import { coxInfluence } from './cox-influence.js';
import {
  type InfluenceEstimate,
  medianInfluence,
  rmstInfluence,
  survivalInfluence,
} from './survival-influence.js';

/** What to estimate: S(days), RMST up to days, the median, or the Cox log HR of an attribute. */
export type InferenceTarget =
  | { readonly kind: 'survival'; readonly days: number }
  | { readonly kind: 'rmst'; readonly days: number }
  | { readonly kind: 'median' }
  | { readonly kind: 'hr'; readonly attribute: string };

/** A target with its endpoint, and optionally a contrast (B − A) or Cox adjustment. */
export interface InferenceQuery {
  readonly target: InferenceTarget;
  /** 'DEATH' (overall survival) or a code (time to its first occurrence). */
  readonly endpoint: string;
  /** A categorical attribute: the estimate is target(B) − target(A) (not with `hr`). */
  readonly by?: string;
  /**
   * [A, B]: the two levels of `by`; with `hr` and a categorical attribute, A is the reference
   * and the coefficient is B's.
   */
  readonly levels?: readonly [string, string];
  /** Other attributes in the Cox model (`hr` only). */
  readonly adjust?: readonly string[];
}

/**
 * Parses a target: `survival@DAYS`, `rmst@DAYS`, `median` or `hr:ATTRIBUTE`.
 *
 * @param spec - the target text.
 * @returns the parsed target.
 * @throws TrajsimError INVALID_ARGUMENT (field `target`) for anything else, or days that are
 *   not a number ≥ 0.
 * @example
 * parseInferenceTarget('survival@1095') // => { kind: 'survival', days: 1095 }
 * parseInferenceTarget('hr:rx') // => { kind: 'hr', attribute: 'rx' }
 */
export function parseInferenceTarget(spec: string): InferenceTarget {
  const s = spec.trim();
  if (s === 'median') return { kind: 'median' };
  if (s.startsWith('hr:') && s.length > 3) return { kind: 'hr', attribute: s.slice(3) };
  const m = /^(survival|rmst)@([0-9]+(?:\.[0-9]+)?)$/.exec(s);
  if (m) return { kind: m[1] as 'survival' | 'rmst', days: Number(m[2]) };
  throw new TrajsimError(
    'INVALID_ARGUMENT',
    `target '${spec}': expected survival@DAYS, rmst@DAYS, median or hr:ATTRIBUTE`,
    { field: 'target' },
  );
}

/**
 * A short label of a query, e.g. `survival@1095 (Lev+5FU − Obs)` or `hr:age | sex,stage`.
 *
 * @param q - the query.
 * @returns the label.
 * @example
 * describeQuery({ target: { kind: 'median' }, endpoint: 'DEATH' }) // => 'median'
 */
export function describeQuery(q: InferenceQuery): string {
  const t = q.target;
  let label =
    t.kind === 'median' ? 'median' : t.kind === 'hr' ? `hr:${t.attribute}` : `${t.kind}@${t.days}`;
  if (q.levels && t.kind !== 'hr') label += ` (${q.by}: ${q.levels[1]} − ${q.levels[0]})`;
  if (q.levels && t.kind === 'hr') label += ` (${q.levels[1]} vs ${q.levels[0]})`;
  if (q.adjust && q.adjust.length > 0) label += ` | ${q.adjust.join(',')}`;
  if (q.endpoint !== 'DEATH') label += ` [${q.endpoint}]`;
  return label;
}

/**
 * Estimates a query on a timeline, with its influence function per patient row (rows outside
 * the contrast's two levels, or with a missing Cox covariate, have influence 0).
 *
 * @param timeline - a timeline (real, synthetic or twins).
 * @param q - the query.
 * @returns the estimate (days for rmst/median, a probability for survival, a log hazard
 *   ratio for hr) and φ per patient row, Var ≈ Σ φ².
 * @throws TrajsimError INVALID_ARGUMENT for an unknown attribute or level, `--by` on a
 *   numeric attribute, `by` with `hr`, or an unknown endpoint code.
 * @example
 * estimateTarget(colon, { target: { kind: 'survival', days: 1095 }, endpoint: 'DEATH',
 *   by: 'rx', levels: ['Obs', 'Lev+5FU'] }).estimate // => ≈ 0.14 (3-year OS difference)
 */
export function estimateTarget(timeline: Timeline, q: InferenceQuery): InfluenceEstimate {
  const { time, status } = endpointTimes(timeline, q.endpoint);
  const n = time.length;
  const t = q.target;
  if (t.kind === 'hr') {
    if (q.by !== undefined) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        'hr:ATTRIBUTE takes no --by (give --levels A,B for the contrast)',
        {
          field: 'by',
        },
      );
    }
    return hazardRatio(timeline, time, status, t.attribute, q);
  }
  const one = (rows: Int32Array): InfluenceEstimate => {
    // An empty group (a level absent from this sample) has no estimate.
    if (rows.length === 0) return { estimate: Number.NaN, influence: new Float64Array(n) };
    const tt = Float64Array.from(rows, (r) => time[r] as number);
    const ss = Uint8Array.from(rows, (r) => status[r] as number);
    const r =
      t.kind === 'survival'
        ? survivalInfluence(tt, ss, t.days)
        : t.kind === 'rmst'
          ? rmstInfluence(tt, ss, t.days)
          : medianInfluence(tt, ss);
    const full = new Float64Array(n);
    rows.forEach((row, i) => {
      full[row] = r.influence[i] as number;
    });
    return { estimate: r.estimate, influence: full };
  };
  if (q.by === undefined) return one(Int32Array.from({ length: n }, (_, i) => i));
  if (!q.levels) {
    throw new TrajsimError('INVALID_ARGUMENT', `--by ${q.by} needs --levels A,B`, {
      field: 'levels',
    });
  }
  const attr = categorical(timeline, q.by, 'by');
  const [a, b] = q.levels.map((level) => rowsOfLevel(attr, level, timeline.name));
  const ea = one(a as Int32Array);
  const eb = one(b as Int32Array);
  const influence = new Float64Array(n);
  for (let i = 0; i < n; i++)
    influence[i] = (eb.influence[i] as number) - (ea.influence[i] as number);
  return { estimate: eb.estimate - ea.estimate, influence };
}

/** The attribute `name` of `t`; throws INVALID_ARGUMENT naming `field` and the attributes. */
function attributeNamed(t: Timeline, name: string, field: string): Attribute {
  const attr = t.patients.attributes.find((x) => x.name === name);
  if (!attr) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `${t.name}: no attribute '${name}'; attributes are ${t.patients.attributes.map((x) => x.name).join(', ')}`,
      { field },
    );
  }
  return attr;
}

function categorical(t: Timeline, name: string, field: string): CategoricalAttribute {
  const attr = attributeNamed(t, name, field);
  if (attr.kind !== 'categorical') {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `${t.name}: attribute '${name}' is numeric; expected a categorical attribute`,
      { field },
    );
  }
  return attr;
}

function rowsOfLevel(attr: CategoricalAttribute, level: string, timeline: string): Int32Array {
  const code = attr.levels.indexOf(level);
  if (code < 0) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `${timeline}: attribute '${attr.name}' has no level '${level}'; levels are ${attr.levels.join(', ')}`,
      { field: 'levels' },
    );
  }
  const rows: number[] = [];
  for (let i = 0; i < attr.codes.length; i++) if (attr.codes[i] === code) rows.push(i);
  return Int32Array.from(rows);
}

/** A categorical covariate restricted to the levels present (absent levels would be constant 0 columns). */
function presentLevels(attr: CategoricalAttribute, reference: string | undefined): CoxCovariate {
  const used = new Set<number>();
  for (const c of attr.codes) if (c >= 0) used.add(c);
  if (reference !== undefined) used.add(attr.levels.indexOf(reference));
  const kept = attr.levels.flatMap((level, code) => (used.has(code) ? [{ level, code }] : []));
  const remap = new Int32Array(attr.levels.length).fill(-1);
  kept.forEach((k, i) => {
    remap[k.code] = i;
  });
  return {
    name: attr.name,
    kind: 'categorical',
    levels: kept.map((k) => k.level),
    codes: Int32Array.from(attr.codes, (c) => (c < 0 ? -1 : (remap[c] as number))),
    ...(reference !== undefined ? { reference } : {}),
  };
}

function hazardRatio(
  timeline: Timeline,
  time: Float64Array,
  status: Uint8Array,
  attribute: string,
  q: InferenceQuery,
): InfluenceEstimate {
  const n = time.length;
  const covariate = (name: string, field: string, main: boolean): CoxCovariate => {
    const attr = attributeNamed(timeline, name, field);
    if (attr.kind === 'numeric') return { name, kind: 'numeric', values: attr.values };
    if (main && q.levels) {
      for (const level of q.levels) rowsOfLevel(attr, level, timeline.name);
      // Only the two levels of the contrast: other levels' rows are dropped (code -1).
      const [a, b] = q.levels.map((l) => attr.levels.indexOf(l));
      return {
        name,
        kind: 'categorical',
        levels: [q.levels[0], q.levels[1]],
        codes: Int32Array.from(attr.codes, (c) => (c === a ? 0 : c === b ? 1 : -1)),
        reference: q.levels[0],
      };
    }
    if (main && attr.levels.length !== 2) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `hr:${name}: '${name}' has ${attr.levels.length} levels; give --levels A,B (A the reference)`,
        { field: 'levels' },
      );
    }
    return presentLevels(attr, main ? attr.levels[0] : undefined);
  };
  const main = covariate(attribute, 'target', true);
  const adjust = (q.adjust ?? []).map((a) => covariate(a, 'adjust', false));
  const design = coxDesign([main, ...adjust]);
  const term =
    main.kind === 'numeric'
      ? attribute
      : `${attribute}${main.levels.find((l) => l !== (main.reference ?? main.levels[0]))}`;
  const rows = design.rows;
  const r = coxInfluence(
    Float64Array.from(rows, (i) => time[i] as number),
    Uint8Array.from(rows, (i) => status[i] as number),
    design,
    term,
  );
  const influence = new Float64Array(n);
  rows.forEach((row, i) => {
    influence[row] = r.influence[i] as number;
  });
  return { estimate: r.estimate, influence };
}
