import { Rng } from '../../src/core/rng.js';
import type { Timeline } from '../../src/timeline/types.js';

export const VALUE_CODES = [
  'DIAGNOSIS',
  'LAB:flag',
  'LAB:marker',
  'DEATH',
  'END_OF_FOLLOWUP',
] as const;

/** The known truth of {@link makeValueTimeline}'s marker (natural log scale). */
export const MARKER_TRUTH = {
  /** ln of the marker's stationary median. */
  logCentre: Math.log(40),
  /** Lag-1 autocorrelation of consecutive (latent) log values. */
  rho: 0.8,
  /** Stationary standard deviation of the log value. */
  sd: 0.3,
  /** Share of marker events recorded without a value. */
  missing: 0.15,
  /** P(LAB:flag = 1). */
  flagOne: 0.3,
} as const;

/**
 * A known-truth cohort with event values: DIAGNOSIS and LAB:flag (0/1, P(1) = 0.3) at day 0,
 * then 3–8 LAB:marker visits 60–119 days apart whose log value is a stationary AR(1)
 * (centre ln 40, lag-1 correlation 0.8, sd 0.3; 15 % of visits recorded without a value), then
 * DEATH (probability 0.6 when the last log marker is more than 0.3 above the centre, else 0.2)
 * or END_OF_FOLLOWUP 30 days after the last visit.
 */
export function makeValueTimeline(n: number, seed: string | number = 1): Timeline {
  const rng = new Rng(seed);
  const T = MARKER_TRUTH;
  const innovation = T.sd * Math.sqrt(1 - T.rho * T.rho);
  const ids: string[] = [];
  const indexDay = new Int32Array(n);
  const group = new Int32Array(n);
  const ePatient: number[] = [];
  const eDay: number[] = [];
  const eCode: number[] = [];
  const eValue: number[] = [];
  const offsets = new Int32Array(n + 1);
  for (let p = 0; p < n; p++) {
    ids.push(`V${p}`);
    indexDay[p] = 18_000 + rng.int(365);
    group[p] = rng.int(2);
    const add = (day: number, code: number, value: number) => {
      ePatient.push(p);
      eDay.push(day);
      eCode.push(code);
      eValue.push(value);
    };
    add(0, 0, Number.NaN);
    add(0, 1, rng.uniform() < T.flagOne ? 1 : 0);
    let day = 0;
    let x = T.sd * rng.normal();
    const visits = 3 + rng.int(6);
    for (let k = 0; k < visits; k++) {
      if (k > 0) x = T.rho * x + innovation * rng.normal();
      day += 60 + rng.int(60);
      add(day, 2, rng.uniform() < T.missing ? Number.NaN : Math.exp(T.logCentre + x));
    }
    add(day + 30, rng.uniform() < (x > 0.3 ? 0.6 : 0.2) ? 3 : 4, Number.NaN);
    offsets[p + 1] = ePatient.length;
  }
  return {
    name: 'values',
    patients: {
      ids,
      indexDay,
      attributes: [{ name: 'group', kind: 'categorical', levels: ['A', 'B'], codes: group }],
    },
    events: {
      patient: Int32Array.from(ePatient),
      day: Int32Array.from(eDay),
      code: Int32Array.from(eCode),
      value: Float64Array.from(eValue),
      codes: [...VALUE_CODES],
    },
    offsets,
  };
}
