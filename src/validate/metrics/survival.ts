import { Rng } from '../../core/rng.js';
import { type CoxCovariate, coxDesign } from '../../stats/cox-design.js';
import { type CoxResult, coxPh } from '../../stats/cox-ph.js';
import { dailySurvival } from '../../stats/daily-curves.js';
import { integratedAbsDifferenceDaily, supNormDaily } from '../../stats/distances.js';
import { logRankTest } from '../../stats/log-rank.js';
import type { Attribute } from '../../timeline/types.js';
import { expandSurvival } from '../expand-counts.js';
import { levelSurvivalOf } from '../merge-summaries.js';
import type { MetricContext, MetricValue } from '../metric.js';
import type { SurvivalCounts, TimelineSummary } from '../summary.js';

const FAMILY = 'survival';

/**
 * Median of a daily survival curve as `print(survfit)`: the first day S ≤ 0.5; when S equals
 * 0.5 there (to 1e-12) and drops later, the midpoint with the day of the next drop. NaN when
 * the curve never reaches 0.5.
 *
 * @example
 * dailyMedian(new Float64Array([1, 0.5, 0.5, 0.2])) // => 2
 */
export function dailyMedian(curve: Float64Array): number {
  for (let d = 0; d < curve.length; d++) {
    const s = curve[d]!;
    if (s <= 0.5 + 1e-12) {
      if (Math.abs(s - 0.5) > 1e-12) return d;
      for (let e = d + 1; e < curve.length; e++) if (curve[e]! < s - 1e-12) return (d + e) / 2;
      return d;
    }
  }
  return Number.NaN;
}

/**
 * Restricted mean ∫₀^τ S(t) dt of a daily curve, in days (carried flat past its end).
 *
 * @example
 * dailyRestrictedMean(new Float64Array([1, 0.5]), 4) // 1 + 0.5 + 0.5 + 0.5 => 2.5
 */
export function dailyRestrictedMean(curve: Float64Array, tauDays: number): number {
  if (curve.length === 0) return Number.NaN;
  let s = 0;
  for (let d = 0; d < tauDays; d++) s += d < curve.length ? curve[d]! : curve[curve.length - 1]!;
  return s;
}

function lastDay(c: SurvivalCounts): number {
  return Math.max(c.events.length, c.censored.length);
}

/** Overall-survival curve to the end of follow-up (so the median is found past the horizon). */
function osCurve(s: TimelineSummary): Float64Array {
  return dailySurvival(s.os.events, s.os.censored, Math.max(0, lastDay(s.os) - 1));
}

/**
 * Cox model of overall survival on every attribute of a summary (categorical as treatment
 * contrasts, reference = the given level or the alphabetically first; levels absent from the
 * summary dropped), on at most `maxPatients` patients (a seeded subsample beyond); with
 * `only`, on those attributes alone.
 * Throws what `coxPh` throws (e.g. a singular information matrix).
 *
 * @example
 * fitAttributeCox(summary, 200_000, '0').terms.map((t) => t.term) // e.g. ['age', 'stageII', 'stageIII']
 */
export function fitAttributeCox(
  s: TimelineSummary,
  maxPatients: number,
  seed: string,
  references: ReadonlyMap<string, string> = new Map(),
  only?: ReadonlySet<string>,
): CoxResult {
  let rows: Int32Array | undefined;
  const n = s.patients;
  if (n > maxPatients) {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const rng = new Rng(seed).fork('cox');
    for (let i = 0; i < maxPatients; i++) {
      const j = i + rng.int(n - i);
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    rows = idx.slice(0, maxPatients).sort();
  }
  const take = <T extends Int32Array | Float64Array | Uint8Array>(a: T): T => {
    if (!rows) return a;
    const out = a.slice(0, rows.length) as T;
    for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]!]!;
    return out;
  };
  const covariates: CoxCovariate[] = [];
  for (const attr of s.perPatient.attributes as Attribute[]) {
    if (only && !only.has(attr.name)) continue;
    if (attr.kind === 'numeric') {
      covariates.push({ name: attr.name, kind: 'numeric', values: take(attr.values) });
      continue;
    }
    const codes = take(attr.codes);
    const present = new Uint8Array(attr.levels.length);
    for (let i = 0; i < codes.length; i++) if (codes[i]! >= 0) present[codes[i]!] = 1;
    const levels = attr.levels.filter((_, j) => present[j] === 1);
    if (levels.length < 2) continue;
    const remap = attr.levels.map((l) => levels.indexOf(l));
    const remapped = codes.map((c) => (c < 0 ? -1 : remap[c]!));
    const reference = references.get(attr.name);
    covariates.push({
      name: attr.name,
      kind: 'categorical',
      levels,
      codes: remapped,
      ...(reference !== undefined && levels.includes(reference) ? { reference } : {}),
    });
  }
  const design = coxDesign(covariates);
  const time = take(s.perPatient.osDay);
  const status = take(s.perPatient.osStatus);
  const t = new Float64Array(design.rows.length);
  const st = new Uint8Array(design.rows.length);
  for (let i = 0; i < design.rows.length; i++) {
    t[i] = time[design.rows[i]!]!;
    st[i] = status[design.rows[i]!]!;
  }
  return coxPh(t, st, design);
}

/**
 * Alphabetically first level of each categorical attribute (the Cox reference).
 *
 * @example
 * coxReferences(summary).get('stage') // => 'I' (levels I, II, III)
 */
export function coxReferences(s: TimelineSummary): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of s.perPatient.attributes) {
    if (a.kind === 'categorical' && a.levels.length > 0) out.set(a.name, [...a.levels].sort()[0]!);
  }
  return out;
}

const coxCache = new WeakMap<TimelineSummary, CoxResult | Error>();

/**
 * {@link fitAttributeCox} of a summary with the given references, once per summary object
 * (the metrics and the report's forest plot share the fit); a failed fit is returned as its
 * Error, not thrown.
 *
 * @example
 * const fit = cachedCox(realSummary, ctx, coxReferences(realSummary));
 * fit instanceof Error ? fit.message : fit.terms.length // e.g. 14
 */
export function cachedCox(
  s: TimelineSummary,
  ctx: MetricContext,
  refs: Map<string, string>,
): CoxResult | Error {
  let fit = coxCache.get(s);
  if (fit === undefined) {
    try {
      fit = fitAttributeCox(s, ctx.coxMaxPatients, ctx.seed, refs);
    } catch (error) {
      fit = error instanceof Error ? error : new Error(String(error));
    }
    coxCache.set(s, fit);
  }
  return fit;
}

/**
 * Survival metrics. Overall survival (DEATH the event, END_OF_FOLLOWUP censoring): sup-norm and
 * integrated absolute difference of the Kaplan–Meier curves on [0, H], |median difference|
 * and |RMST(H) difference| in days, and the log-rank χ² between the two sides (p in details);
 * per level of each categorical attribute, the sup-norm of the level's curves; and Cox hazard
 * ratios of all attributes: the fraction of the other side's HRs outside the reference's 95%
 * interval (per term in details).
 *
 * @example
 * survivalMetrics(realHalfA, realHalfB, ctx).find((m) => m.id === 'os.km.sup')?.value // a sup-norm in [0, 1]
 */
export function survivalMetrics(
  ref: TimelineSummary,
  other: TimelineSummary,
  ctx: MetricContext,
): MetricValue[] {
  const out: MetricValue[] = [];
  const h = ctx.horizonDays;
  const sa = osCurve(ref);
  const sb = osCurve(other);
  out.push({
    id: 'os.km.sup',
    family: FAMILY,
    label: `Overall survival, KM sup-norm on [0, ${h}] days`,
    unit: 'probability',
    value: supNormDaily(sa, sb, h),
  });
  out.push({
    id: 'os.km.iad',
    family: FAMILY,
    label: `Overall survival, integrated |ΔS| on [0, ${h}] days`,
    unit: 'days',
    value: integratedAbsDifferenceDaily(sa, sb, h),
  });
  const ma = dailyMedian(sa);
  const mb = dailyMedian(sb);
  out.push({
    id: 'os.median.abs_diff',
    family: FAMILY,
    label: 'Overall survival, |median difference|',
    unit: 'days',
    value: Math.abs(ma - mb),
    details: { ref: ma, other: mb },
    ...(Number.isNaN(ma) || Number.isNaN(mb)
      ? { note: 'a median is undefined (the curve never reaches 0.5)' }
      : {}),
  });
  const ra = dailyRestrictedMean(sa, h);
  const rb = dailyRestrictedMean(sb, h);
  out.push({
    id: 'os.rmst.abs_diff',
    family: FAMILY,
    label: `Overall survival, |RMST(${h}) difference|`,
    unit: 'days',
    value: Math.abs(ra - rb),
    details: { ref: ra, other: rb },
  });
  out.push(logRankMetric(ref, other));

  for (const { attribute, levels } of ctx.strata) {
    for (const level of levels) {
      const a = levelSurvivalOf(ref, attribute, level);
      const b = levelSurvivalOf(other, attribute, level);
      out.push({
        id: `os_by.${attribute}.${level}.sup`,
        family: FAMILY,
        label: `Overall survival, ${attribute} = ${level} (KM sup-norm)`,
        unit: 'probability',
        value: supNormDaily(
          dailySurvival(a.events, a.censored, h),
          dailySurvival(b.events, b.censored, h),
          h,
        ),
      });
    }
  }
  out.push(coxMetric(ref, other, ctx));
  return out;
}

function logRankMetric(ref: TimelineSummary, other: TimelineSummary): MetricValue {
  const a = expandSurvival(ref.os);
  const b = expandSurvival(other.os);
  const n = a.time.length + b.time.length;
  const time = new Float64Array(n);
  const status = new Uint8Array(n);
  const group = new Uint8Array(n);
  time.set(a.time);
  time.set(b.time, a.time.length);
  status.set(a.status);
  status.set(b.status, a.time.length);
  group.fill(1, a.time.length);
  const base = {
    id: 'os.logrank.chisq',
    family: FAMILY,
    label: 'Overall survival, log-rank χ² (reference vs other)',
    unit: 'chi-square',
  } as const;
  if (a.time.length === 0 || b.time.length === 0) {
    return { ...base, value: Number.NaN, note: 'a side has no patients' };
  }
  const test = logRankTest(time, status, group);
  return { ...base, value: test.chisq, details: { df: test.df, p: test.p } };
}

function coxMetric(ref: TimelineSummary, other: TimelineSummary, ctx: MetricContext): MetricValue {
  const base = {
    id: 'cox.hr_outside_ci',
    family: FAMILY,
    label: "Cox HRs of attributes outside the reference's 95% CI (fraction)",
    unit: 'fraction',
  } as const;
  const refs = coxReferences(ref);
  const fa = cachedCox(ref, ctx, refs);
  const fb = cachedCox(other, ctx, refs);
  if (fa instanceof Error || fb instanceof Error) {
    const e = fa instanceof Error ? fa : (fb as Error);
    return { ...base, value: Number.NaN, note: `Cox model not estimable: ${e.message}` };
  }
  const details: Record<string, number> = {};
  let outside = 0;
  let compared = 0;
  for (const t of fa.terms) {
    const o = fb.terms.find((x) => x.term === t.term);
    if (!o) continue;
    compared++;
    const inside = o.hr >= t.lower && o.hr <= t.upper;
    if (!inside) outside++;
    details[`${t.term}.ref_hr`] = t.hr;
    details[`${t.term}.ref_lower`] = t.lower;
    details[`${t.term}.ref_upper`] = t.upper;
    details[`${t.term}.other_hr`] = o.hr;
  }
  return {
    ...base,
    value: compared > 0 ? outside / compared : Number.NaN,
    details,
    ...(compared === 0 ? { note: 'no Cox term in common' } : {}),
  };
}
