/**
 * Survival statistics of one timeline split by an attribute: Kaplan–Meier per group, the
 * log-rank test across groups and a Cox model on named attributes — what `trajsim stats`
 * prints, as library functions.
 */

import { TrajsimError } from '../core/errors.js';
import type { Timeline } from '../timeline/types.js';
import { type CoxCovariate, coxDesign } from './cox-design.js';
import { type CoxResult, coxPh } from './cox-ph.js';
import { endpointTimes } from './endpoints.js';
import { type KaplanMeierResult, kaplanMeier } from './kaplan-meier.js';
import { logRankTest } from './log-rank.js';
import { restrictedMean } from './restricted-mean.js';

/** A numeric attribute stratifies only with at most this many distinct values (as a factor). */
export const MAX_NUMERIC_STRATA = 10;

/** Patients grouped by an attribute: `ids[p]` indexes `names`, −1 for a missing value. */
export interface AttributeGroups {
  readonly names: readonly string[];
  readonly ids: Int32Array;
}

/**
 * Groups the patients of a timeline by an attribute, as R's `survdiff`/`survfit` strata: a
 * categorical attribute by its levels (dictionary order), a numeric one by its distinct values
 * (ascending, named as JavaScript prints them) when it has at most {@link MAX_NUMERIC_STRATA};
 * missing values get −1 (R drops NA strata). Without `by`, every patient is in group 'all'.
 *
 * @param timeline - the timeline whose patients are grouped.
 * @param by - an attribute name, or undefined for one group.
 * @returns the group `names` and per-patient group `ids`.
 * @throws TrajsimError INVALID_ARGUMENT (field 'by') for an unknown attribute (listing the
 *   attributes) or a numeric attribute with more than {@link MAX_NUMERIC_STRATA} distinct values.
 * @example
 * // numeric attribute treated = [1, 0, NaN, 1]
 * groupByAttribute(timeline, 'treated') // => { names: ['0', '1'], ids: Int32Array [1, 0, -1, 1] }
 */
export function groupByAttribute(timeline: Timeline, by: string | undefined): AttributeGroups {
  const n = timeline.patients.ids.length;
  if (by === undefined) return { names: ['all'], ids: new Int32Array(n) };
  const attr = timeline.patients.attributes.find((a) => a.name === by);
  if (!attr) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `no attribute '${by}' in timeline ${timeline.name}; attributes are ${timeline.patients.attributes.map((a) => a.name).join(', ')}`,
      { field: 'by' },
    );
  }
  if (attr.kind === 'categorical') return { names: [...attr.levels], ids: attr.codes };
  const distinct = [...new Set(Array.from(attr.values).filter((v) => !Number.isNaN(v)))].sort(
    (a, b) => a - b,
  );
  if (distinct.length > MAX_NUMERIC_STRATA) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `attribute '${by}' is numeric with ${distinct.length} distinct values; expected a categorical attribute or at most ${MAX_NUMERIC_STRATA} distinct values`,
      { field: 'by' },
    );
  }
  const index = new Map(distinct.map((v, i) => [v, i]));
  const ids = Int32Array.from(attr.values, (v) => index.get(v) ?? -1);
  return { names: distinct.map(String), ids };
}

function subset<T extends Float64Array | Uint8Array>(a: T, ids: Int32Array, g: number): T {
  let n = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] === g) n++;
  const out = a.slice(0, n) as T;
  for (let i = 0, k = 0; i < ids.length; i++) if (ids[i] === g) out[k++] = a[i]!;
  return out;
}

/** Options of {@link kmByGroup}. */
export interface KmByGroupOptions {
  /** 'DEATH' (overall survival) or a code (time to its first occurrence). */
  readonly endpoint: string;
  /** The attribute to stratify by (see {@link groupByAttribute}); undefined for one curve. */
  readonly by?: string | undefined;
  /** RMST truncation time τ in days; default the smallest of the groups' largest times. */
  readonly rmstTauDays?: number | undefined;
}

/** One group's curve in {@link kmByGroup}. */
export interface KmGroup {
  readonly group: string;
  /** Patients in the group (R's `n`; survfit's `n.risk[1]` only when nobody leaves before the first time). */
  readonly n: number;
  /** The group's largest observed time in days (its follow-up). */
  readonly maxTimeDays: number;
  readonly km: KaplanMeierResult;
  readonly rmst: { tau: number; value: number; se: number };
}

/**
 * Kaplan–Meier curves (Greenwood variance, log-transformed 95% CIs, as `survfit`) per group of
 * an attribute, each with its restricted mean survival time at one τ common to all groups.
 * Groups without patients are left out.
 *
 * @param timeline - the timeline.
 * @param options - endpoint, grouping attribute and τ (days).
 * @returns the groups, and `tauBeyondFollowUp`: the names of groups whose largest time is
 *   below τ (their RMST carries the last value of the curve flat to τ: an extrapolation).
 * @throws TrajsimError INVALID_ARGUMENT from {@link groupByAttribute} and `endpointTimes`
 *   (unknown attribute or endpoint code).
 * @example
 * // 4 patients, DEATH on days 1, 2, 3, 4
 * kmByGroup(timeline, { endpoint: 'DEATH', rmstTauDays: 2 }).groups[0].rmst
 * // => { tau: 2, value: 1.75, se: 0.21650635094610965 }
 */
export function kmByGroup(
  timeline: Timeline,
  options: KmByGroupOptions,
): { groups: KmGroup[]; tauDays: number; tauBeyondFollowUp: string[] } {
  const { time, status } = endpointTimes(timeline, options.endpoint);
  const { names, ids } = groupByAttribute(timeline, options.by);
  const present = names
    .map((name, g) => ({ name, time: subset(time, ids, g), status: subset(status, ids, g) }))
    .filter((g) => g.time.length > 0)
    .map((g) => ({ ...g, maxTimeDays: g.time.reduce((m, v) => Math.max(m, v), 0) }));
  // Default τ: the smallest of the groups' largest follow-up times (a τ every group reaches).
  const tauDays = options.rmstTauDays ?? Math.min(...present.map((g) => g.maxTimeDays));
  const groups = present.map((g) => {
    const km = kaplanMeier(g.time, g.status);
    return {
      group: g.name,
      n: g.time.length,
      maxTimeDays: g.maxTimeDays,
      km,
      rmst: restrictedMean(km, tauDays),
    };
  });
  const tauBeyondFollowUp = groups.filter((g) => g.maxTimeDays < tauDays).map((g) => g.group);
  return { groups, tauDays, tauBeyondFollowUp };
}

/**
 * The log-rank (Mantel–Cox) test of equal survival across the groups of an attribute, as
 * `survdiff(Surv(time, status) ~ by)`; patients with a missing value are left out, as R drops
 * NA strata.
 *
 * @param timeline - the timeline.
 * @param options - endpoint and the grouping attribute.
 * @returns the chi-square statistic, its degrees of freedom and p-value, and the group names.
 * @throws TrajsimError INVALID_ARGUMENT from {@link groupByAttribute}, `endpointTimes` and
 *   `logRankTest` (a singular variance, e.g. one group only).
 * @example
 * // colon, OS by rx (Obs, Lev, Lev+5FU), as survdiff
 * logRankByAttribute(colon, { endpoint: 'DEATH', by: 'rx' })
 * // => { chisq: 11.683…, df: 2, p: 0.002904…, groups: ['Lev', 'Lev+5FU', 'Obs'] }
 */
export function logRankByAttribute(
  timeline: Timeline,
  options: { readonly endpoint: string; readonly by: string },
): { chisq: number; df: number; p: number; groups: readonly string[] } {
  const { time, status } = endpointTimes(timeline, options.endpoint);
  const { names, ids } = groupByAttribute(timeline, options.by);
  const keep: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i]! >= 0) keep.push(i);
  const test = logRankTest(
    keep.map((i) => time[i]!),
    keep.map((i) => status[i]!),
    keep.map((i) => ids[i]!),
  );
  return { chisq: test.chisq, df: test.df, p: test.p, groups: names };
}

/** Options of {@link coxByAttributes}. */
export interface CoxByAttributesOptions {
  /** 'DEATH' (overall survival) or a code (time to its first occurrence). */
  readonly endpoint: string;
  /** The attributes of the model, in term order. */
  readonly covariates: readonly string[];
  /** Reference level per categorical attribute; default its first level in code-unit order. */
  readonly references?: ReadonlyMap<string, string>;
}

/**
 * A Cox proportional hazards model (Efron ties, as `coxph`) of an endpoint on attributes of a
 * timeline: numeric attributes as is, categorical ones as treatment contrasts against a
 * reference level; patients with any missing covariate are dropped (na.omit).
 *
 * @param timeline - the timeline.
 * @param options - endpoint, covariate names and chosen reference levels.
 * @returns the fit and, per categorical covariate, the reference level it is contrasted with.
 * @throws TrajsimError INVALID_ARGUMENT (field 'covariates' or 'reference') for no covariates,
 *   an unknown attribute, a reference for an attribute that is not a categorical covariate of
 *   the model or that is not one of its levels; and what `coxDesign`/`coxPh` throw.
 * @example
 * coxByAttributes(colon, { endpoint: 'DEATH', covariates: ['rx'], references: new Map([['rx', 'Obs']]) })
 * // => { fit: { terms: [{ term: 'rxLev', ... }, { term: 'rxLev+5FU', ... }], ... }, references: [{ covariate: 'rx', level: 'Obs' }] }
 */
export function coxByAttributes(
  timeline: Timeline,
  options: CoxByAttributesOptions,
): { fit: CoxResult; references: { covariate: string; level: string }[] } {
  const attributes = timeline.patients.attributes;
  if (options.covariates.length === 0) {
    throw new TrajsimError('INVALID_ARGUMENT', 'a Cox model needs at least one covariate', {
      field: 'covariates',
    });
  }
  for (const [name] of options.references ?? []) {
    const a = attributes.find((x) => x.name === name);
    if (!options.covariates.includes(name) || a?.kind !== 'categorical') {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `a reference level is given for '${name}', which is not a categorical covariate of the model`,
        { field: 'reference' },
      );
    }
  }
  const covariates: CoxCovariate[] = options.covariates.map((name) => {
    const a = attributes.find((x) => x.name === name);
    if (!a) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `no attribute '${name}' in timeline ${timeline.name}; attributes are ${attributes.map((x) => x.name).join(', ')}`,
        { field: 'covariates' },
      );
    }
    if (a.kind === 'numeric') return { name, kind: 'numeric', values: a.values };
    const reference = options.references?.get(name);
    if (reference !== undefined && !a.levels.includes(reference)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `${name}=${reference}: no such level; levels are ${a.levels.join(', ')}`,
        { field: 'reference' },
      );
    }
    return {
      name,
      kind: 'categorical',
      levels: a.levels,
      codes: a.codes,
      ...(reference !== undefined ? { reference } : {}),
    };
  });
  const { time, status } = endpointTimes(timeline, options.endpoint);
  const design = coxDesign(covariates);
  const fit = coxPh(
    Float64Array.from(design.rows, (r) => time[r]!),
    Uint8Array.from(design.rows, (r) => status[r]!),
    design,
  );
  return { fit, references: design.references };
}
