/**
 * Open-ended tail bins of the value head (issue 10): the first and last quantile bins of a code
 * reach the training minimum / maximum (often one outlier), so their within-bin density is a
 * truncated exponential continuing the neighbouring bin, not uniform (docs/model.md, "Tail
 * bins"). Pure functions of a {@link ValueCodeSpec}; value-spec.ts samples and scores with them.
 */
import type { ValueCodeSpec } from './value-spec.js';

function transform(spec: Pick<ValueCodeSpec, 'transform'>, v: number): number {
  return spec.transform === 'log' ? Math.log(v) : v;
}

function untransform(spec: Pick<ValueCodeSpec, 'transform'>, t: number): number {
  return spec.transform === 'log' ? Math.exp(t) : t;
}

/**
 * Scale (transformed units) of the exponential within-bin density of a tail bin, 0 for a bin
 * drawn uniformly: the first and last bins of a code with ≥ 3 bins take the width of their
 * inner neighbour (quantile bins hold equal shares, so the density is continuous at the edge).
 *
 * @param spec - the code's value spec.
 * @param j - the bin index.
 * @returns the scale, or 0 for a uniform bin.
 * @throws nothing.
 * @example
 * tailScale({ transform: 'identity', edges: [0, 1, 2, 10] } as ValueCodeSpec, 2) // => 1
 */
export function tailScale(spec: ValueCodeSpec, j: number): number {
  const e = spec.edges;
  const bins = e.length - 1;
  if (bins < 3 || (j !== 0 && j !== bins - 1)) return 0;
  const s =
    j === 0
      ? transform(spec, e[2]!) - transform(spec, e[1]!)
      : transform(spec, e[bins - 1]!) - transform(spec, e[bins - 2]!);
  return s > 0 && Number.isFinite(s) ? s : 0;
}

/** Inner edge, signed direction (+1 up, −1 down) and width of tail bin j, transformed units. */
function tailGeometry(spec: ValueCodeSpec, j: number): { inner: number; dir: number; w: number } {
  const ta = transform(spec, spec.edges[j]!);
  const tb = transform(spec, spec.edges[j + 1]!);
  return j === 0 ? { inner: tb, dir: -1, w: tb - ta } : { inner: ta, dir: 1, w: tb - ta };
}

/** Truncated-exponential CDF at distance d ≥ 0 from the inner edge. */
function tailCdf(d: number, scale: number, w: number): number {
  const x = Math.max(0, Math.min(w, d));
  return -Math.expm1(-x / scale) / -Math.expm1(-w / scale);
}

/**
 * −ln of the within-bin density of v in tail bin j, in standardised units (integer codes:
 * −ln P(k), the mass of k ± 0.5): what valueTarget returns as `logWidth` for a tail value.
 *
 * @param spec - the code's value spec.
 * @param j - the bin of v.
 * @param v - the value in data units (inside the bin; clamped to it).
 * @returns undefined when bin j is not a tail bin (uniform: the caller's ln width).
 * @throws nothing.
 * @example
 * tailLogWidth({ transform: 'identity', std: 1, integer: false, edges: [0, 1, 2, 10] } as ValueCodeSpec, 2, 2)
 * // => 0.000335... (density 1 / (1 − e^−8) at the inner edge)
 */
export function tailLogWidth(spec: ValueCodeSpec, j: number, v: number): number | undefined {
  const scale = tailScale(spec, j);
  if (scale === 0) return undefined;
  const { inner, dir, w } = tailGeometry(spec, j);
  const dist = (x: number) => dir * (transform(spec, x) - inner);
  if (spec.integer) {
    const lo = Math.max(spec.edges[j]!, v - 0.5);
    const hi = Math.min(spec.edges[j + 1]!, v + 0.5);
    const p = Math.abs(tailCdf(dist(hi), scale, w) - tailCdf(dist(lo), scale, w));
    return -Math.log(Math.max(p, 1e-300));
  }
  const d = Math.max(0, Math.min(w, dist(v)));
  return Math.log(scale / spec.std) + d / scale - Math.log(-Math.expm1(-w / scale));
}

/**
 * A value of tail bin j from one uniform: inverse CDF of the truncated exponential on the
 * transformed scale, in data units (integer codes: rounded to a whole number of the bin).
 *
 * @param spec - the code's value spec.
 * @param j - a tail bin ({@link tailScale} > 0).
 * @param u - a uniform draw in [0, 1).
 * @throws nothing.
 * @example
 * sampleTail({ transform: 'identity', integer: false, edges: [0, 1, 2, 10] } as ValueCodeSpec, 2, 0.5)
 * // => 2.693... (2 + ln 2, barely truncated at 10)
 */
export function sampleTail(spec: ValueCodeSpec, j: number, u: number): number {
  const scale = tailScale(spec, j);
  const a = spec.edges[j]!;
  const b = spec.edges[j + 1]!;
  const { inner, dir, w } = tailGeometry(spec, j);
  const d = -scale * Math.log1p(u * Math.expm1(-w / scale));
  const v = untransform(spec, inner + dir * Math.min(w, d));
  if (!spec.integer) return Math.max(a, Math.min(b, v));
  return Math.max(Math.round(a + 0.5), Math.min(Math.round(b - 0.5), Math.round(v)));
}
