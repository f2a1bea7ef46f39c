import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AtomicDir, type OutputOptions } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import { checkJson, parseJsonText, readTextFile } from '../core/json-file.js';
import { checkCartAttributeModel } from './attribute-cart.js';

/** The model folder format this trajsim writes and reads. */
export const MODEL_FORMAT_VERSION = 1;

export const MODEL_FILES = {
  MANIFEST: 'manifest.json',
  WEIGHTS: 'weights.bin',
  MARKOV: 'markov.json',
} as const;

export const MODEL_KINDS = { GRU: 'gru', MARKOV: 'markov' } as const;
export type ModelKind = (typeof MODEL_KINDS)[keyof typeof MODEL_KINDS];

const attributeSpec = z.union([
  z.object({ name: z.string(), kind: z.literal('categorical'), levels: z.array(z.string()) }),
  z.object({ name: z.string(), kind: z.literal('numeric') }),
]);

const encoding = z.union([
  z.object({ name: z.string(), kind: z.literal('categorical'), levels: z.array(z.string()) }),
  z.object({
    name: z.string(),
    kind: z.literal('numeric'),
    mean: z.number(),
    std: z.number().positive(),
    /** Normal-score encoding (attribute-encoder.ts); absent in standardised encoders. */
    knots: z.array(z.number()).min(2).optional(),
    scores: z.array(z.number()).min(2).optional(),
  }),
]);

const attributeNode = z.union([
  z.object({
    name: z.string(),
    kind: z.literal('categorical'),
    levels: z.array(z.string()),
    parent: z.number().int(),
    table: z.array(z.array(z.number().nonnegative())),
  }),
  z.object({
    name: z.string(),
    kind: z.literal('numeric'),
    parent: z.number().int(),
    integer: z.boolean(),
    cells: z.array(z.object({ missing: z.number().min(0).max(1), quantiles: z.array(z.number()) })),
  }),
]);

const cartSplitChildren = { left: z.number().int(), right: z.number().int() };
const cartTreeNode = z.union([
  z.object({ kind: z.literal('leaf'), counts: z.array(z.number().nonnegative()) }),
  z.object({
    kind: z.literal('leaf'),
    values: z.array(z.number()),
    missing: z.number().int().nonnegative(),
  }),
  z.object({
    kind: z.literal('le'),
    attribute: z.number().int().nonnegative(),
    threshold: z.number(),
    missingLeft: z.boolean(),
    ...cartSplitChildren,
  }),
  z.object({
    kind: z.literal('in'),
    attribute: z.number().int().nonnegative(),
    levels: z.array(z.number().int().min(-1)),
    ...cartSplitChildren,
  }),
  z.object({
    kind: z.literal('missing'),
    attribute: z.number().int().nonnegative(),
    ...cartSplitChildren,
  }),
]);

/** Sequential CART attribute model (attribute-cart.ts), version 1. */
const cartAttributeModel = z.object({
  kind: z.literal('cart'),
  version: z.literal(1),
  order: z.array(z.number().int().nonnegative()),
  trees: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['categorical', 'numeric']),
      levels: z.array(z.string()).optional(),
      bandwidth: z.number().nonnegative().optional(),
      nodes: z.array(cartTreeNode).min(1),
    }),
  ),
  smoothing: z.enum(['density', 'rare']).optional(),
});

const weightSpec = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  offset: z.number().int().nonnegative(),
});

/** zod schema of manifest.json. */
export const modelManifestSchema = z.object({
  format: z.literal('trajsim-model'),
  formatVersion: z.literal(MODEL_FORMAT_VERSION),
  kind: z.enum(['gru', 'markov']),
  packageVersion: z.string(),
  commandLine: z.array(z.string()),
  seed: z.string(),
  backend: z.string(),
  training: z.object({
    name: z.string(),
    contentHash: z.string(),
    patients: z.number().int().nonnegative(),
    events: z.number().int().nonnegative(),
    trainPatients: z.number().int().nonnegative(),
    validationPatients: z.number().int().nonnegative(),
    /** [first, last] index_date (days since 1970-01-01) of the training patients. */
    indexDayRange: z.tuple([z.number().int(), z.number().int()]),
    /** Longest follow-up (last event day) seen: the default generation horizon. */
    maxFollowUpDays: z.number().int().nonnegative(),
    /** Most events of one patient. */
    maxEvents: z.number().int().nonnegative(),
  }),
  vocabulary: z.object({
    codes: z.array(z.string()).min(1),
    grouped: z.array(z.string()),
    minPatients: z.number().int().positive(),
  }),
  attributes: z.array(attributeSpec),
  encoders: z.array(encoding),
  /** The sequential CART model, or the legacy one-parent model of older manifests. */
  attributeModel: z.union([cartAttributeModel, z.object({ nodes: z.array(attributeNode) })]),
  hyperparameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  metrics: z.object({
    /** Nats per event (codes + gaps); null where not defined (Markov: empirical gaps have no density). */
    validationNll: z.number().nullable(),
    validationCodeNll: z.number().nullable(),
    validationGapNll: z.number().nullable(),
    epochs: z.number().int().nonnegative(),
    bestEpoch: z.number().int(),
    trainSeconds: z.number().nonnegative(),
    /** Nats per event of the value head (part of validationNll); absent for models without values. */
    validationValueNll: z.number().nullable().optional(),
    /** The post-training refit of the code head (refit-code-head.ts); absent when none was done. */
    codeHeadRefit: z
      .object({
        trainCodeNllBefore: z.number(),
        trainCodeNllAfter: z.number(),
        validationCodeNllBefore: z.number().nullable(),
        validationCodeNllAfter: z.number().nullable(),
        iterations: z.number().int().nonnegative(),
        maxScore: z.number(),
        parameters: z.number().int().positive(),
      })
      .optional(),
  }),
  weights: z.array(weightSpec).optional(),
  /** Markov: conditioning attribute (name) or '' for none. */
  condition: z.string().optional(),
  /** Event values (value-spec.ts): absent for models without a value head (all older folders). */
  values: z
    .object({
      minShare: z.number().min(0).max(1),
      width: z.number().int().min(2),
      codes: z
        .array(
          z.object({
            code: z.string(),
            transform: z.enum(['log', 'identity']),
            mean: z.number(),
            std: z.number().positive(),
            integer: z.boolean(),
            missingShare: z.number().min(0).max(1),
            edges: z.array(z.number()).min(2),
          }),
        )
        .min(1),
    })
    .optional(),
});

export type ModelManifest = z.infer<typeof modelManifestSchema>;

/**
 * Reads and validates `manifest.json` of a model folder. An unknown format version is
 * refused with a message saying which versions this trajsim reads; any other problem names
 * the field. Throws IO (no folder / no manifest) or MODEL.
 *
 * @example
 * readModelManifest('models/default').kind // => 'gru'
 */
export function readModelManifest(dir: string): ModelManifest {
  const path = join(dir, MODEL_FILES.MANIFEST);
  if (!existsSync(path)) {
    throw new TrajsimError(
      'IO',
      `${dir} is not a model folder (no ${MODEL_FILES.MANIFEST}); create one with 'trajsim train'`,
    );
  }
  const json = parseJsonText(readTextFile(path), path, 'MODEL');
  const head = z.object({ format: z.string(), formatVersion: z.number() }).safeParse(json);
  if (!head.success || head.data.format !== 'trajsim-model') {
    throw new TrajsimError(
      'MODEL',
      "not a trajsim model manifest (format must be 'trajsim-model')",
      {
        file: path,
        field: 'format',
      },
    );
  }
  if (head.data.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new TrajsimError(
      'MODEL',
      `model format version ${head.data.formatVersion} is not supported: this trajsim reads version ${MODEL_FORMAT_VERSION}; ` +
        'retrain the model with this trajsim or use the trajsim version that wrote it',
      { file: path, field: 'formatVersion' },
    );
  }
  const parsed = { data: checkJson(json, modelManifestSchema, path, 'MODEL') };
  const am = parsed.data.attributeModel;
  if ('kind' in am) {
    try {
      checkCartAttributeModel(am, parsed.data.attributes.length);
    } catch (cause) {
      throw new TrajsimError('MODEL', (cause as Error).message, {
        file: path,
        field: 'attributeModel',
        cause,
      });
    }
  }
  return parsed.data;
}

/** The files of a model folder besides its manifest. */
export interface ModelFiles {
  readonly weights?: Float32Array;
  readonly markov?: unknown;
}

/**
 * Writes a model folder atomically (temporary folder renamed into place). Throws IO when
 * `dir` is a non-empty folder and `overwrite` is false.
 *
 * @example
 * writeModelFolder('models/colon', manifest, { weights }, { overwrite: false }); // throws IO if models/colon is not empty
 */
export function writeModelFolder(
  dir: string,
  manifest: ModelManifest,
  files: ModelFiles,
  options: OutputOptions = {},
): void {
  const atomic = AtomicDir.create(dir, { ...options, kind: 'model' });
  try {
    if (files.weights) {
      const w = files.weights;
      writeFileSync(
        atomic.file(MODEL_FILES.WEIGHTS),
        new Uint8Array(w.buffer, w.byteOffset, w.byteLength),
      );
    }
    if (files.markov !== undefined) {
      writeFileSync(atomic.file(MODEL_FILES.MARKOV), `${JSON.stringify(files.markov)}\n`);
    }
    writeFileSync(atomic.file(MODEL_FILES.MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    atomic.commit();
  } catch (error) {
    atomic.abort();
    throw error;
  }
}

/**
 * Reads weights.bin (little-endian float32). Throws IO when absent.
 *
 * @example
 * readModelWeights('models/default').length // => the number of weights (manifest.weights)
 */
export function readModelWeights(dir: string): Float32Array {
  const path = join(dir, MODEL_FILES.WEIGHTS);
  if (!existsSync(path)) throw new TrajsimError('IO', `missing ${path}`);
  const bytes = readFileSync(path);
  if (bytes.byteLength % 4 !== 0) {
    throw new TrajsimError('MODEL', 'weights file length is not a multiple of 4 bytes', {
      file: path,
    });
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
