import { type CoxResult, coxPh } from '../../stats/cox-ph.js';
import {
  ksSamples,
  pearson,
  sampleQuantile,
  wasserstein1Samples,
} from '../../stats/sample-distances.js';
import type { MetricContext, MetricValue, ValuedCode } from '../metric.js';
import type { TimelineSummary } from '../summary.js';
import type { CodeValues } from '../value-summary.js';

const FAMILY = 'values';
const DAYS_PER_YEAR = 365.25;
/** Autocorrelation and slopes are compared when the real data has at least this many pairs. */
export const MIN_VALUE_PAIRS = 30;
/** The value → death Cox model is compared when the real data has at least this many deaths... */
export const MIN_COX_DEATHS = 10;
/** ...and fitted on a side only when it has at least this many. */
const MIN_SIDE_DEATHS = 5;
/** A |log HR per SD| beyond this is a monotone likelihood (an infinite estimate), not an estimate... */
const MAX_ABS_COEF = 10;
/**
 * ...and so is an SE beyond this (log HR per SD; the 95% CI would span a factor e¹²): with a
 * binary value and few deaths in one group, coxph's estimate runs off to ±∞ with SE ~ 10³.
 */
const MAX_SE = 3;

const EMPTY: CodeValues = {
  events: 0,
  missing: 0,
  values: new Float64Array(0),
  daysToEnd: new Int32Array(0),
  died: new Uint8Array(0),
  lagPrev: new Float64Array(0),
  lagNext: new Float64Array(0),
  lagDays: new Int32Array(0),
  intervals: {
    start: new Int32Array(0),
    stop: new Int32Array(0),
    event: new Uint8Array(0),
    value: new Float64Array(0),
  },
};

/**
 * Per-year changes between consecutive values of a code in one patient (pairs at least one day
 * apart), in the unit of the value divided by `scale`.
 *
 * @example
 * valueSlopes(codeValues, 1) // e.g. Float64Array [3.65, -1.2, ...] (value units per year)
 */
export function valueSlopes(v: CodeValues, scale: number): Float64Array {
  let n = 0;
  for (let i = 0; i < v.lagDays.length; i++) if (v.lagDays[i]! > 0) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < v.lagDays.length; i++) {
    const days = v.lagDays[i]!;
    if (days <= 0) continue;
    out[j++] = (v.lagNext[i]! - v.lagPrev[i]!) / scale / (days / DAYS_PER_YEAR);
  }
  return out;
}

/** Cox fits of a code's intervals on the standardised value, cached per summary part and scale. */
const coxCache = new WeakMap<CodeValues, Map<string, CoxResult | Error>>();

/**
 * The Cox model of DEATH on the most recent value of a code as a time-dependent covariate
 * (counting process, Efron ties), the value standardised with the real mean and SD: coef is
 * the log hazard ratio per real SD. Cached per summary; an Error when not estimable (no
 * intervals, fewer than 5 deaths, a constant value, no convergence, or |log HR per SD| > 10 or its SE
 * > 3: a monotone likelihood whose estimate is infinite).
 *
 * @example
 * const fit = valueCox(summary.values.get('LAB:hdl')!, { code: 'LAB:hdl', mean: 50, sd: 15 });
 * fit instanceof Error ? fit.message : Math.exp(fit.terms[0]!.coef) // HR per SD
 */
export function valueCox(v: CodeValues, vc: ValuedCode): CoxResult | Error {
  const key = `${vc.mean}/${vc.sd}`;
  let byScale = coxCache.get(v);
  if (byScale === undefined) {
    byScale = new Map();
    coxCache.set(v, byScale);
  }
  let fit = byScale.get(key);
  if (fit === undefined) {
    try {
      const { start, stop, event, value } = v.intervals;
      if (stop.length === 0) throw new Error('no interval with a value before the terminal day');
      let deaths = 0;
      for (let i = 0; i < event.length; i++) deaths += event[i]!;
      if (deaths < MIN_SIDE_DEATHS) {
        throw new Error(
          `${deaths} death(s) after a measurement; at least ${MIN_SIDE_DEATHS} needed`,
        );
      }
      const x = Float64Array.from(value, (y) => (y - vc.mean) / vc.sd);
      fit = coxPh(stop, event, { names: ['value'], columns: [x] }, { entry: start });
      const coef = fit.terms[0]!.coef;
      const se = fit.terms[0]!.se;
      if (!fit.converged || !(Math.abs(coef) <= MAX_ABS_COEF) || !(se <= MAX_SE)) {
        throw new Error(
          `log HR per SD ${coef.toFixed(2)}, SE ${se.toFixed(2)} (${fit.converged ? 'monotone likelihood' : 'not converged'}): not a finite estimate`,
        );
      }
    } catch (error) {
      fit = error instanceof Error ? error : new Error(String(error));
    }
    byScale.set(key, fit);
  }
  return fit;
}

function coxMetric(
  base: Omit<MetricValue, 'value'>,
  a: CodeValues,
  b: CodeValues,
  vc: ValuedCode,
): MetricValue {
  const fa = valueCox(a, vc);
  const fb = valueCox(b, vc);
  if (fa instanceof Error || fb instanceof Error) {
    const why =
      fa instanceof Error ? `reference: ${fa.message}` : `other: ${(fb as Error).message}`;
    return { ...base, value: Number.NaN, note: `Cox model not estimable (${why})` };
  }
  const ta = fa.terms[0]!;
  const tb = fb.terms[0]!;
  return {
    ...base,
    value: Math.abs(ta.coef - tb.coef),
    details: {
      ref_hr_per_sd: Math.exp(ta.coef),
      other_hr_per_sd: Math.exp(tb.coef),
      ref_hr_per_unit: Math.exp(ta.coef / vc.sd),
      other_hr_per_unit: Math.exp(tb.coef / vc.sd),
      ref_se: ta.se,
      other_se: tb.se,
      ref_events: fa.events,
      other_events: fb.events,
      ref_intervals: fa.n,
      other_intervals: fb.n,
    },
  };
}

/** The value metrics of one code. */
function codeMetrics(ref: CodeValues, other: CodeValues, vc: ValuedCode): MetricValue[] {
  const id = (s: string) => `values.${vc.code}.${s}`;
  const none = other.values.length === 0;
  const noneNote = 'no values of this code on the other side';
  const out: MetricValue[] = [];
  const ks = ksSamples(ref.values, other.values);
  out.push({
    id: id('ks'),
    family: FAMILY,
    label: `${vc.code} values: distribution (KS)`,
    unit: 'probability',
    value: none ? 1 : ks,
    ...(none ? { note: noneNote } : {}),
  });
  out.push({
    id: id('w1'),
    family: FAMILY,
    label: `${vc.code} values: distribution (W₁ of the standardised value)`,
    unit: 'SD',
    value: wasserstein1Samples(ref.values, other.values) / vc.sd,
    ...(none ? { note: noneNote } : {}),
  });
  const missingShare = (v: CodeValues) => (v.events > 0 ? v.missing / v.events : Number.NaN);
  out.push({
    id: id('missing.abs_diff'),
    family: FAMILY,
    label: `${vc.code} values: share of events without a value, |difference|`,
    unit: 'fraction',
    value: Math.abs(missingShare(ref) - missingShare(other)),
    details: { ref: missingShare(ref), other: missingShare(other) },
    ...(other.events === 0 ? { note: 'no events of this code on the other side' } : {}),
  });
  if (vc.pairs >= MIN_VALUE_PAIRS) out.push(...pairMetrics(ref, other, vc));
  if (vc.deaths >= MIN_COX_DEATHS) {
    out.push(
      coxMetric(
        {
          id: id('cox.abs_diff'),
          family: FAMILY,
          label: `${vc.code} value → death: |Δ log HR per SD| (most recent value, time-dependent Cox)`,
          unit: 'log HR per SD',
        },
        ref,
        other,
        vc,
      ),
    );
  }
  return out;
}

/** Autocorrelation and change per year of consecutive values of one code. */
function pairMetrics(ref: CodeValues, other: CodeValues, vc: ValuedCode): MetricValue[] {
  const id = (s: string) => `values.${vc.code}.${s}`;
  const out: MetricValue[] = [];
  const ra = pearson(ref.lagPrev, ref.lagNext);
  const rb = pearson(other.lagPrev, other.lagNext);
  out.push({
    id: id('autocorr.abs_diff'),
    family: FAMILY,
    label: `${vc.code} values: lag-1 autocorrelation within patients, |difference|`,
    unit: 'correlation',
    value: Math.abs(ra - rb),
    details: {
      ref: ra,
      other: rb,
      ref_pairs: ref.lagPrev.length,
      other_pairs: other.lagPrev.length,
    },
  });
  const sa = valueSlopes(ref, vc.sd);
  const sb = valueSlopes(other, vc.sd);
  out.push({
    id: id('slope.ks'),
    family: FAMILY,
    label: `${vc.code} values: change per year between consecutive values (KS)`,
    unit: 'probability',
    value: ksSamples(sa, sb),
    details: {
      ref_median_per_year: sampleQuantile(sa, 0.5) * vc.sd,
      other_median_per_year: sampleQuantile(sb, 0.5) * vc.sd,
      ref_pairs: sa.length,
      other_pairs: sb.length,
    },
  });
  return out;
}

/**
 * Value metrics, per code that carries values in the real data (`ctx.valuedCodes`): the
 * distribution of the values (KS; W₁ of the value standardised with the real mean and SD),
 * the share of the code's events without a value, the lag-1 autocorrelation of consecutive
 * values within patients (Pearson), the change per year between consecutive values (KS of
 * the per-year slopes of pairs ≥ 1 day apart; medians in details) — these two when the real
 * data has ≥ 30 pairs —, and (when ≥ 10 real deaths follow a measurement) value → outcome: the
 * log hazard ratio of DEATH per real SD of the most recent value, a time-dependent covariate
 * in a counting-process Cox model with Efron ties (coxph(Surv(tstart, tstop, death) ~ value)
 * on tmerge-built intervals). Each metric is an absolute difference or a distance.
 *
 * @example
 * valueMetrics(realHalfA, realHalfB, ctx).map((m) => m.id)
 * // => ['values.LAB:hdl.ks', 'values.LAB:hdl.w1', 'values.LAB:hdl.missing.abs_diff', ...]
 */
export function valueMetrics(
  ref: TimelineSummary,
  other: TimelineSummary,
  ctx: MetricContext,
): MetricValue[] {
  return ctx.valuedCodes.flatMap((vc) =>
    codeMetrics(ref.values.get(vc.code) ?? EMPTY, other.values.get(vc.code) ?? EMPTY, vc),
  );
}
