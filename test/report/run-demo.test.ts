import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { createMemoryLogger } from '../../src/core/messages.js';
import { runDemo } from '../../src/report/run-demo.js';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const tmp = useTempDir('run-demo');

interface ReportJson {
  passed: boolean;
  metrics: { id: string; pass: boolean | null }[];
  synthetic: { patients: number };
  real: { patients: number };
}

describe('runDemo (npm run demo): the bundled data through the default model', () => {
  it('writes report.json with no failing metric and report.html, on the engine of generate', async () => {
    const out = join(tmp, 'demo');
    const logger = createMemoryLogger();
    const result = await runDemo({ out, logger });
    expect(result.reportDir).toBe(join(out, 'report'));
    const json = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8')) as ReportJson;
    const gated = json.metrics.filter((m) => m.pass !== null);
    expect(gated.length).toBeGreaterThan(20);
    expect(json.metrics.filter((m) => m.pass === false).map((m) => m.id)).toEqual([]);
    expect(json.passed).toBe(true);
    // data/colon holds 929 patients (R survival::colon, one row per id); scenarios/demo.json asks 2000
    expect(json.real.patients).toBe(929);
    expect(json.synthetic.patients).toBe(2000);
    expect(readFileSync(join(out, 'report', 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/i);
    // the engine generate would choose: onnx when onnxruntime-node loads, else tfjs
    expect(result.engine).toMatch(/^(onnx \(onnxruntime-node .*\)|tfjs \(.*\))$/);
    const generation = JSON.parse(
      readFileSync(join(out, 'synthetic', 'generation.json'), 'utf8'),
    ) as { backend?: string };
    expect(JSON.stringify(generation)).toContain(result.engine);
    const infos = logger.records.map((m) => m.message);
    expect(
      infos.some((m) => m.startsWith('2/3 generating 2000 patients') && m.includes(result.engine)),
    ).toBe(true);
  }, 120_000);

  it('passes on the tfjs engine too (the fallback when onnxruntime-node does not load)', async () => {
    const result = await runDemo({ out: join(tmp, 'demo-tfjs'), engine: 'tfjs' });
    expect(result.engine).toMatch(/^tfjs \(/);
    expect(result.report.metrics.filter((m) => m.pass === false).map((m) => m.id)).toEqual([]);
    expect(result.report.passed).toBe(true);
  }, 120_000);

  it('refuses a folder with files no demo wrote, and a package without a default model', async () => {
    const foreign = join(tmp, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    await expect(runDemo({ out: foreign })).rejects.toThrow(
      "the folder holds files that are not a demo's output (notes.txt); choose another --out",
    );
    const bare = join(tmp, 'bare-root');
    mkdirSync(bare);
    const error = await runDemo({ out: join(tmp, 'unused'), root: bare }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrajsimError);
    expect((error as TrajsimError).code).toBe('IO');
    expect(existsSync(join(tmp, 'unused'))).toBe(false);
  });

  it('trajsim demo prints the summary of the same run', () => {
    const out = join(tmp, 'cli-demo');
    const r = runTrajsim(['demo', '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^demo: (\d+)\/\1 fidelity metrics within thresholds; [\d.]+ s$/m);
    expect(r.stdout).toContain(`report: ${join(out, 'report', 'report.html')}`);
    expect(r.stderr).toMatch(/^generation engine: (onnx|tfjs)/m);
  }, 120_000);
});
