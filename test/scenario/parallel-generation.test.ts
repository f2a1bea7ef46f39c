import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chunkPatients } from '../../src/scenario/sample-in-workers.js';
import { PROJECT_ROOT, runTrajsim } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'trajsim-parallel-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A scenario with every hook: requested attributes, criteria (retries), an intervention. */
const scenario = {
  name: 'parallel-hooks',
  patients: 9000,
  seed: 11,
  attributes: {
    age: { distribution: 'uniform', min: 60, max: 80 },
    sex: { weights: { female: 0.3, male: 0.7 } },
  },
  criteria: [{ not_code: 'DEATH', within_days: 180 }],
  interventions: [
    {
      code: 'TREATMENT_START:Lev+5FU',
      day: 0,
      replaces: 'TREATMENT_START:',
      set_attribute: { rx: 'Lev+5FU' },
    },
  ],
};

function generate(out: string, threads: number) {
  return runTrajsim([
    'generate',
    '--model',
    'models/default',
    '--scenario',
    join(root, 'scenario.json'),
    '--batch-size',
    '64',
    '--threads',
    String(threads),
    '--out',
    out,
  ]);
}

const bytes = (dir: string, file: string) => readFileSync(join(dir, file));

describe('generate --threads: worker threads give the bytes of one thread', () => {
  it('chunks are contiguous ranges of at least 16 batches, at most an even share per thread', () => {
    // expected values by hand: max(4096, 16 × batch), capped at ceil(patients / threads)
    expect(chunkPatients(1_000_000, 4096, 2)).toBe(65_536);
    expect(chunkPatients(9000, 64, 2)).toBe(4096);
    expect(chunkPatients(1000, 1024, 3)).toBe(334);
  });

  it('a scenario with attributes, criteria and an intervention: threads 1, 2 and 3 write identical data', () => {
    writeFileSync(join(root, 'scenario.json'), JSON.stringify(scenario));
    const outs = [1, 2, 3].map((t) => join(root, `t${t}`));
    const runs = [1, 2, 3].map((t, i) => generate(outs[i]!, t));
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    expect(runs[1]!.stderr).toContain('sampling on 2 worker threads');
    for (const out of outs.slice(1)) {
      // 9000 patients in chunks of 4096 (threads 2: 3 chunks on 2 workers) or 3000 (threads 3)
      expect(bytes(out, 'events.arrow').equals(bytes(outs[0]!, 'events.arrow'))).toBe(true);
      expect(bytes(out, 'patients.arrow').equals(bytes(outs[0]!, 'patients.arrow'))).toBe(true);
    }
    const record = (out: string) => JSON.parse(bytes(out, 'generation.json').toString('utf8'));
    const one = record(outs[0]!);
    expect(one.counts.patients).toBe(9000);
    // criteria made retries: the tallies that come back from the workers add up the same
    expect(one.counts.candidates).toBeGreaterThan(9000);
    for (const out of outs.slice(1)) {
      const r = record(out);
      expect(r.counts).toEqual(one.counts);
      expect(r.requestedVsAchieved).toEqual(one.requestedVsAchieved);
    }
    expect(one.requestedVsAchieved.interventions[0].patientsWithEvent).toBeGreaterThan(0);
  });

  it('SIGINT while workers sample: exit 130, nothing half-written is left', async () => {
    const out = join(root, 'stopped');
    const child = spawn(
      process.execPath,
      [
        'dist/cli/main.js',
        'generate',
        '--quiet',
        '--patients',
        '200000',
        '--threads',
        '2',
        '--out',
        out,
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const temporaries = () =>
      readdirSync(dirname(out)).filter((n) => n.startsWith(`.${basename(out)}.tmp-`));
    const deadline = Date.now() + 60_000;
    while (temporaries().length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(temporaries().length).toBe(1); // the run's output is being written
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('stopped by SIGINT; removed 1 unfinished output folder');
    expect(existsSync(out)).toBe(false);
    expect(temporaries()).toEqual([]);
  });
});
