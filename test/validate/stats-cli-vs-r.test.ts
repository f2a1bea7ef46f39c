import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { num, type RNumber } from '../fixtures/r/golden.js';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

/** `trajsim stats ... --json` on the bundled data against the numbers R's survival wrote. */
const root = useTempDir('stats-r');
const fixture = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/r/${name}.json`, 'utf8')).cases as {
    name: string;
    ties?: string;
    expected: Record<string, unknown>;
  }[];

/** Within 1e-6 relative (1e-9 absolute); R's NA/NaN (JSON null or a string) only matches NaN (null). */
function close(actual: number | null, expected: RNumber): void {
  const e = num(expected);
  const a = actual === null ? Number.NaN : actual;
  if (Number.isNaN(e)) {
    expect(Number.isNaN(a)).toBe(true);
    return;
  }
  expect(Math.abs(a - e)).toBeLessThanOrEqual(Math.max(1e-9, 1e-6 * Math.abs(e)));
}

function stats(args: string[]) {
  const r = runTrajsim(['stats', ...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(() => {
  for (const d of ['colon', 'mgus2']) {
    const r = runTrajsim([
      'import',
      '--patients',
      `data/${d}/patients.csv`,
      '--events',
      `data/${d}/events.csv`,
      '--out',
      join(root, d),
    ]);
    expect(r.status).toBe(0);
  }
});

describe('trajsim stats agrees with R survival on the bundled data (1e-6 relative)', () => {
  it('km --by rx on colon matches survfit per arm, with RMST at 1826 days', () => {
    const out = stats([
      'km',
      join(root, 'colon'),
      '--endpoint',
      'DEATH',
      '--by',
      'rx',
      '--rmst-tau',
      '1826',
    ]);
    for (const arm of ['Obs', 'Lev', 'Lev+5FU']) {
      const r = fixture('kaplan-meier').find((c) => c.name === `colon OS rx=${arm}`)!.expected as {
        time: number[];
        median: RNumber;
        restrictedMean: { tau: number; value: RNumber; se: RNumber }[];
        [column: string]: unknown;
      };
      const g = out.groups.find((x: { group: string }) => x.group === arm);
      expect(g.time).toEqual(r.time);
      (['n_risk', 'n_event', 'surv', 'std_err', 'lower', 'upper'] as const).forEach((k, i) => {
        const rk = ['nRisk', 'nEvent', 'surv', 'stdErr', 'lower', 'upper'][i]!;
        for (const [j, v] of (r[rk] as RNumber[]).entries()) close(g[k][j], v);
      });
      close(g.median, r.median);
      const rm = (r.restrictedMean as { tau: number; value: number; se: number }[]).find(
        (x) => x.tau === 1826,
      )!;
      close(g.rmst.value, rm.value);
      close(g.rmst.se, rm.se);
    }
  });

  it('logrank --by on colon (rx) and mgus2 (sex) matches survdiff', () => {
    const cases = fixture('log-rank');
    const colon = cases.find((c) => c.name === 'colon OS by rx')!.expected as {
      chisq: number;
      df: number;
      p: number;
    };
    const c = stats(['logrank', join(root, 'colon'), '--endpoint', 'DEATH', '--by', 'rx']);
    close(c.chisq, colon.chisq);
    expect(c.df).toBe(colon.df);
    close(c.p, colon.p);
    const mgus = cases.find((x) => x.name === 'mgus2 OS by sex')!.expected as {
      chisq: number;
      p: number;
    };
    const m = stats(['logrank', join(root, 'mgus2'), '--endpoint', 'DEATH', '--by', 'sex']);
    close(m.chisq, mgus.chisq);
    close(m.p, mgus.p);
  });

  it('cox on colon (rx + sex + age + nodes, Obs reference) and mgus2 (age + sex + hgb) matches coxph (Efron)', () => {
    const cases = fixture('cox-ph').filter((c) => c.ties === 'efron');
    const runs: [string, string[]][] = [
      [
        'colon OS ~ rx + sex + age + nodes',
        ['cox', join(root, 'colon'), '--covariates', 'rx,sex,age,nodes', '--reference', 'rx=Obs'],
      ],
      ['mgus2 OS ~ age + sex + hgb', ['cox', join(root, 'mgus2'), '--covariates', 'age,sex,hgb']],
    ];
    for (const [name, args] of runs) {
      const r = cases.find((c) => c.name === name)!.expected as {
        terms: {
          term: string;
          coef: number;
          se: number;
          hr: number;
          lower: number;
          upper: number;
          p: number;
        }[];
        loglik: number[];
        n: number;
        events: number;
      };
      const out = stats(args);
      expect(out.terms.map((t: { term: string }) => t.term)).toEqual(r.terms.map((t) => t.term));
      out.terms.forEach((t: Record<string, number>, i: number) => {
        for (const k of ['coef', 'se', 'hr', 'lower', 'upper', 'p'] as const)
          close(t[k]!, r.terms[i]![k]);
      });
      close(out.loglik[0], r.loglik[0]!);
      close(out.loglik[1], r.loglik[1]!);
      expect(out.n).toBe(r.n);
      expect(out.events).toBe(r.events);
    }
  });
});
