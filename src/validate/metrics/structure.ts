import {
  jensenShannon,
  ksFromCounts,
  totalVariation,
  wasserstein1FromCounts,
} from '../../stats/distances.js';
import type { MetricContext, MetricFamily, MetricValue } from '../metric.js';
import { KEY_SEPARATOR, splitKey, type TimelineSummary } from '../summary.js';

const FAMILY = 'structure';

/**
 * Display form of a transition or n-gram key: `A → B`.
 *
 * @example
 * displayKey('DIAGNOSIS\u001fDEATH') // => 'DIAGNOSIS → DEATH'
 */
export function displayKey(key: string): string {
  return splitKey(key).join(' → ');
}

/**
 * The two metrics of one count distribution compared: `<stem>.ks` (Kolmogorov–Smirnov, a
 * probability) and `<stem>.w1` (Wasserstein-1, in `unit`), labelled `<label> (KS)` / `(W1)`.
 *
 * @param stem - id stem, e.g. 'gaps'.
 * @param family - the metric family.
 * @param label - human-readable name without the statistic.
 * @param unit - unit of the counted values (W₁'s unit).
 * @param ref - reference counts (index = value).
 * @param other - other side's counts.
 * @throws nothing.
 * @example
 * ksAndW1Metrics('follow_up', 'time', 'Follow-up length', 'days', a, b).map((m) => m.id)
 * // => ['follow_up.ks', 'follow_up.w1']
 */
export function ksAndW1Metrics(
  stem: string,
  family: MetricFamily,
  label: string,
  unit: string,
  ref: Float64Array,
  other: Float64Array,
): [MetricValue, MetricValue] {
  return [
    {
      id: `${stem}.ks`,
      family,
      label: `${label} (KS)`,
      unit: 'probability',
      value: ksFromCounts(ref, other),
    },
    {
      id: `${stem}.w1`,
      family,
      label: `${label} (W1)`,
      unit,
      value: wasserstein1FromCounts(ref, other),
    },
  ];
}

/**
 * The `top` keys by count, ties broken by key so the choice is deterministic.
 *
 * @example
 * topKeys(new Map([['b', 2], ['a', 2], ['c', 5]]), 2) // => ['c', 'a']
 */
export function topKeys(counts: ReadonlyMap<string, number>, top: number): string[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, top)
    .map(([k]) => k);
}

/** Bigram counts: transitions without the START row. */
function bigrams(s: TimelineSummary): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, n] of s.transitions)
    if (!key.startsWith(`<start>${KEY_SEPARATOR}`)) out.set(key, n);
  return out;
}

/**
 * Row-weighted Jensen–Shannon divergence of first-order transition matrices:
 * Σ_a w_a · JS(P_ref(· | a), P_other(· | a)), w_a = the reference's share of transitions out
 * of a (the START row included). A row the other side never leaves counts JS = 1.
 *
 * @example
 * transitionDivergence(real, real).value // => 0 (identical transition matrices)
 */
export function transitionDivergence(
  ref: TimelineSummary,
  other: TimelineSummary,
): { value: number; rows: Record<string, number> } {
  const rowsOf = (s: TimelineSummary) => {
    const rows = new Map<string, Map<string, number>>();
    for (const [key, n] of s.transitions) {
      const [from, to] = splitKey(key) as [string, string];
      let row = rows.get(from);
      if (!row) {
        row = new Map();
        rows.set(from, row);
      }
      row.set(to, n);
    }
    return rows;
  };
  const a = rowsOf(ref);
  const b = rowsOf(other);
  let total = 0;
  for (const n of ref.transitions.values()) total += n;
  if (total === 0 || other.transitions.size === 0) return { value: Number.NaN, rows: {} };
  let value = 0;
  const rows: Record<string, number> = {};
  for (const [from, row] of a) {
    let w = 0;
    for (const n of row.values()) w += n;
    const otherRow = b.get(from);
    const js = otherRow ? jensenShannon(row, otherRow) : 1;
    rows[from] = js;
    value += (w / total) * js;
  }
  return { value, rows };
}

/**
 * Structure metrics: events per patient (KS, W₁), code prevalence per patient (largest
 * absolute difference in the fraction of patients with the code) and per event (TVD of the
 * code distribution), the transition matrix (row-weighted JS) and top-n n-gram overlap
 * (reported as the fraction of the reference's top n missing from the other's top n).
 *
 * @example
 * structureMetrics(realHalfA, realHalfB, ctx).map((m) => m.id)
 * // => ['events_per_patient.ks', 'events_per_patient.w1', ...]
 */
export function structureMetrics(
  ref: TimelineSummary,
  other: TimelineSummary,
  ctx: MetricContext,
): MetricValue[] {
  const out: MetricValue[] = [];
  out.push(
    ...ksAndW1Metrics(
      'events_per_patient',
      FAMILY,
      'Events per patient',
      'events',
      ref.eventsPerPatient,
      other.eventsPerPatient,
    ),
  );

  const codes = new Set([...ref.codePatients.keys(), ...other.codePatients.keys()]);
  const prevalence: Record<string, number> = {};
  let maxDiff = 0;
  for (const code of [...codes].sort()) {
    const d =
      (ref.codePatients.get(code) ?? 0) / ref.patients -
      (other.codePatients.get(code) ?? 0) / other.patients;
    prevalence[code] = d;
    maxDiff = Math.max(maxDiff, Math.abs(d));
  }
  out.push({
    id: 'prevalence.patient.max_abs',
    family: FAMILY,
    label: 'Code prevalence per patient (largest |difference|)',
    unit: 'fraction',
    value: ref.patients > 0 && other.patients > 0 ? maxDiff : Number.NaN,
    details: prevalence,
  });
  out.push({
    id: 'prevalence.event.tvd',
    family: FAMILY,
    label: 'Code distribution per event (TVD)',
    unit: 'probability',
    value: totalVariation(ref.codeEvents, other.codeEvents),
  });

  const js = transitionDivergence(ref, other);
  out.push({
    id: 'transitions.js',
    family: FAMILY,
    label: 'Transition matrix (row-weighted Jensen–Shannon)',
    unit: 'bits',
    value: js.value,
    details: js.rows,
  });

  for (const [n, counts] of [
    [2, [bigrams(ref), bigrams(other)]],
    [3, [ref.trigrams, other.trigrams]],
  ] as const) {
    const [a, b] = counts;
    const topA = topKeys(a, ctx.topNgrams);
    const topB = new Set(topKeys(b, ctx.topNgrams));
    const missing: Record<string, number> = {};
    let miss = 0;
    for (const key of topA) {
      if (!topB.has(key)) {
        miss++;
        missing[displayKey(key)] = a.get(key)!;
      }
    }
    out.push({
      id: `ngrams.${n}.top_missing`,
      family: FAMILY,
      label: `Top-${ctx.topNgrams} ${n}-grams missing from the other side`,
      unit: 'fraction',
      value: topA.length === 0 || b.size === 0 ? Number.NaN : miss / topA.length,
      details: missing,
    });
  }
  return out;
}
