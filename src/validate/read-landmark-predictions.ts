/**
 * Reads predicted risks of death after a landmark from a CSV file: the generic
 * `patient_id,risk_365,risk_730,...` layout, or the summary table of `trajsim twins`
 * (`DEATH@365d`, ... columns).
 */

import { TrajsimError } from '../core/errors.js';
import { readCsv } from '../timeline/csv-reader.js';
import type { LandmarkPredictions } from './landmark-evaluation.js';

/** Predictions read from a file, with the horizons its columns name. */
export interface ReadPredictions extends LandmarkPredictions {
  /** Days after the landmark, ascending, one per risk column. */
  readonly horizons: readonly number[];
}

const GENERIC = /^risk_(\d+)$/;
const TWINS = /^DEATH@(\d+)d$/;
/** Floating-point slack of a probability (e.g. 1 − KM written as 1.0000000000000002); clipped. */
const ROUNDING = 1e-9;

/**
 * Reads a predictions CSV: a `patient_id` column and one risk column per horizon, either
 * `risk_<days>` (generic) or `DEATH@<days>d` (the twins summary; its `_lo`/`_hi` interval
 * columns and the other codes are ignored). Columns are matched by name, in any order; `NA` or
 * an empty cell is a missing prediction (that patient is left out of the scores). A risk within
 * 1e-9 outside [0, 1] (floating-point rounding) is clipped to it.
 *
 * @param path - the CSV file.
 * @param name - the predictor's name in the evaluation (e.g. 'twins').
 * @returns ids, risk[k][j] for horizon k and row j, and the horizons (days).
 * @throws TrajsimError INVALID_INPUT naming the file, line and column for a missing
 *   patient_id column, no risk column, a duplicate id, or a risk that is not a probability.
 * @example
 * // twins.csv: patient_id,risk_365,risk_730\nP1,0.1,0.2
 * const p = await readLandmarkPredictions('twins.csv', 'twins');
 * p.horizons // => [365, 730]
 */
export async function readLandmarkPredictions(
  path: string,
  name: string,
): Promise<ReadPredictions> {
  let header: string[] | undefined;
  let idColumn = -1;
  let columns: { index: number; days: number }[] = [];
  const ids: string[] = [];
  const values: number[][] = [];
  const seen = new Set<string>();
  for await (const record of readCsv(path)) {
    if (header === undefined) {
      header = record.fields;
      idColumn = header.indexOf('patient_id');
      columns = riskColumns(header);
      if (idColumn < 0 || columns.length === 0) {
        throw new TrajsimError(
          'INVALID_INPUT',
          `expected a patient_id column and risk_<days> or DEATH@<days>d columns; found ${header.join(', ')}`,
          { file: path, line: record.line },
        );
      }
      continue;
    }
    const id = record.fields[idColumn] ?? '';
    if (seen.has(id)) {
      throw new TrajsimError('INVALID_INPUT', `patient_id ${id} appears twice`, {
        file: path,
        line: record.line,
      });
    }
    seen.add(id);
    ids.push(id);
    values.push(
      columns.map(({ index }) => {
        const text = (record.fields[index] ?? '').trim();
        if (text === '' || text === 'NA') return Number.NaN;
        const v = Number(text);
        if (!(v >= -ROUNDING && v <= 1 + ROUNDING)) {
          throw new TrajsimError('INVALID_INPUT', `${text} is not a probability in [0, 1]`, {
            file: path,
            line: record.line,
            field: header?.[index] ?? '',
          });
        }
        return Math.min(1, Math.max(0, v));
      }),
    );
  }
  if (header === undefined) {
    throw new TrajsimError('INVALID_INPUT', 'the file is empty; expected a header line', {
      file: path,
    });
  }
  return {
    name,
    ids,
    horizons: columns.map((c) => c.days),
    risk: columns.map((_, k) => Float64Array.from(values, (row) => row[k]!)),
  };
}

/** The risk columns of a header, by ascending horizon; generic columns win over twins ones. */
function riskColumns(header: readonly string[]): { index: number; days: number }[] {
  for (const pattern of [GENERIC, TWINS]) {
    const found: { index: number; days: number }[] = [];
    header.forEach((h, index) => {
      const m = pattern.exec(h.trim());
      if (m) found.push({ index, days: Number(m[1]) });
    });
    if (found.length > 0) return found.sort((a, b) => a.days - b.days);
  }
  return [];
}
