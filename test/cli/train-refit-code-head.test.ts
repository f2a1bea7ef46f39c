import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const dir = useTempDir('train-refit');
const data = join(dir, 'ref');
const small = ['--epochs', '1', '--hidden', '8', '--batch-size', '32', '--seed', '2', '--quiet'];
const manifestOf = (out: string) => JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));

beforeAll(() => {
  const r = runTrajsim(['reference', '--patients', '120', '--seed', '4', '--out', data]);
  expect(r.status, r.stderr).toBe(0);
});

describe('trajsim train refits the code head', () => {
  it('with --refit-code-head (recorded), not by default (no trace in the manifest)', () => {
    const refit = join(dir, 'refit');
    const plain = join(dir, 'plain');
    const r0 = runTrajsim(['train', '--data', data, '--out', refit, '--refit-code-head', ...small]);
    expect(r0.status, r0.stderr).toBe(0);
    const r = runTrajsim(['train', '--data', data, '--out', plain, ...small]);
    expect(r.status, r.stderr).toBe(0);
    const a = manifestOf(refit);
    const b = manifestOf(plain);
    expect(a.hyperparameters.codeHeadRefit).toBe(1);
    expect(a.metrics.codeHeadRefit.trainCodeNllAfter).toBeLessThan(
      a.metrics.codeHeadRefit.trainCodeNllBefore,
    );
    expect(b.hyperparameters.codeHeadRefit).toBeUndefined();
    expect(b.metrics.codeHeadRefit).toBeUndefined();
    expect(a.metrics.validationNll).toBeLessThan(b.metrics.validationNll);
  }, 240_000);
});
