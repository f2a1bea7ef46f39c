/**
 * The recipe behind `trajsim infer`: read the real sample (optionally a seeded subsample)
 * and the synthetic cohort, get the twins of the real patients (generated with a model, or
 * read), and combine.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { TrajsimError } from '../core/errors.js';
import { readJsonFile } from '../core/json-file.js';
import { type Logger, SILENT_LOGGER } from '../core/messages.js';
import { DEFAULT_SEED, Rng } from '../core/rng.js';
import { loadGenerationModel } from '../generate/load-generation-model.js';
import { selectBackend } from '../model/backend.js';
import type { BackendName } from '../model/backend-names.js';
import { loadModel } from '../model/read-model.js';
import {
  type InferenceResult,
  inferFromTimelines,
} from '../stats/inference/infer-from-timelines.js';
import { estimateTarget, type InferenceQuery } from '../stats/inference/inference-target.js';
import { readTimeline } from '../timeline/read.js';
import { selectPatients } from '../timeline/select-patients.js';
import type { Timeline } from '../timeline/types.js';
import { generateTwins, TWINS_FILE } from './generate-twins.js';

/** Options of {@link runInference}. */
export interface RunInferenceOptions {
  readonly realDir: string;
  readonly syntheticDir: string;
  readonly query: InferenceQuery;
  /** A model folder: twins of the real patients are generated with it. */
  readonly model?: string;
  /** A twins timeline made earlier (`generate --twins-of`), instead of `model`. */
  readonly twinsDir?: string;
  /** Twins per real patient when generating (default 10). */
  readonly twinsPerPatient?: number;
  /** Use a seeded random subsample of this many real patients (the rest give the full-data row). */
  readonly realSample?: number;
  /** Seed of the subsample and of the twins (default 1). */
  readonly seed?: string | number;
  readonly backend?: BackendName;
  readonly logger?: Logger;
}

/** {@link InferenceResult} plus the estimate on all real patients when a subsample was used. */
export interface RunInferenceResult extends InferenceResult {
  readonly fullData?: {
    readonly patients: number;
    readonly estimate: number;
    readonly se: number;
  };
}

/**
 * Row indices of a seeded random subsample of `size` of `n` rows, ascending.
 *
 * @param n - rows available.
 * @param size - rows wanted, 1..n.
 * @param rng - the random stream.
 * @returns ascending row indices.
 * @throws TrajsimError INVALID_ARGUMENT when size is not in 1..n.
 * @example
 * subsampleRows(10, 3, new Rng(1)).length // => 3
 */
export function subsampleRows(n: number, size: number, rng: Rng): Int32Array {
  if (!(Number.isSafeInteger(size) && size >= 1 && size <= n)) {
    throw new TrajsimError('INVALID_ARGUMENT', `real sample ${size}: expected 1..${n} patients`, {
      field: 'realSample',
    });
  }
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(n - i);
    const t = all[i] as number;
    all[i] = all[j] as number;
    all[j] = t;
  }
  return all.slice(0, size).sort();
}

/** The parts of twins.json that inference relies on. */
const twinsRecordSchema = z.object({
  format: z.literal('trajsim-twins'),
  twinsOf: z.string(),
  realIds: z.array(z.string()),
  perPatient: z.number().int().min(1),
});

async function twinsOf(
  real: Timeline,
  o: Omit<RunInferenceOptions, 'query'>,
): Promise<{ timeline: Timeline; perPatient: number } | undefined> {
  if (o.twinsDir !== undefined) {
    const file = join(o.twinsDir, TWINS_FILE);
    const record = readJsonFile(file, twinsRecordSchema, {
      notFound: `not found; --twins takes a folder made by generate --twins-of`,
    });
    const ids = real.patients.ids;
    if (record.realIds.length !== ids.length || record.realIds.some((id, i) => id !== ids[i])) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `the twins are of other patients (${record.realIds.length} of ${record.twinsOf}) than the real sample (${ids.length} of ${real.name})`,
        { file, field: 'realIds' },
      );
    }
    return { timeline: await readTimeline(o.twinsDir), perPatient: record.perPatient };
  }
  if (o.model === undefined) return undefined;
  const loaded = loadModel(o.model);
  if (loaded.manifest.kind === 'gru') {
    await selectBackend(o.backend ?? 'wasm', { logger: o.logger ?? SILENT_LOGGER });
  }
  const model = loadGenerationModel(loaded);
  const dir = mkdtempSync(join(tmpdir(), 'trajsim-twins-'));
  const out = join(dir, 'twins');
  const perPatient = o.twinsPerPatient ?? 10;
  try {
    await generateTwins(model, real, {
      perPatient,
      seed: o.seed ?? DEFAULT_SEED,
      out,
      ...(o.logger ? { logger: o.logger } : {}),
    });
    return { timeline: await readTimeline(out), perPatient };
  } finally {
    model.stepModel.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs one inference query from timeline directories (see `inferFromTimelines`).
 *
 * @param o - directories, query, twins source, subsample, seed, backend, logger.
 * @returns the three rows, synthetic weight, diagnostics, notes and (with `realSample`)
 *   the estimate on all real patients.
 * @throws TrajsimError IO for unreadable inputs, INVALID_ARGUMENT for a bad query or
 *   twins of other patients, MODEL for a bad model folder.
 * @example
 * await runInference({ realDir: 'out/colon', syntheticDir: 'out/syn', model: 'models/default',
 *   realSample: 150, query: { target: { kind: 'survival', days: 1095 }, endpoint: 'DEATH',
 *   by: 'rx', levels: ['Obs', 'Lev+5FU'] } })
 */
export async function runInference(o: RunInferenceOptions): Promise<RunInferenceResult> {
  const [result] = await runInferences({ ...o, queries: [o.query] });
  return result as RunInferenceResult;
}

/**
 * Runs several queries on the same timelines and twins (read and generated once).
 *
 * @param o - as {@link runInference}, with `queries` instead of `query`.
 * @returns one result per query, in order.
 * @throws TrajsimError as {@link runInference}.
 * @example
 * await runInferences({ realDir: 'out/colon', syntheticDir: 'out/syn',
 *   queries: [{ target: { kind: 'median' }, endpoint: 'DEATH' }] })
 */
export async function runInferences(
  o: Omit<RunInferenceOptions, 'query'> & { readonly queries: readonly InferenceQuery[] },
): Promise<RunInferenceResult[]> {
  const full = await readTimeline(o.realDir);
  const real =
    o.realSample === undefined
      ? full
      : selectPatients(
          full,
          subsampleRows(
            full.patients.ids.length,
            o.realSample,
            new Rng(o.seed ?? DEFAULT_SEED).fork('real-sample'),
          ),
          `${full.name}-sample-${o.realSample}`,
        );
  const synthetic = await readTimeline(o.syntheticDir);
  const twins = await twinsOf(real, o);
  return o.queries.map((query) => {
    const result = inferFromTimelines(real, synthetic, query, twins);
    if (o.realSample === undefined) return result;
    const all = estimateTarget(full, query);
    let v = 0;
    for (const x of all.influence) v += x * x;
    return {
      ...result,
      fullData: { patients: full.patients.ids.length, estimate: all.estimate, se: Math.sqrt(v) },
    };
  });
}
