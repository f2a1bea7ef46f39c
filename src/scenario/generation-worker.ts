/**
 * The worker thread of parallel generation (src/scenario/sample-in-workers.ts): loads the
 * model folder with its own step model (ONNX Runtime with one intra-op thread), recompiles the
 * scenario's hooks from its JSON, then samples each chunk it is handed with the one batch
 * sampler (sampleRange) and posts it back packed, its buffers transferred. On the onnx engine
 * nothing here loads tfjs (test/scenario/no-tfjs.test.ts checks it): each worker would
 * otherwise hold its own copy of it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TrajsimError } from '../core/errors.js';
import { SILENT_LOGGER } from '../core/messages.js';
import { generationModelOf } from '../generate/generation-model.js';
import { sampleRange } from '../generate/sample-range.js';
import type { GenerationModel } from '../generate/step-model.js';
import { createEngineStepModel } from '../model/engine.js';
import { loadModel } from '../model/read-model.js';
import {
  ChunkPacker,
  type WorkerReply,
  type WorkerRequest,
  type WorkerSetup,
} from './sample-in-workers.js';
import { compileScenarioHooks } from './scenario-hooks.js';

/** Posts an error as data (the main thread rethrows it as the TrajsimError it was). */
function replyError(error: unknown): void {
  const e =
    error instanceof TrajsimError
      ? error
      : new TrajsimError('INTERNAL', (error as Error)?.message ?? String(error));
  const reply: WorkerReply = {
    type: 'error',
    code: e.code,
    reason: e.reason,
    ...(e.field !== undefined ? { field: e.field } : {}),
    ...(e.file !== undefined ? { file: e.file } : {}),
  };
  parentPort!.postMessage(reply);
}

async function main(): Promise<void> {
  const setup = workerData as WorkerSetup;
  const loaded = loadModel(setup.modelDir);
  const { stepModel } = await createEngineStepModel(loaded, {
    engine: setup.engine,
    threads: 1,
    ...(setup.device ? { device: setup.device } : {}),
  });
  const { rules: _modelRules, ...base } = generationModelOf(loaded, stepModel);
  const model: GenerationModel = setup.rules ? { ...base, rules: setup.rules } : base;
  const hooks = compileScenarioHooks(model, setup.scenario);
  const packer = new ChunkPacker();
  const tally = hooks.criteriaTally;
  const o = {
    ...setup.sample,
    hooks: { ...hooks, written: (p: { attempt: number }) => packer.noteAttempt(p.attempt) },
    logger: SILENT_LOGGER,
  };
  parentPort!.on('message', (request: WorkerRequest) => {
    if (request.type === 'stop') {
      stepModel.dispose();
      parentPort!.close();
      return;
    }
    const metBefore = tally ? Float64Array.from(tally.met) : new Float64Array(0);
    const candidatesBefore = tally?.candidates ?? 0;
    sampleRange(model, packer, request.from, request.to, o).then(
      (counts) => {
        const packed = packer.take();
        const reply: WorkerReply = {
          type: 'chunk',
          chunk: request.chunk,
          from: request.from,
          counts,
          ...packed,
          criteriaMet: tally ? tally.met.map((v, k) => v - metBefore[k]!) : new Float64Array(0),
          criteriaCandidates: (tally?.candidates ?? 0) - candidatesBefore,
        };
        parentPort!.postMessage(
          reply,
          [
            packed.indexDay,
            packed.attempt,
            packed.attributes,
            packed.offsets,
            packed.days,
            packed.codes,
            packed.values,
          ].map((a) => a.buffer as ArrayBuffer),
        );
      },
      (error: unknown) => replyError(error),
    );
  });
  parentPort!.postMessage({ type: 'ready' } satisfies WorkerReply);
}

main().catch(replyError);
