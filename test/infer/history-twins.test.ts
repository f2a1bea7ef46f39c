import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGenerationModel } from '../../src/generate/load-generation-model.js';
import type { GenerationModel } from '../../src/generate/step-model.js';
import { generateHistoryTwins } from '../../src/infer/history-twins.js';
import { selectBackend } from '../../src/model/backend.js';
import { writeModelFolder } from '../../src/model/manifest.js';
import { fitMarkov, type MarkovParameters } from '../../src/model/markov.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { auditRules } from '../../src/rules/audit-rules.js';
import { mineRules } from '../../src/rules/mine-rules.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { useTempDir } from '../helpers/tmp.js';
import { makeToyTimeline, TOY_CODES } from '../model/toy-timeline.js';

const root = useTempDir('history-twins');
const toy = makeToyTimeline(400, 11);
const code = (c: (typeof TOY_CODES)[number]) => TOY_CODES.indexOf(c);
let markovDir = '';
let markov: MarkovParameters;

beforeAll(() => {
  const fit = fitMarkov(toy, { seed: 2, condition: 'none' });
  markov = fit.markov;
  markovDir = join(root, 'markov');
  writeModelFolder(markovDir, fit.manifest, { markov: fit.markov });
});

async function withModel<T>(dir: string, f: (m: GenerationModel) => Promise<T>): Promise<T> {
  const model = loadGenerationModel(dir);
  try {
    return await f(model);
  } finally {
    model.stepModel.dispose();
  }
}

/** Rows of the toy patients whose first PROGRESSION is on `day` > 0 (their landmark). */
function firstProgression(t: Timeline): Map<string, number> {
  const out = new Map<string, number>();
  for (let p = 0; p < t.patients.ids.length; p++) {
    for (let e = t.offsets[p]!; e < t.offsets[p + 1]!; e++) {
      if (t.events.code[e] === code('PROGRESSION')) {
        out.set(t.patients.ids[p]!, t.events.day[e]!);
        break;
      }
    }
  }
  return out;
}

/** Shares of the first future code (the first event after the patient's landmark). */
function firstFutureShares(twins: Timeline, landmarks: Map<string, number>): number[] {
  const counts = new Array(TOY_CODES.length).fill(0);
  let n = 0;
  twins.patients.ids.forEach((id, p) => {
    const landmark = landmarks.get(id.split('#')[0]!)!;
    for (let e = twins.offsets[p]!; e < twins.offsets[p + 1]!; e++) {
      if (twins.events.day[e]! > landmark) {
        counts[twins.events.code[e]!]++;
        n++;
        return;
      }
    }
  });
  return counts.map((c) => c / n);
}

/**
 * The Markov model's next-code distribution after `prev` conditional on a gap > `afterGap`
 * days, from its fitted counts and gap histograms (one cell: condition 'none'):
 * P(n | gap > G) ∝ counts[prev][n] · P(gap > G | prev → n); afterGap −1: unconditional.
 */
function conditionalRow(prev: number, afterGap: number): number[] {
  const weight = markov.counts[0]![prev]!.map((c, n) => {
    const h = markov.gaps[`0|${prev}|${n}`] ?? markov.gaps[`*|${prev}|${n}`];
    if (!h) return afterGap < 0 ? c : 0;
    const all = h.counts.reduce((a, k) => a + k, 0);
    return (c * h.counts.reduce((a, k, j) => a + (h.days[j]! > afterGap ? k : 0), 0)) / all;
  });
  const total = weight.reduce((a, w) => a + w, 0);
  return weight.map((w) => w / total);
}

describe('generateHistoryTwins (Markov: known transition rows)', () => {
  it('futures after a history ending in state X start with X’s transition distribution', async () => {
    const progression = firstProgression(toy);
    const days: Record<string, number> = {};
    for (const [id, d] of progression) days[id] = d;
    const futures = 40;
    const r = await withModel(markovDir, (m) =>
      generateHistoryTwins(m, toy, {
        landmark: { days },
        futures,
        seed: 3,
        out: join(root, 'markov-progression'),
      }),
    );
    // patients without a PROGRESSION have no landmark; the others are alive at it
    expect(r.excluded.noLandmark.length).toBe(toy.patients.ids.length - progression.size);
    const twins = await readTimeline(join(root, 'markov-progression', 'twins'));
    expect(twins.patients.ids.length).toBe(r.eligible * futures);
    expect(twins.patients.ids[0]).toBe(`${r.rows[0]!.patientId}#1`);
    const shares = firstFutureShares(twins, progression);
    // expected: the fitted counts of PROGRESSION's row (one cell; smoothing toward the
    // pooled row of the same counts leaves n_pn / n_p), not re-derived by the sampler,
    // conditioned on a gap > 0 (the first future event falls after the landmark day)
    const row = conditionalRow(code('PROGRESSION'), 0);
    const draws = twins.patients.ids.length;
    row.forEach((p, next) => {
      const se = Math.sqrt((p * (1 - p)) / draws);
      expect(Math.abs(shares[next]! - p)).toBeLessThanOrEqual(4 * se + 1e-9);
    });
    // and not the distribution after TREATMENT (the state before the prefix's last event)
    const after = markov.counts[0]![code('TREATMENT')]!;
    const afterTotal = after.reduce((s, v) => s + v, 0);
    const misfit = after.map((c, next) => {
      const p = c / afterTotal;
      return Math.abs(shares[next]! - p) / Math.sqrt((p * (1 - p)) / draws + 1e-12);
    });
    expect(Math.max(...misfit)).toBeGreaterThan(6);
  });

  it('the first future code is conditioned exactly on no event between the last observed one and the landmark', async () => {
    // patients whose first PROGRESSION (day d) is followed by nothing until d + G: landmark
    // d + G, so the prefix ends with PROGRESSION and the first future event is after a gap > G
    const G = 200;
    const days: Record<string, number> = {};
    for (let p = 0; p < toy.patients.ids.length; p++) {
      for (let e = toy.offsets[p]!; e < toy.offsets[p + 1]!; e++) {
        if (toy.events.code[e] !== code('PROGRESSION')) continue;
        const d = toy.events.day[e]!;
        const next = e + 1 < toy.offsets[p + 1]! ? toy.events.day[e + 1]! : d;
        if (next > d + G) days[toy.patients.ids[p]!] = d + G;
        break;
      }
    }
    const landmarks = new Map(Object.entries(days));
    expect(landmarks.size).toBeGreaterThan(40);
    const futures = 60;
    await withModel(markovDir, (m) =>
      generateHistoryTwins(m, toy, {
        landmark: { days },
        futures,
        seed: 4,
        horizonDays: 1_000_000, // no censoring by the horizon
        out: join(root, 'markov-exact'),
      }),
    );
    const twins = await readTimeline(join(root, 'markov-exact', 'twins'));
    const shares = firstFutureShares(twins, landmarks);
    const draws = twins.patients.ids.length;
    expect(draws).toBe(landmarks.size * futures);
    const expected = conditionalRow(code('PROGRESSION'), G);
    const unconditional = conditionalRow(code('PROGRESSION'), -1);
    let misfitUnconditional = 0;
    expected.forEach((p, n) => {
      const se = Math.sqrt((p * (1 - p)) / draws);
      expect(Math.abs(shares[n]! - p)).toBeLessThanOrEqual(4 * se + 1e-9);
      const q = unconditional[n]!;
      misfitUnconditional = Math.max(
        misfitUnconditional,
        Math.abs(shares[n]! - q) / Math.sqrt((q * (1 - q)) / draws + 1e-12),
      );
    });
    // and not the unconditional row (the old sampler kept the code and redrew only the gap)
    expect(misfitUnconditional).toBeGreaterThan(6);
  });

  it('keeps the observed prefix and the real attributes, and reports who died or was censored before the landmark', async () => {
    const landmark = 365;
    const r = await withModel(markovDir, (m) =>
      generateHistoryTwins(m, toy, { landmark, futures: 2, seed: 5, out: join(root, 'm365') }),
    );
    const dead: string[] = [];
    const censored: string[] = [];
    toy.patients.ids.forEach((id, p) => {
      const last = toy.offsets[p + 1]! - 1;
      const c = toy.events.code[last]!;
      const d = toy.events.day[last]!;
      if (c === code('DEATH') && d <= landmark) dead.push(id);
      else if (c === code('END_OF_FOLLOWUP') && d < landmark) censored.push(id);
    });
    expect(dead.length).toBeGreaterThan(0);
    expect(r.excluded.dead).toEqual(dead);
    expect(r.excluded.censored).toEqual(censored);
    const excludedFile = JSON.parse(readFileSync(join(root, 'm365', 'excluded.json'), 'utf8'));
    expect(excludedFile.dead.count).toBe(dead.length);
    expect(excludedFile.dead.ids).toEqual(dead);
    expect(r.eligible).toBe(toy.patients.ids.length - dead.length - censored.length);
    const twins = await readTimeline(join(root, 'm365', 'twins'));
    const realRow = new Map(toy.patients.ids.map((id, p) => [id, p]));
    const stage = toy.patients.attributes[0]!;
    const twinStage = twins.patients.attributes[0]!;
    twins.patients.ids.forEach((id, p) => {
      const q = realRow.get(id.split('#')[0]!)!;
      expect(twins.patients.indexDay[p]).toBe(toy.patients.indexDay[q]);
      if (stage.kind === 'categorical' && twinStage.kind === 'categorical') {
        const real = stage.codes[q]! < 0 ? undefined : stage.levels[stage.codes[q]!];
        const twin = twinStage.codes[p]! < 0 ? undefined : twinStage.levels[twinStage.codes[p]!];
        expect(twin).toBe(real);
      }
      const realEvents: string[] = [];
      for (let e = toy.offsets[q]!; e < toy.offsets[q + 1]!; e++) {
        const c = TOY_CODES[toy.events.code[e]!]!;
        if (toy.events.day[e]! <= landmark && c !== 'DEATH' && c !== 'END_OF_FOLLOWUP') {
          realEvents.push(`${toy.events.day[e]}:${c}`);
        }
      }
      const twinEvents: string[] = [];
      for (let e = twins.offsets[p]!; e < twins.offsets[p + 1]!; e++) {
        twinEvents.push(`${twins.events.day[e]}:${twins.events.codes[twins.events.code[e]!]}`);
      }
      // the observed prefix, then a future strictly after the landmark
      expect(twinEvents.slice(0, realEvents.length)).toEqual(realEvents);
      expect(Number(twinEvents[realEvents.length]!.split(':')[0])).toBeGreaterThan(landmark);
    });
    // summary: one row per eligible patient, risks are probabilities, increasing with horizon
    expect(r.rows.length).toBe(r.eligible);
    for (const row of r.rows) {
      expect(row.deathRisk[0]).toBeGreaterThanOrEqual(0);
      expect(row.deathRisk[0]!).toBeLessThanOrEqual(row.deathRisk[1]!);
      expect(row.deathRisk[1]!).toBeLessThanOrEqual(row.deathRisk[2]!);
      expect(row.deathRisk[2]).toBeLessThanOrEqual(1);
    }
    // without `out` nothing is written and the rows are the same
    const inMemory = await withModel(markovDir, (m) =>
      generateHistoryTwins(m, toy, { landmark, futures: 2, seed: 5 }),
    );
    expect(inMemory.rows).toEqual(r.rows);
    const csv = readFileSync(join(root, 'm365', 'summary.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv.length).toBe(r.eligible + 1);
    expect(csv[0]).toContain('DEATH@1826d');
  });

  it('a counterfactual arm forces the intervention at the landmark, from the same streams', async () => {
    const r = await withModel(markovDir, (m) =>
      generateHistoryTwins(m, toy, {
        landmark: 100,
        futures: 5,
        seed: 9,
        out: join(root, 'cf'),
        intervention: { events: [{ day: 0, code: 'PROGRESSION' }] },
      }),
    );
    const rare = code('PROGRESSION');
    const H = r.horizonsDays.length;
    const intervened = await readTimeline(join(root, 'cf', 'intervened'));
    // every intervened future has PROGRESSION on its landmark day
    intervened.patients.ids.forEach((_, p) => {
      let found = false;
      for (let e = intervened.offsets[p]!; e < intervened.offsets[p + 1]!; e++) {
        const c = intervened.events.codes[intervened.events.code[e]!];
        if (c === 'PROGRESSION' && intervened.events.day[e] === 100) found = true;
      }
      expect(found).toBe(true);
    });
    for (let i = 0; i < r.rows.length; i++) {
      expect(r.intervened![i]!.risk[rare * H]).toBe(1);
      expect(r.difference!.risk[i]![rare * H]).toBeCloseTo(1 - r.rows[i]!.risk[rare * H]!, 12);
    }
    expect(r.difference!.meanRisk[rare * H]).toBeGreaterThan(0.2);
    // the observed arm equals a run without the intervention (same seed, same streams)
    await withModel(markovDir, (m) =>
      generateHistoryTwins(m, toy, { landmark: 100, futures: 5, seed: 9, out: join(root, 'cf0') }),
    );
    for (const f of ['events.arrow', 'patients.arrow']) {
      expect(readFileSync(join(root, 'cf', 'observed', f))).toEqual(
        readFileSync(join(root, 'cf0', 'twins', f)),
      );
    }
    expect(readFileSync(join(root, 'cf', 'difference.csv'), 'utf8')).toContain('\nmean,');
  });
});

describe('generateHistoryTwins (rules)', () => {
  it('the rule mask counts the observed events: no fourth PROGRESSION after three observed ones', async () => {
    const mined = mineRules(toy);
    const rule = mined.rules.find((r) => r.kind === 'max_count' && r.code === 'PROGRESSION');
    expect(rule).toMatchObject({ max: 3, severity: 'hard' });
    // landmark: the day of each patient's third PROGRESSION
    const many = makeToyTimeline(4000, 12);
    const days: Record<string, number> = {};
    many.patients.ids.forEach((id, p) => {
      let n = 0;
      for (let e = many.offsets[p]!; e < many.offsets[p + 1]!; e++) {
        if (many.events.code[e] === code('PROGRESSION') && ++n === 3)
          days[id] = many.events.day[e]!;
      }
    });
    const run = (rules: boolean, out: string) =>
      withModel(markovDir, (m) => {
        const model = { ...m, ...(rules ? { rules: { ...mined, rules: [rule!] } } : {}) };
        return generateHistoryTwins(model, many, {
          landmark: { defaultDay: 0, days }, // the others at day 0: rows change hands between both kinds
          futures: 1,
          seed: 4,
          out: join(root, out),
          batchSize: 16, // rows are reused: a stale rule state would show
        });
      });
    await run(false, 'rules-off');
    await run(true, 'rules-on');
    const violating = async (out: string) =>
      auditRules(await readTimeline(join(root, out, 'twins')), [rule!]).counts[0]!.violating;
    expect(await violating('rules-off')).toBeGreaterThan(0);
    expect(await violating('rules-on')).toBe(0);
  });
});

describe('generateHistoryTwins (GRU: bytes)', () => {
  let real: Timeline;
  beforeAll(async () => {
    await selectBackend('wasm');
    await simulateReference(join(root, 'ref'), { patients: 40, seed: 4 });
    real = await readTimeline(join(root, 'ref'));
  });

  it('bytes do not depend on the batch size (7 vs 64) nor on shards (2 vs 1)', async () => {
    const run = (out: string, extra: object) =>
      withModel('models/reference', (m) =>
        generateHistoryTwins(m, real, {
          landmark: 180,
          futures: 3,
          seed: 1,
          out: join(root, out),
          ...extra,
        }),
      );
    const a = await run('b7', { batchSize: 7 });
    await run('b64', { batchSize: 64 });
    const s1 = await run('s1', { batchSize: 16, shard: { index: 1, count: 2 } });
    const s2 = await run('s2', { batchSize: 16, shard: { index: 2, count: 2 } });
    for (const f of ['events.arrow', 'patients.arrow']) {
      expect(readFileSync(join(root, 'b7', 'twins', f))).toEqual(
        readFileSync(join(root, 'b64', 'twins', f)),
      );
    }
    expect(readFileSync(join(root, 'b7', 'summary.csv'))).toEqual(
      readFileSync(join(root, 'b64', 'summary.csv')),
    );
    // the shards' patients and events, in order, are the unsharded run's
    const whole = await readTimeline(join(root, 'b7', 'twins'));
    const parts = [
      await readTimeline(join(root, 's1', 'twins')),
      await readTimeline(join(root, 's2', 'twins')),
    ];
    expect(parts.flatMap((t) => t.patients.ids)).toEqual(whole.patients.ids);
    const events = (t: Timeline) =>
      Array.from(t.events.day, (d, e) => `${d}:${t.events.codes[t.events.code[e]!]}`);
    expect(parts.flatMap(events)).toEqual(events(whole));
    expect(s1.rows.length + s2.rows.length).toBe(a.rows.length);
    // each shard's twins.json maps its own rows to real ids (row r → realIds[⌊r / N⌋])
    const record = (out: string) =>
      JSON.parse(readFileSync(join(root, out, 'twins', 'twins.json'), 'utf8')).realIds;
    expect([...record('s1'), ...record('s2')]).toEqual(record('b7'));
    expect(record('s2')[0]).toBe(parts[1]!.patients.ids[0]!.split('#')[0]);
    expect([...s1.rows, ...s2.rows].map((r) => Array.from(r.deathRisk))).toEqual(
      a.rows.map((r) => Array.from(r.deathRisk)),
    );
  }, 120_000);
});
