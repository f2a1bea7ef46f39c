import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTrajsim } from '../../helpers/cli.js';
import { useTempDir } from '../../helpers/tmp.js';

const dir = useTempDir('privacy-cli');
const ref = (seed: number) => join(dir, `ref-${seed}`);

beforeAll(() => {
  for (const seed of [21, 22, 23]) {
    const r = runTrajsim([
      'reference',
      '--patients',
      '300',
      '--seed',
      String(seed),
      '--out',
      ref(seed),
      '--quiet',
    ]);
    expect(r.status).toBe(0);
  }
}, 60_000);

describe('trajsim privacy and validate --train', () => {
  it('privacy: a cohort that copies the training data fails the gate (exit 1) and names the metrics', () => {
    const r = runTrajsim([
      'privacy',
      '--train',
      ref(21),
      '--holdout',
      ref(22),
      '--synthetic',
      ref(21),
      '--json',
      '--quiet',
    ]);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.passed).toBe(false);
    const share = report.metrics.find((m: { id: string }) => m.id === 'exact_copies.share');
    expect(share.value).toBe(1);
    expect(r.stderr).toContain('FAIL dcr.share');
  });

  it('validate --train: report.json and report.html carry the Privacy section; the real data is the holdout', () => {
    const out = join(dir, 'report');
    const r = runTrajsim([
      'validate',
      '--real',
      ref(22),
      '--synthetic',
      ref(23),
      '--train',
      ref(21),
      '--out',
      out,
      '--quiet',
    ]);
    expect([0, 1]).toContain(r.status);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.privacy.passed).toBe(true);
    expect(report.privacy.settings.holdoutSource).toContain('--real');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<h2>Privacy</h2>');
  });

  it('privacy --out: an independent sample passes (exit 0) and privacy.json/privacy.html are written', () => {
    const out = join(dir, 'privacy-out');
    const r = runTrajsim([
      'privacy',
      '--train',
      ref(21),
      '--holdout',
      ref(22),
      '--synthetic',
      ref(23),
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PASS');
    expect(JSON.parse(readFileSync(join(out, 'privacy.json'), 'utf8')).passed).toBe(true);
    expect(readFileSync(join(out, 'privacy.html'), 'utf8')).toContain('<h2>Privacy</h2>');
  });

  it('validate refuses --holdout without --train (exit 2)', () => {
    const r = runTrajsim([
      'validate',
      '--real',
      ref(22),
      '--synthetic',
      ref(23),
      '--holdout',
      ref(21),
      '--out',
      join(dir, 'x'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--train');
  });
});
