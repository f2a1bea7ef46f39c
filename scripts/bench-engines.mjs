#!/usr/bin/env node
// Generation engines side by side (issue 11). Prints JSON.
//
//   npm run build && node scripts/bench-engines.mjs [--work DIR] [--hidden 128]
//        [--batches 1024,4096] [--threads 1,2] [--patients 131072] [--tfjs-patients 16384]
//        [--million 1000000] [--skip-tfjs-million]
//
// 1. trains a hidden-128 GRU for 1 epoch on 3000 reference patients (realistic trajectory
//    lengths; the weights do not matter for speed);
// 2. for tfjs wasm and ONNX (two-stage) at each batch size and thread count: the raw step
//    (network only, random inputs: step + gap head for one code per row, as the sampler calls
//    them; ONNX with `threads` intra-op threads, and 1 thread × threads as the ideal of
//    `threads` workers) and end to end (runGeneration, as `trajsim generate --threads N`:
//    N worker threads, 1 ONNX thread each, sampling + Arrow output), events/s, their ratio,
//    and events per CPU-second (user + system time of this process, workers included: less
//    sensitive than wall time to other processes on a shared machine) and its inverse, CPU
//    seconds per million events; the 1-minute load
//    average is recorded beside every row (the machine may be shared);
// 3. 1M patients with models/reference through the CLI (`/usr/bin/time -v`): wall time and
//    peak RSS, for the onnx engine at --threads 1 and 2 and, as the baseline of the same run,
//    the tfjs engine.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  loadEngineGenerationModel,
  loadGenerationModel,
  loadModel,
  probeStepThroughput,
  Rng,
  runGeneration,
  scenarioOfOptions,
  selectBackend,
  simulateReference,
  trainModel,
} from 'trajsim';
import { generatePlain } from './lib.mjs';

const root = new URL('..', import.meta.url);

const { values: args } = parseArgs({
  options: {
    work: { type: 'string', default: '/tmp/trajsim-bench-engines' },
    hidden: { type: 'string', default: '128' },
    batches: { type: 'string', default: '1024,4096' },
    threads: { type: 'string', default: '1,2' },
    patients: { type: 'string', default: '131072' },
    'tfjs-patients': { type: 'string', default: '16384' },
    million: { type: 'string', default: '1000000' },
    'skip-tfjs-million': { type: 'boolean', default: false },
  },
});
const work = resolve(args.work);
mkdirSync(work, { recursive: true });
const log = (m) => process.stderr.write(`${m}\n`);
const hidden = Number(args.hidden);
const loadAverage = async () => (await import('node:os')).loadavg().map((x) => +x.toFixed(1));
const load1 = async () => (await loadAverage())[0];
const loadavgNow = () => loadavg().map((x) => +x.toFixed(1));
const result = {
  generatedBy: 'scripts/bench-engines.mjs',
  hidden,
  cpus: cpus().length,
  loadAverageAtStart: await loadAverage(),
};

await selectBackend('wasm');
const refDir = join(work, 'reference-3000');
rmSync(refDir, { recursive: true, force: true });
await simulateReference(refDir, { patients: 3000, seed: 3 });
const modelDir = join(work, `gru-h${hidden}`);
await trainModel({
  data: refDir,
  out: modelDir,
  hidden,
  epochs: 1,
  batchSize: 64,
  overwrite: true,
  seed: 1,
});
const loaded = loadModel(modelDir);
const V = loaded.manifest.vocabulary.codes.length;
const nA = loaded.manifest.attributes.length;

/** The step model of `loaded` on an engine, and the engine's description. */
async function engineStepModel(loaded, options) {
  const { model, engine } = await loadEngineGenerationModel(loaded, options);
  return { stepModel: model.stepModel, engine };
}

function cpuSeconds(since) {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

/** Raw ONNX step: start, then `steps` × (step + gap head) on random inputs. */
async function onnxRaw(stepModel, batch, steps) {
  const rng = new Rng('raw');
  const values = new Float64Array(batch * nA);
  await stepModel.start({ rows: batch, values });
  const code = Int32Array.from({ length: batch }, () => rng.int(V + 1));
  const gap = Int32Array.from({ length: batch }, () => rng.int(400));
  const day = Int32Array.from({ length: batch }, () => rng.int(3000));
  const next = Int32Array.from({ length: batch }, () => rng.int(V));
  const once = async () => {
    await stepModel.step(code, gap, day);
    await stepModel.setNextCodes(next);
  };
  for (let i = 0; i < 3; i++) await once();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) await once();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  stepModel.end();
  return {
    eventsPerSecond: (steps * batch) / seconds,
    eventsPerCpuSecond: (steps * batch) / cpu,
    cpuSecondsPerMillionEvents: (cpu * 1e6) / (steps * batch),
  };
}

async function endToEnd(stepModel, batch) {
  const model = loadGenerationModel(loaded, stepModel);
  const out = join(work, `gen-${batch}`);
  const n = Math.max(Number(args['tfjs-patients']), 4 * batch);
  const c0 = process.cpuUsage();
  const g = await generatePlain(model, modelDir, { patients: n, seed: 1, out, batchSize: batch });
  const cpu = cpuSeconds(c0);
  rmSync(out, { recursive: true, force: true });
  return {
    patients: n,
    events: Math.round(g.eventsPerSecond * g.seconds),
    eventsPerSecond: g.eventsPerSecond,
    eventsPerCpuSecond: (g.eventsPerSecond * g.seconds) / cpu,
    cpuSecondsPerMillionEvents: (cpu * 1e6) / (g.eventsPerSecond * g.seconds),
  };
}

/** End to end as `trajsim generate --threads N` (runGeneration; N > 1: worker threads). */
async function endToEndThreads(stepModel, batch, threads) {
  const model = loadGenerationModel(loaded, stepModel);
  const out = join(work, `gen-${batch}-t${threads}`);
  const n = Math.max(Number(args.patients), 4 * batch);
  const scenario = scenarioOfOptions({ out, patients: n, seed: '1' });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const { manifest } = await runGeneration({
    model,
    modelDir,
    scenario,
    out,
    batchSize: batch,
    overwrite: true,
    ...(threads > 1 ? { parallel: { threads, engine: 'onnx' } } : {}),
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  rmSync(out, { recursive: true, force: true });
  const events = manifest.counts.events;
  return {
    patients: n,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    eventsPerCpuSecond: events / cpu,
    cpuSecondsPerMillionEvents: (cpu * 1e6) / events,
  };
}

result.engines = [];
for (const batch of args.batches.split(',').map(Number)) {
  const steps = batch >= 4096 ? 10 : 30;
  // tfjs wasm (one thread in Node): the committed two-stage step.
  {
    const loadBefore = await load1();
    const { stepModel, engine } = await engineStepModel(loaded, { engine: 'tfjs' });
    const e2e = await endToEnd(stepModel, batch);
    stepModel.dispose();
    const raw = probeStepThroughput({
      hidden,
      batch,
      vocabularySize: V,
      attributeWidth: 16,
      steps,
    });
    const row = {
      engine,
      batch,
      threads: 1,
      loadAverage1m: [loadBefore, await load1()],
      rawStepEventsPerSecond: raw.eventsPerSecond,
      endToEnd: e2e,
      endToEndShareOfRawStep: e2e.eventsPerSecond / raw.eventsPerSecond,
    };
    result.engines.push(row);
    log(JSON.stringify(row));
  }
  const { stepModel: one } = await engineStepModel(loaded, { engine: 'onnx', threads: 1 });
  const rawOne = await onnxRaw(one, batch, steps);
  for (const threads of args.threads.split(',').map(Number)) {
    const loadBefore = await load1();
    const { stepModel, engine } = await engineStepModel(loaded, { engine: 'onnx', threads });
    const raw = threads === 1 ? rawOne : await onnxRaw(stepModel, batch, steps);
    stepModel.dispose();
    const e2e = await endToEndThreads(one, batch, threads);
    const row = {
      engine,
      endToEndMode: `generate --threads ${threads} (1 ONNX thread per worker)`,
      batch,
      threads,
      loadAverage1m: [loadBefore, await load1()],
      rawStepEventsPerSecond: raw.eventsPerSecond,
      rawStepEventsPerCpuSecond: raw.eventsPerCpuSecond,
      rawStepIdealOfThreadsWorkers: threads * rawOne.eventsPerSecond,
      endToEnd: e2e,
      endToEndShareOfRawStep: e2e.eventsPerSecond / raw.eventsPerSecond,
      endToEndShareOfIdealWorkers: e2e.eventsPerSecond / (threads * rawOne.eventsPerSecond),
    };
    result.engines.push(row);
    log(JSON.stringify(row));
  }
  one.dispose();
}

/** Ratios across rows of the same batch: threads 2 over 1 end to end, onnx over tfjs. */
result.ratios = args.batches
  .split(',')
  .map(Number)
  .map((batch) => {
    const rows = result.engines.filter((r) => r.batch === batch);
    const tfjs = rows.find((r) => r.engine.startsWith('tfjs'));
    const t = (n) => rows.find((r) => r.engine.startsWith('onnx') && r.threads === n);
    const e2e = (r) => r?.endToEnd.eventsPerSecond;
    const cpu = (r) => r?.endToEnd.eventsPerCpuSecond;
    return {
      batch,
      endToEndThreads2OverThreads1: e2e(t(2)) / e2e(t(1)),
      endToEndOnnxThreads1OverTfjs: e2e(t(1)) / e2e(tfjs),
      endToEndOnnxThreads2OverTfjs: e2e(t(2)) / e2e(tfjs),
      cpuEfficiencyThreads2OverThreads1: cpu(t(2)) / cpu(t(1)),
    };
  });

/** 1M patients with the committed reference model through the CLI, under GNU time -v. */
function million(engine, threads = 1) {
  const out = join(work, `million-${engine}-t${threads}`);
  rmSync(out, { recursive: true, force: true });
  const cli = fileURLToPath(new URL('dist/cli/main.js', root));
  const argv = [
    '-v',
    process.execPath,
    cli,
    'generate',
    '--quiet',
    '--model',
    fileURLToPath(new URL('models/reference', root)),
    '--patients',
    args.million,
    '--seed',
    '1',
    '--out',
    out,
    '--engine',
    engine,
    '--batch-size',
    '4096',
    '--threads',
    String(threads),
  ];
  const timed = spawnSync('/usr/bin/time', argv, { encoding: 'utf8' });
  rmSync(out, { recursive: true, force: true });
  const field = (name) => {
    const line = timed.stderr.split('\n').find((l) => l.trim().startsWith(name));
    return line ? line.slice(line.lastIndexOf(':') + 1).trim() : undefined;
  };
  // "Elapsed (wall clock) time (h:mm:ss or m:ss): 4:35.12"
  const wallLine = timed.stderr.split('\n').find((l) => l.includes('Elapsed (wall clock)'));
  const wall = wallLine ? wallLine.slice(wallLine.indexOf('): ') + 3).trim() : 'NaN';
  const parts = wall.split(':').map(Number);
  const wallSeconds = parts.reduce((acc, x) => acc * 60 + x, 0);
  return {
    engine,
    threads,
    loadAverage: loadavgNow(),
    patients: Number(args.million),
    status: timed.status,
    wallSeconds,
    userSeconds: Number(field('User time (seconds)')),
    systemSeconds: Number(field('System time (seconds)')),
    peakRssMiB: Number(field('Maximum resident set size (kbytes)')) / 1024,
    cli: timed.stdout.trim(),
  };
}

const m = Number(args.million);
if (m > 0) {
  result.million = [];
  for (const threads of args.threads.split(',').map(Number)) {
    result.million.push(million('onnx', threads));
    log(JSON.stringify(result.million.at(-1)));
  }
  if (!args['skip-tfjs-million']) {
    result.million.push(million('tfjs'));
    log(JSON.stringify(result.million.at(-1)));
  }
  result.millionBaselineBeforeIssue11Seconds = 77;
}
result.loadAverageAtEnd = await loadAverage();
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
