import { Rng } from '../../src/core/rng.js';
import type { Timeline } from '../../src/timeline/types.js';

export const TOY_CODES = [
  'DIAGNOSIS',
  'TREATMENT',
  'PROGRESSION',
  'RARE_EVENT',
  'DEATH',
  'END_OF_FOLLOWUP',
] as const;

/**
 * A known-truth toy cohort built in memory (plain typed arrays): stage I/II/III (some
 * missing), age (some missing); DIAGNOSIS at day 0, TREATMENT the same day, then up to
 * three PROGRESSION events (more likely at higher stage), then DEATH or END_OF_FOLLOWUP.
 * RARE_EVENT occurs in exactly `rarePatients` patients.
 */
export function makeToyTimeline(n: number, seed: string | number = 1, rarePatients = 2): Timeline {
  const rng = new Rng(seed);
  const stage = new Int32Array(n);
  const age = new Float64Array(n);
  const ids: string[] = [];
  const indexDay = new Int32Array(n);
  const ePatient: number[] = [];
  const eDay: number[] = [];
  const eCode: number[] = [];
  const offsets = new Int32Array(n + 1);
  for (let p = 0; p < n; p++) {
    ids.push(`P${p}`);
    indexDay[p] = 18_000 + rng.int(365);
    stage[p] = rng.uniform() < 0.05 ? -1 : rng.int(3);
    age[p] = rng.uniform() < 0.1 ? Number.NaN : 40 + rng.int(40);
    const add = (day: number, code: number) => {
      ePatient.push(p);
      eDay.push(day);
      eCode.push(code);
    };
    add(0, 0);
    add(0, 1);
    let day = 0;
    const s = stage[p]! < 0 ? 1 : stage[p]!;
    let progressions = 0;
    while (progressions < 3 && rng.uniform() < 0.3 + 0.2 * s) {
      day += 30 + Math.round(rng.exponential(1 / 150));
      add(day, 2);
      progressions++;
    }
    if (p < rarePatients) add(day, 3);
    const last = day;
    day += 1 + Math.round(rng.exponential(1 / (400 - 100 * progressions)));
    const censored = day >= 2000 || rng.uniform() >= 0.3 + 0.2 * progressions;
    add(Math.max(last, Math.min(day, 2000)), censored ? 5 : 4);
    offsets[p + 1] = ePatient.length;
  }
  return {
    name: 'toy',
    patients: {
      ids,
      indexDay,
      attributes: [
        { name: 'stage', kind: 'categorical', levels: ['I', 'II', 'III'], codes: stage },
        { name: 'age', kind: 'numeric', values: age },
      ],
    },
    events: {
      patient: Int32Array.from(ePatient),
      day: Int32Array.from(eDay),
      code: Int32Array.from(eCode),
      value: new Float64Array(eDay.length).fill(Number.NaN),
      codes: [...TOY_CODES],
    },
    offsets,
  };
}
