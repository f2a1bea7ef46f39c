// Over 400 lines on purpose: one metric family (attribute structure and attribute effects on
// survival) with the small statistics it alone uses (Cramér's V, η, Spearman); each function is short.
import type { Attribute } from '../../timeline/types.js';
import type { MetricContext, MetricValue } from '../metric.js';
import type { TimelineSummary } from '../summary.js';
import { coxReferences, fitAttributeCox } from './survival.js';

/**
 * Attribute-structure metrics (issue 17): do the synthetic patients' attributes keep the
 * relations between attributes, and do the attributes keep their effect on survival?
 *
 * - `attributes.association.max_abs_diff`: pairwise association of every two attributes,
 *   by type — Cramér's V (categorical × categorical, missing a level of its own), the
 *   correlation ratio η (categorical × numeric, present numbers), Spearman's |ρ|
 *   (numeric × numeric, pairwise complete) — the largest |reference − other| over pairs
 *   (each pair's two values in details).
 * - `attributes.unseen_pairs`: share of the other side's patients with at least one pair of
 *   attribute values never seen together on the reference side (numbers cut at the
 *   reference's deciles, missing a cell of its own): `nodes > 4` with `node4 = 0` lands here.
 * - `cox.term_z.max_abs` (survival family): per Cox term (all attributes, as
 *   `cox.hr_outside_ci`), z = (other coef − reference coef) / reference SE (in details) and
 *   the two-sample z2 = (other − reference) / √(SE²ref + SE²other); the largest |z2|.
 * - `cox.univariate_z.max_abs`: the same, each attribute in a Cox model of its own.
 */

const FAMILY_STRUCTURE = 'structure';
const FAMILY_SURVIVAL = 'survival';
/** Numeric attributes are cut into this many quantile bins for the unseen-pair rate. */
export const UNSEEN_PAIR_BINS = 10;

/** Per-patient attribute columns aligned by name to the reference's attribute list. */
interface Column {
  readonly name: string;
  readonly kind: 'categorical' | 'numeric';
  /** Categorical: level index in the reference's levels (−1 missing, −2 unknown level). */
  readonly codes?: Int32Array;
  readonly values?: Float64Array;
  readonly levels?: number;
}

function columnsOf(s: TimelineSummary, ref: readonly Attribute[]): Column[] {
  const out: Column[] = [];
  for (const r of ref) {
    const a = s.perPatient.attributes.find((x) => x.name === r.name);
    if (!a || a.kind !== r.kind) continue;
    if (a.kind === 'numeric') {
      out.push({ name: a.name, kind: 'numeric', values: a.values });
    } else if (r.kind === 'categorical') {
      const remap = a.levels.map((l) => {
        const i = r.levels.indexOf(l);
        return i < 0 ? -2 : i;
      });
      out.push({
        name: a.name,
        kind: 'categorical',
        codes: Int32Array.from(a.codes, (c) => (c < 0 ? -1 : remap[c]!)),
        levels: r.levels.length,
      });
    }
  }
  return out;
}

/** Cell of a categorical value: level, then missing, then unknown levels. */
function catCell(c: number, k: number): number {
  return c >= 0 ? c : c === -1 ? k : k + 1;
}

/**
 * Cramér's V of two categorical columns (missing and unknown levels are cells of their own);
 * 0 when either has a single occupied cell.
 *
 * @example
 * cramersV(Int32Array.of(0, 0, 1, 1), 2, Int32Array.of(1, 1, 0, 0), 2) // => 1
 */
export function cramersV(x: Int32Array, kx: number, y: Int32Array, ky: number): number {
  const wx = kx + 2;
  const wy = ky + 2;
  const joint = new Float64Array(wx * wy);
  const px = new Float64Array(wx);
  const py = new Float64Array(wy);
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const a = catCell(x[i]!, kx);
    const b = catCell(y[i]!, ky);
    joint[a * wy + b]!++;
    px[a]!++;
    py[b]!++;
  }
  const rx = px.filter((v) => v > 0).length;
  const ry = py.filter((v) => v > 0).length;
  if (n === 0 || rx < 2 || ry < 2) return 0;
  let chi2 = 0;
  for (let a = 0; a < wx; a++) {
    if (px[a] === 0) continue;
    for (let b = 0; b < wy; b++) {
      if (py[b] === 0) continue;
      const e = (px[a]! * py[b]!) / n;
      chi2 += (joint[a * wy + b]! - e) ** 2 / e;
    }
  }
  return Math.sqrt(chi2 / (n * (Math.min(rx, ry) - 1)));
}

/**
 * Correlation ratio η (square root of the between-group share of the variance) of a numeric
 * column grouped by a categorical one, over the present numbers; 0 when undefined.
 *
 * @example
 * correlationRatio(Int32Array.of(0, 0, 1, 1), 2, Float64Array.of(1, 1, 3, 3)) // => 1
 */
export function correlationRatio(codes: Int32Array, k: number, values: Float64Array): number {
  const w = k + 2;
  const sum = new Float64Array(w);
  const cnt = new Float64Array(w);
  let total = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    const c = catCell(codes[i]!, k);
    sum[c]! += v;
    cnt[c]!++;
    total += v;
    n++;
  }
  if (n < 2) return 0;
  const mean = total / n;
  let ssTotal = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) ssTotal += (v - mean) ** 2;
  }
  if (ssTotal <= 1e-12) return 0;
  let ssBetween = 0;
  for (let c = 0; c < w; c++)
    if (cnt[c]! > 0) ssBetween += cnt[c]! * (sum[c]! / cnt[c]! - mean) ** 2;
  return Math.sqrt(Math.min(1, ssBetween / ssTotal));
}

function ranks(values: readonly number[]): Float64Array {
  const idx = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const r = new Float64Array(values.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && values[idx[j + 1]!] === values[idx[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]!] = avg;
    i = j + 1;
  }
  return r;
}

/**
 * Spearman's rank correlation (average ranks for ties) over the rows where both are present;
 * 0 when undefined (fewer than 3 rows or a constant column).
 *
 * @example
 * spearman(Float64Array.of(1, 2, 3, NaN), Float64Array.of(10, 20, 30, 5)) // => 1
 */
export function spearman(x: Float64Array, y: Float64Array): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!) || Number.isNaN(y[i]!)) continue;
    xs.push(x[i]!);
    ys.push(y[i]!);
  }
  const n = xs.length;
  if (n < 3) return 0;
  const rx = ranks(xs);
  const ry = ranks(ys);
  const m = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i]! - m) * (ry[i]! - m);
    sxx += (rx[i]! - m) ** 2;
    syy += (ry[i]! - m) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

function association(a: Column, b: Column): number {
  if (a.kind === 'categorical' && b.kind === 'categorical')
    return cramersV(a.codes!, a.levels!, b.codes!, b.levels!);
  if (a.kind === 'categorical') return correlationRatio(a.codes!, a.levels!, b.values!);
  if (b.kind === 'categorical') return correlationRatio(b.codes!, b.levels!, a.values!);
  return Math.abs(spearman(a.values!, b.values!));
}

/** One pair's association on each side. */
export interface AttributeAssociation {
  readonly a: string;
  readonly b: string;
  readonly ref: number;
  readonly other: number;
}

/**
 * Pairwise association (by type, see the module comment) of every two attributes the two
 * sides share, in the reference's attribute order.
 *
 * @example
 * attributeAssociations(real, synthetic)[0] // => { a: 'age', b: 'sex', ref: 0.04, other: 0.05 }
 */
export function attributeAssociations(
  ref: TimelineSummary,
  other: TimelineSummary,
): AttributeAssociation[] {
  const refAttrs = ref.perPatient.attributes;
  const ca = columnsOf(ref, refAttrs);
  const cb = columnsOf(other, refAttrs);
  const out: AttributeAssociation[] = [];
  for (let i = 0; i < ca.length; i++) {
    for (let j = i + 1; j < ca.length; j++) {
      const bi = cb.find((c) => c.name === ca[i]!.name);
      const bj = cb.find((c) => c.name === ca[j]!.name);
      if (!bi || !bj) continue;
      out.push({
        a: ca[i]!.name,
        b: ca[j]!.name,
        ref: association(ca[i]!, ca[j]!),
        other: association(bi, bj),
      });
    }
  }
  return out;
}

/** Decile cut points of the present values (distinct, ascending). */
function cutPoints(values: Float64Array): number[] {
  const present = Array.from(values)
    .filter((v) => !Number.isNaN(v))
    .sort((a, b) => a - b);
  if (present.length === 0) return [];
  const cuts = new Set<number>();
  for (let q = 1; q < UNSEEN_PAIR_BINS; q++)
    cuts.add(present[Math.floor((q * (present.length - 1)) / UNSEEN_PAIR_BINS)]!);
  return [...cuts].sort((a, b) => a - b);
}

function binOf(v: number, cuts: readonly number[]): number {
  if (Number.isNaN(v)) return -1;
  let b = 0;
  while (b < cuts.length && v > cuts[b]!) b++;
  return b;
}

/**
 * Share of the other side's patients with at least one pair of attribute values (numbers
 * binned at the reference's deciles, missing a cell of its own) that no reference patient has.
 *
 * @example
 * unseenPairRate(real, synthetic) // => 0.02
 */
export function unseenPairRate(ref: TimelineSummary, other: TimelineSummary): number {
  const refAttrs = ref.perPatient.attributes;
  const ca = columnsOf(ref, refAttrs);
  const cb = columnsOf(other, refAttrs);
  const names = ca.map((c) => c.name).filter((n) => cb.some((c) => c.name === n));
  if (names.length < 2 || other.patients === 0) return Number.NaN;
  const cuts = new Map<string, number[]>();
  for (const c of ca) if (c.kind === 'numeric') cuts.set(c.name, cutPoints(c.values!));
  const cellsOf = (cols: Column[], n: number): Int32Array[] =>
    names.map((name) => {
      const c = cols.find((x) => x.name === name)!;
      return c.kind === 'numeric'
        ? Int32Array.from(c.values!, (v) => binOf(v, cuts.get(name)!))
        : Int32Array.from(c.codes!.subarray(0, n));
    });
  const ra = cellsOf(ca, ref.patients);
  const rb = cellsOf(cb, other.patients);
  const seen = new Set<string>();
  for (let i = 0; i < names.length; i++)
    for (let j = i + 1; j < names.length; j++)
      for (let p = 0; p < ref.patients; p++) seen.add(`${i},${j},${ra[i]![p]},${ra[j]![p]}`);
  let unseen = 0;
  for (let p = 0; p < other.patients; p++) {
    let bad = false;
    for (let i = 0; i < names.length && !bad; i++)
      for (let j = i + 1; j < names.length && !bad; j++)
        if (!seen.has(`${i},${j},${rb[i]![p]},${rb[j]![p]}`)) bad = true;
    if (bad) unseen++;
  }
  return unseen / other.patients;
}

/** One Cox term on both sides and its z. */
export interface CoxTermComparison {
  readonly term: string;
  readonly refCoef: number;
  readonly refSe: number;
  readonly otherCoef: number;
  readonly otherSe: number;
  /** (other coef − reference coef) / reference SE (the z). */
  readonly z: number;
  /**
   * (other coef − reference coef) / √(reference SE² + other SE²): standard normal when both
   * sides come from the same process, whatever their sizes — the gated statistic.
   */
  readonly z2: number;
}

/**
 * Cox model of overall survival on all attributes on both sides (reference levels from the
 * reference side, at most `ctx.coxMaxPatients` patients each) and, per term, z =
 * (other − reference) / reference SE; with `only`, a model of those attributes alone.
 * Throws what `coxPh` throws.
 *
 * @example
 * coxTermComparison(real, synthetic, ctx).find((t) => t.term === 'node4=1')?.z // => 0.4
 */
export function coxTermComparison(
  ref: TimelineSummary,
  other: TimelineSummary,
  ctx: MetricContext,
  only?: ReadonlySet<string>,
): CoxTermComparison[] {
  const refs = coxReferences(ref);
  const fa = fitAttributeCox(ref, ctx.coxMaxPatients, ctx.seed, refs, only);
  const fb = fitAttributeCox(other, ctx.coxMaxPatients, ctx.seed, refs, only);
  const out: CoxTermComparison[] = [];
  for (const t of fa.terms) {
    const o = fb.terms.find((x) => x.term === t.term);
    if (!o) continue;
    out.push({
      term: t.term,
      refCoef: t.coef,
      refSe: t.se,
      otherCoef: o.coef,
      otherSe: o.se,
      z: (o.coef - t.coef) / t.se,
      z2: (o.coef - t.coef) / Math.sqrt(t.se * t.se + o.se * o.se),
    });
  }
  return out;
}

/**
 * The attribute-structure metrics and the per-term Cox z metric of `other` against `ref`
 * (see the module comment).
 *
 * @example
 * attributeMetrics(real, synthetic, ctx).map((m) => m.id)
 * // => ['attributes.association.max_abs_diff', 'attributes.unseen_pairs', 'cox.term_z.max_abs']
 */
export function attributeMetrics(
  ref: TimelineSummary,
  other: TimelineSummary,
  ctx: MetricContext,
): MetricValue[] {
  const out: MetricValue[] = [];
  const pairs = attributeAssociations(ref, other);
  const details: Record<string, number> = {};
  let worst = pairs.length > 0 ? 0 : Number.NaN;
  for (const p of pairs) {
    details[`${p.a}~${p.b}.ref`] = p.ref;
    details[`${p.a}~${p.b}.other`] = p.other;
    worst = Math.max(worst, Math.abs(p.ref - p.other));
  }
  out.push({
    id: 'attributes.association.max_abs_diff',
    family: FAMILY_STRUCTURE,
    label: "Attribute pairs: largest |Δ association| (Cramér's V, η, Spearman |ρ|)",
    unit: 'association',
    value: worst,
    details,
    ...(pairs.length === 0 ? { note: 'fewer than two attributes in common' } : {}),
  });
  const unseen = unseenPairRate(ref, other);
  out.push({
    id: 'attributes.unseen_pairs',
    family: FAMILY_STRUCTURE,
    label: 'Patients with an attribute pair never seen in the reference (fraction)',
    unit: 'fraction',
    value: unseen,
    ...(Number.isNaN(unseen) ? { note: 'fewer than two attributes in common' } : {}),
  });
  const base = {
    id: 'cox.term_z.max_abs',
    family: FAMILY_SURVIVAL,
    label: 'Cox terms: largest |Δ log-HR| ÷ √(SE²ref + SE²other)',
    unit: 'z',
  } as const;
  let terms: CoxTermComparison[];
  try {
    terms = coxTermComparison(ref, other, ctx);
  } catch (error) {
    out.push({
      ...base,
      value: Number.NaN,
      note: `Cox model not estimable: ${(error as Error).message}`,
    });
    // Every comparison must yield the same metric list (the noise floor is matched by index).
    out.push(univariateCoxMetric(ref, other, ctx));
    return out;
  }
  const zDetails: Record<string, number> = {};
  let maxZ = terms.length > 0 ? 0 : Number.NaN;
  for (const t of terms) {
    putTermDetails(zDetails, t);
    if (!Number.isNaN(t.z2)) maxZ = Math.max(maxZ, Math.abs(t.z2));
  }
  out.push({
    ...base,
    value: maxZ,
    details: zDetails,
    ...(terms.length === 0 ? { note: 'no Cox term in common' } : {}),
  });
  out.push(univariateCoxMetric(ref, other, ctx));
  return out;
}

/** Writes one Cox term's comparison (both sides' coefficient and SE, z, z2) into `details`. */
function putTermDetails(details: Record<string, number>, t: CoxTermComparison): void {
  details[`${t.term}.ref_coef`] = t.refCoef;
  details[`${t.term}.ref_se`] = t.refSe;
  details[`${t.term}.other_coef`] = t.otherCoef;
  details[`${t.term}.other_se`] = t.otherSe;
  details[`${t.term}.z`] = t.z;
  details[`${t.term}.z2`] = t.z2;
}

/**
 * `cox.univariate_z.max_abs`: the same z per term, each attribute in a Cox model of its own
 * (its whole effect, including what it shares with correlated attributes: `node4` drawn
 * apart from `nodes` shows here even when the joint model splits the effect between them).
 */
function univariateCoxMetric(
  ref: TimelineSummary,
  other: TimelineSummary,
  ctx: MetricContext,
): MetricValue {
  const details: Record<string, number> = {};
  let maxZ = Number.NaN;
  const notes: string[] = [];
  for (const a of ref.perPatient.attributes) {
    let terms: CoxTermComparison[];
    try {
      terms = coxTermComparison(ref, other, ctx, new Set([a.name]));
    } catch (error) {
      notes.push(`${a.name}: ${(error as Error).message}`);
      continue;
    }
    for (const t of terms) {
      putTermDetails(details, t);
      if (!Number.isNaN(t.z2))
        maxZ = Number.isNaN(maxZ) ? Math.abs(t.z2) : Math.max(maxZ, Math.abs(t.z2));
    }
  }
  return {
    id: 'cox.univariate_z.max_abs',
    family: FAMILY_SURVIVAL,
    label: 'Cox, one attribute at a time: largest |Δ log-HR| ÷ √(SE²ref + SE²other)',
    unit: 'z',
    value: maxZ,
    details,
    ...(notes.length > 0 ? { note: `not estimable: ${notes.join('; ')}` } : {}),
  };
}
