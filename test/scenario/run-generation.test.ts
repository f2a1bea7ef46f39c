import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIsoDay } from '../../src/core/days.js';
import { readTimeline } from '../../src/timeline/read.js';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('scenario');
const SCENARIOS = readdirSync('scenarios').filter((f) => f.endsWith('.json'));

function generate(args: string[]) {
  const r = runTrajsim(['generate', '--model', 'models/default', '--quiet', ...args]);
  return r;
}

function record(dir: string) {
  return JSON.parse(readFileSync(join(dir, 'generation.json'), 'utf8'));
}

function same(a: string, b: string): boolean {
  return ['patients.arrow', 'events.arrow'].every((f) =>
    readFileSync(join(a, f)).equals(readFileSync(join(b, f))),
  );
}

describe('the shipped scenarios', () => {
  it('there are at least four realistic scenarios besides the demo', () => {
    expect(SCENARIOS.filter((f) => f !== 'demo.json').length).toBeGreaterThanOrEqual(4);
  });

  for (const file of SCENARIOS) {
    it(`${file} generates, and achieves what it requests`, async () => {
      const out = join(root, file.replace('.json', ''));
      const r = generate(['--scenario', `scenarios/${file}`, '--patients', '400', '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const scenario = JSON.parse(readFileSync(`scenarios/${file}`, 'utf8'));
      const rec = record(out);
      const t = await readTimeline(out);
      expect(t.patients.ids.length).toBe(400);
      expect(rec.counts.patients).toBe(400);
      expect(rec.scenario.name).toBe(scenario.name);
      expect(rec.model.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      if (scenario.index_date) {
        for (const d of t.patients.indexDay) {
          expect(
            formatIsoDay(d) >= scenario.index_date.from &&
              formatIsoDay(d) <= scenario.index_date.to,
          ).toBe(true);
        }
      }
      const horizon = scenario.horizon_days ?? Number.POSITIVE_INFINITY;
      for (const d of t.events.day) expect(d).toBeLessThanOrEqual(horizon);
      for (const [name, req] of Object.entries(scenario.attributes ?? {})) {
        const a = t.patients.attributes.find((x) => x.name === name)!;
        if (typeof req === 'string') {
          expect(a.kind).toBe('categorical');
          const level = (a as { levels: readonly string[] }).levels.indexOf(req);
          expect(Array.from((a as { codes: Int32Array }).codes).every((c) => c === level)).toBe(
            true,
          );
        } else if ((req as { distribution?: string }).distribution) {
          const { min, max } = req as { min: number; max: number };
          for (const v of (a as { values: Float64Array }).values)
            expect(v >= min && v <= max).toBe(true);
        } else if ((req as { weights?: object }).weights) {
          const row = rec.requestedVsAchieved.attributes.find(
            (x: { attribute: string }) => x.attribute === name,
          );
          for (const l of row.levels) {
            // binomial SE at n = 400 is at most 0.025: allow 4 SE
            expect(Math.abs(l.achieved - l.requested)).toBeLessThan(0.1);
          }
        }
      }
      for (const iv of scenario.interventions ?? []) {
        const code = t.events.codes.indexOf(iv.code);
        const row = rec.requestedVsAchieved.interventions.find(
          (x: { code: string }) => x.code === iv.code,
        );
        expect(row.share).toBe(1);
        for (let p = 0; p < t.patients.ids.length; p++) {
          const events = Array.from(
            t.events.code.subarray(t.offsets[p]!, t.offsets[p + 1]!),
            (c, k) => ({
              code: t.events.codes[c]!,
              day: t.events.day[t.offsets[p]! + k]!,
            }),
          );
          // on or before the forced day, the forced code is the only one of the codes it replaces
          const early = events.filter(
            (e) => e.day <= iv.day && e.code.startsWith(iv.replaces ?? iv.code),
          );
          expect(early.map((e) => e.code)).toEqual([iv.code]);
          expect(code).toBeGreaterThanOrEqual(0);
        }
      }
      for (const c of scenario.criteria ?? []) {
        const code = t.events.codes.indexOf(c.code ?? c.not_code);
        for (let p = 0; p < t.patients.ids.length; p++) {
          let has = false;
          for (let e = t.offsets[p]!; e < t.offsets[p + 1]!; e++) {
            if (
              t.events.code[e] === code &&
              t.events.day[e]! <= (c.within_days ?? Number.POSITIVE_INFINITY)
            )
              has = true;
          }
          expect(has).toBe(c.code !== undefined);
        }
        expect(rec.requestedVsAchieved.criteria.pilot.acceptanceRate).toBeGreaterThan(0);
      }
    });
  }
});

describe('generation from a scenario', () => {
  it('refuses infeasible criteria with the estimated acceptance rate and writes nothing', () => {
    const out = join(root, 'infeasible');
    const r = generate(['--scenario', 'test/scenario/fixtures/infeasible.json', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /INFEASIBLE.*criteria: the criteria accept (below|about) .* under min_acceptance_rate 0\.2/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a category the model never saw, listing the levels it knows', () => {
    const r = generate([
      '--scenario',
      'test/scenario/fixtures/unknown-level.json',
      '--out',
      join(root, 'unknown'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /attributes\.rx: 'FOLFOX' is not a level of rx the model knows; known levels: Lev, Lev\+5FU, Obs/,
    );
  });

  it('shards with criteria merge into the bytes of the unsharded run', () => {
    const s = 'scenarios/recurrence-within-2y.json';
    expect(
      generate(['--scenario', s, '--patients', '300', '--out', join(root, 'whole')]).status,
    ).toBe(0);
    expect(
      generate(['--scenario', s, '--patients', '300', '--shard', '1/2', '--out', join(root, 'p1')])
        .status,
    ).toBe(0);
    expect(
      generate(['--scenario', s, '--patients', '300', '--shard', '2/2', '--out', join(root, 'p2')])
        .status,
    ).toBe(0);
    expect(
      runTrajsim(['merge', join(root, 'p1'), join(root, 'p2'), '--out', join(root, 'merged')])
        .status,
    ).toBe(0);
    expect(same(join(root, 'merged'), join(root, 'whole'))).toBe(true);
    expect(record(join(root, 'p2')).shard).toEqual({
      index: 2,
      count: 2,
      firstPatient: 150,
      patients: 150,
    });
  });

  it('a run killed mid-way and restarted with --resume ends with identical bytes', async () => {
    const args = [
      '--scenario',
      'scenarios/demo.json',
      '--patients',
      '6000',
      '--batch-size',
      '8',
      '--resume',
      '--part-patients',
      '1000',
    ];
    expect(generate([...args, '--out', join(root, 'uninterrupted')]).status).toBe(0);
    const out = join(root, 'killed');
    const partial = `${out}.partial`;
    const child = spawn(
      process.execPath,
      [
        'dist/cli/main.js',
        'generate',
        '--model',
        'models/default',
        '--quiet',
        ...args,
        '--out',
        out,
      ],
      {
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(partial, 'part-000000', 'timeline.json')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(join(out, 'timeline.json'))).toBe(false); // it really was interrupted
    const resumed = runTrajsim(['generate', '--model', 'models/default', ...args, '--out', out]);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toMatch(/resumed: [1-5] of 6 parts were already complete/);
    expect(same(out, join(root, 'uninterrupted'))).toBe(true);
    expect(existsSync(partial)).toBe(false);
    expect(record(out).counts.patients).toBe(6000);
  });
});
