/**
 * The design matrix of a Cox model from numeric and categorical covariates, as R's
 * `model.matrix` with treatment contrasts and `na.omit`.
 */

import { TrajsimError } from '../core/errors.js';

/** A covariate for {@link coxDesign}: numeric (NaN missing) or categorical (code −1 missing). */
export type CoxCovariate =
  | { name: string; kind: 'numeric'; values: Float64Array }
  | {
      name: string;
      kind: 'categorical';
      levels: readonly string[];
      codes: Int32Array;
      reference?: string;
    };

/**
 * Design columns for covariates: numeric as is; categorical as treatment contrasts, reference =
 * alphabetically first level unless given; rows with any missing covariate are dropped
 * (returns the kept row indices), as coxph's na.action=na.omit. Term names like R: `sexmale`,
 * `rxLev+5FU`.
 *
 * Categorical columns are 0/1 indicators, one per non-reference level, in sorted level order
 * (levels sorted by UTF-16 code unit, like R's `sort(method = "radix")`, not by locale), so the
 * columns equal R's `model.matrix` for a factor with those levels and that reference.
 *
 * @param covariates - numeric (`values`, NaN missing) or categorical (`levels`, `codes`
 *   indexing levels with −1 missing, optional `reference` level); all of one length.
 * @returns `names` of the columns, the `columns` over the kept rows, the kept `rows`, and the
 *   reference level of each categorical covariate (`references`, in covariate order).
 * @throws TrajsimError INVALID_ARGUMENT for covariates of different lengths, a code outside
 *   −1..levels−1 (naming covariate, index and value), a reference not among the levels, or a
 *   categorical covariate with fewer than two levels.
 * @example
 * const d = coxDesign([
 *   { name: 'sex', kind: 'categorical', levels: ['male', 'female'], codes: new Int32Array([0, 1, -1]) },
 *   { name: 'age', kind: 'numeric', values: new Float64Array([60, 70, 80]) },
 * ]);
 * d.names // => ['sexmale', 'age']
 * d.columns // => [Float64Array [1, 0], Float64Array [60, 70]]
 * d.rows // => Int32Array [0, 1]
 * d.references // => [{ covariate: 'sex', level: 'female' }]
 */
export function coxDesign(covariates: readonly CoxCovariate[]): {
  names: string[];
  columns: Float64Array[];
  rows: Int32Array;
  references: { covariate: string; level: string }[];
} {
  const first = covariates[0];
  const n = first === undefined ? 0 : lengthOf(first);
  const keep = new Uint8Array(n).fill(1);
  for (const cov of covariates) {
    if (lengthOf(cov) !== n) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `coxDesign: covariate ${cov.name} has ${lengthOf(cov)} rows, expected ${n}`,
      );
    }
    if (cov.kind === 'numeric') {
      for (let i = 0; i < n; i++) if (Number.isNaN(cov.values[i])) keep[i] = 0;
    } else {
      const nLevels = cov.levels.length;
      for (let i = 0; i < n; i++) {
        const code = cov.codes[i]!;
        if (code === -1) keep[i] = 0;
        else if (!(code >= 0 && code < nLevels)) {
          throw new TrajsimError(
            'INVALID_ARGUMENT',
            `coxDesign: ${cov.name} code[${i}] is ${code}; expected -1 (missing) or 0..${nLevels - 1}`,
          );
        }
      }
    }
  }
  let kept = 0;
  for (let i = 0; i < n; i++) kept += keep[i]!;
  const rows = new Int32Array(kept);
  for (let i = 0, r = 0; i < n; i++) if (keep[i] === 1) rows[r++] = i;

  const names: string[] = [];
  const columns: Float64Array[] = [];
  const references: { covariate: string; level: string }[] = [];
  for (const cov of covariates) {
    if (cov.kind === 'numeric') {
      const col = new Float64Array(kept);
      for (let r = 0; r < kept; r++) col[r] = cov.values[rows[r]!]!;
      names.push(cov.name);
      columns.push(col);
      continue;
    }
    if (cov.levels.length < 2) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `coxDesign: ${cov.name} has ${cov.levels.length} level(s); a categorical covariate needs at least 2`,
      );
    }
    const sorted = cov.levels
      .map((level, code) => ({ level, code }))
      .sort((a, b) => (a.level < b.level ? -1 : a.level > b.level ? 1 : 0));
    const reference = cov.reference ?? sorted[0]!.level;
    if (!cov.levels.includes(reference)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `coxDesign: reference ${reference} of ${cov.name} is not a level; levels are ${cov.levels.join(', ')}`,
      );
    }
    references.push({ covariate: cov.name, level: reference });
    for (const { level, code } of sorted) {
      if (level === reference) continue;
      const col = new Float64Array(kept);
      for (let r = 0; r < kept; r++) col[r] = cov.codes[rows[r]!] === code ? 1 : 0;
      names.push(`${cov.name}${level}`);
      columns.push(col);
    }
  }
  return { names, columns, rows, references };
}

function lengthOf(cov: CoxCovariate): number {
  return cov.kind === 'numeric' ? cov.values.length : cov.codes.length;
}
