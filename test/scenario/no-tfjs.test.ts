import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('no-tfjs');

// A module-resolution hook that refuses every @tensorflow/* import. `--import` runs the
// preload in the main thread and again in every worker thread (workers inherit execArgv), so
// any thread that reaches tfjs fails its import.
const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@tensorflow/')) throw new Error('tfjs was loaded: ' + specifier);
  return next(specifier, context);
}
`;
const PRELOAD = `import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
`;

/** Runs an ES module (from the built dist/) in a child node where tfjs cannot load. */
function runWithoutTfjs(name: string, body: string) {
  writeFileSync(join(root, 'hooks.mjs'), HOOKS);
  writeFileSync(join(root, 'preload.mjs'), PRELOAD);
  const dist = (path: string) =>
    JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'dist', path)).href);
  const script = join(root, name);
  writeFileSync(
    script,
    `const { loadModel } = await import(${dist('model/read-model.js')});
const { createEngineStepModel } = await import(${dist('model/engine.js')});
const { generationModelOf } = await import(${dist('generate/generation-model.js')});
const { runGeneration } = await import(${dist('scenario/run-generation.js')});
const { scenarioOfOptions } = await import(${dist('scenario/scenario-of-options.js')});
${body}
`,
  );
  const r = spawnSync(process.execPath, ['--import', join(root, 'preload.mjs'), script], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the onnx engine and the generation workers run without tfjs', () => {
  it('generate on 2 worker threads with the onnx engine loads no @tensorflow module in any thread', () => {
    const out = JSON.stringify(join(root, 'out'));
    const r = runWithoutTfjs(
      'generate.mjs',
      `const loaded = loadModel('models/default');
const { stepModel, engine } = await createEngineStepModel(loaded, { engine: 'onnx', threads: 1 });
const model = generationModelOf(loaded, stepModel);
const scenario = scenarioOfOptions({ out: ${out}, patients: 2000, seed: '5' });
const { manifest } = await runGeneration({
  model, modelDir: 'models/default', scenario, out: ${out}, batchSize: 64,
  parallel: { threads: 2, engine: 'onnx' },
});
stepModel.dispose();
console.log(engine, manifest.counts.patients);
`,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^onnx \(onnxruntime-node .*\) 2000$/m);
  });

  it('the CLI: trajsim generate --engine onnx --threads 2 loads no @tensorflow module', () => {
    writeFileSync(join(root, 'hooks.mjs'), HOOKS);
    writeFileSync(join(root, 'preload.mjs'), PRELOAD);
    const out = join(root, 'cli-out');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        join(root, 'preload.mjs'),
        join(PROJECT_ROOT, 'dist/cli/main.js'),
        'generate',
        '--model',
        'models/default',
        '--patients',
        '3000',
        '--batch-size',
        '64',
        '--engine',
        'onnx',
        '--threads',
        '2',
        '--out',
        out,
      ],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('sampling on 2 worker threads');
    expect(r.stdout).toContain('generated 3000 patients');
  });

  it('the hook is real: the tfjs engine fails to load under it', () => {
    const r = runWithoutTfjs(
      'tfjs.mjs',
      `await createEngineStepModel(loadModel('models/default'), { engine: 'tfjs' });`,
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('tfjs was loaded: @tensorflow/');
  });
});
