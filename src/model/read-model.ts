// Reading a model folder without tfjs: the onnx engine and the generation workers import this
// (model/load-model.ts adds createStepModel, which needs the tfjs network).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import { nonFiniteWeight } from '../core/messages.js';
import {
  MODEL_FILES,
  type ModelManifest,
  readModelManifest,
  readModelWeights,
} from './manifest.js';
import type { MarkovParameters } from './markov.js';

/** A model folder read into memory (no tensors yet). */
export interface LoadedModel {
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly weights?: Float32Array;
  readonly markov?: MarkovParameters;
}

/**
 * Reads a model folder: manifest.json (validated; an incompatible format version is
 * refused), then weights.bin (GRU) or markov.json (Markov). Throws IO or MODEL.
 *
 * @example
 * loadModel('models/colon').manifest.kind // => 'gru'
 */
export function loadModel(dir: string): LoadedModel {
  const manifest = readModelManifest(dir);
  if (manifest.kind === 'gru') {
    const weights = readModelWeights(dir);
    const specs = manifest.weights ?? [];
    let needed = 0;
    for (const s of specs) needed = Math.max(needed, s.offset + s.shape.reduce((a, b) => a * b, 1));
    if (specs.length === 0 || needed !== weights.length) {
      throw new TrajsimError(
        'MODEL',
        `weights.bin holds ${weights.length} floats; the manifest describes ${needed}`,
        {
          file: join(dir, MODEL_FILES.WEIGHTS),
        },
      );
    }
    const bad = weights.findIndex((w) => !Number.isFinite(w));
    if (bad >= 0) {
      const spec =
        specs.find(
          (sp) => bad >= sp.offset && bad < sp.offset + sp.shape.reduce((a, b) => a * b, 1),
        ) ?? specs[0]!;
      throw new TrajsimError('MODEL', nonFiniteWeight(bad, spec.name), {
        file: join(dir, MODEL_FILES.WEIGHTS),
      });
    }
    return { dir, manifest, weights };
  }
  const path = join(dir, MODEL_FILES.MARKOV);
  if (!existsSync(path)) throw new TrajsimError('IO', `missing ${path}`);
  let markov: MarkovParameters;
  try {
    markov = JSON.parse(readFileSync(path, 'utf8')) as MarkovParameters;
  } catch (cause) {
    throw new TrajsimError('MODEL', 'not valid JSON', { file: path, cause });
  }
  const V = manifest.vocabulary.codes.length;
  const isCountRow = (r: unknown): boolean =>
    Array.isArray(r) &&
    r.length === V &&
    r.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
  if (
    markov === null ||
    typeof markov !== 'object' ||
    !Array.isArray(markov.counts) ||
    markov.counts.some(
      (c: unknown) => !Array.isArray(c) || c.length !== V + 1 || !c.every(isCountRow),
    )
  ) {
    throw new TrajsimError('MODEL', `transition counts do not match the ${V}-code vocabulary`, {
      file: path,
      field: 'counts',
    });
  }
  const values = markov.values as unknown;
  if (
    values !== undefined &&
    !(
      typeof values === 'object' &&
      values !== null &&
      Array.isArray((values as { codes?: unknown }).codes) &&
      (values as { codes: unknown[] }).codes.every(
        (c) =>
          typeof c === 'object' &&
          c !== null &&
          Number.isInteger((c as { code?: unknown }).code) &&
          (c as { code: number }).code >= 0 &&
          (c as { code: number }).code < V &&
          Array.isArray((c as { bins?: unknown }).bins),
      )
    )
  ) {
    throw new TrajsimError('MODEL', `value model does not match the ${V}-code vocabulary`, {
      file: path,
      field: 'values',
    });
  }
  return { dir, manifest, markov };
}
