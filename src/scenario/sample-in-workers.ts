/**
 * Parallel generation (issue 11 item 5): the patients [from, to) of a run are cut into
 * contiguous chunks; N worker threads (src/scenario/generation-worker.ts) each sample the
 * chunks they are handed with their own step model and the scenario's hooks recompiled from its
 * JSON, and post every chunk back as packed typed arrays (transferred, not copied). The main
 * thread writes the chunks in index order into its one writer, so the output bytes equal a
 * one-thread run: every patient draws from its own stream (candidateRng) whatever chunk or
 * thread samples it, exactly as shards and resume parts do.
 *
 * Why chunks written by the main thread, not one part per worker merged afterwards: the
 * writer is ~4% of a run's CPU (profile of 50k reference patients), while a merge pass
 * re-reads each part whole (memory grows with the part) and re-writes every event. Handing out
 * chunks in order, at most {@link CHUNKS_AHEAD_PER_THREAD} × N ahead of the writer, keeps
 * memory flat, balances the threads and keeps Ctrl-C simple: the only output being written is
 * the main thread's atomic one.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TrajsimError } from '../core/errors.js';
import { GrowableColumn } from '../core/growable.js';
import {
  type GeneratedPatient,
  type PatientWriter,
  type SampleRangeCounts,
  type SampleRangeOptions,
  syntheticPatientId,
} from '../generate/generation-types.js';
import type { EngineName, OnnxDevice } from '../model/engine-names.js';
import type { RuleSet } from '../rules/rule-schema.js';
import type { Scenario } from './schema.js';

/** What a generation worker needs to rebuild the run's model and hooks (structured-cloneable). */
export interface WorkerSetup {
  /** Model folder the workers load (the same model the main thread samples with). */
  readonly modelDir: string;
  /** The rules in force (the model's with --rules and scenario edits); undefined: none. */
  readonly rules: RuleSet | undefined;
  readonly scenario: Scenario;
  /** The engine the main thread resolved (workers must use the same for the same bytes). */
  readonly engine: EngineName;
  readonly device?: OnnxDevice;
  readonly sample: Pick<
    SampleRangeOptions,
    'seed' | 'batchSize' | 'horizonDays' | 'maxEvents' | 'maxAttempts' | 'indexDayRange'
  >;
}

/** One chunk's patients, packed column-wise (posted from a worker with its buffers transferred). */
export interface PackedChunk {
  readonly chunk: number;
  readonly from: number;
  readonly patients: number;
  readonly indexDay: Int32Array;
  readonly attempt: Int32Array;
  /** patients × attributes, schema order. */
  readonly attributes: Float64Array;
  /** Event offsets per patient (patients + 1). */
  readonly offsets: Int32Array;
  readonly days: Int32Array;
  readonly codes: Int32Array;
  readonly values: Float64Array;
  readonly counts: SampleRangeCounts;
  /** Criteria met in this chunk's candidates (with criteria), and those candidates. */
  readonly criteriaMet: Float64Array;
  readonly criteriaCandidates: number;
}

/** Messages from a worker. */
export type WorkerReply =
  | { readonly type: 'ready' }
  | ({ readonly type: 'chunk' } & PackedChunk)
  | {
      readonly type: 'error';
      readonly code: string;
      readonly reason: string;
      readonly field?: string;
      readonly file?: string;
    };

/** Messages to a worker. */
export type WorkerRequest =
  | { readonly type: 'range'; readonly chunk: number; readonly from: number; readonly to: number }
  | { readonly type: 'stop' };

/**
 * Fewest patients for which `generate` samples on worker threads by default: below it, the
 * workers' start (each loads the model and opens its ONNX sessions, ~1 s of CPU) costs more
 * than it saves. An explicit `--threads N` always uses N.
 */
export const PARALLEL_MIN_PATIENTS = 20_000;

/** Chunks a thread may run ahead of the writer (bounds the memory of waiting chunks). */
export const CHUNKS_AHEAD_PER_THREAD = 2;

/**
 * Patients per chunk: at least 16 batches (so a chunk's draining tail is a small share of
 * it), at least 4,096, and no more than an even share per thread.
 *
 * @example
 * chunkPatients(1_000_000, 4096, 2) // => 65536
 * chunkPatients(10_000, 64, 2) // => 4096
 * chunkPatients(1000, 1024, 2) // => 500
 */
export function chunkPatients(patients: number, batchSize: number, threads: number): number {
  const wanted = Math.max(4096, 16 * batchSize);
  return Math.max(1, Math.min(wanted, Math.ceil(patients / threads)));
}

/** The worker script: dist/scenario/generation-worker.js (the sources run it from dist/ too). */
function workerUrl(): URL {
  const here = new URL('./generation-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  // running from the TypeScript sources (vitest): the built worker (npm run build)
  return new URL('../../dist/scenario/generation-worker.js', import.meta.url);
}

const int32 = (n: number) => new Int32Array(n);
const float64 = (n: number) => new Float64Array(n);

/** A packing {@link PatientWriter} for workers: collects a chunk's patients into typed columns. */
export class ChunkPacker implements PatientWriter {
  private indexDay = new GrowableColumn(int32);
  private attempt = new GrowableColumn(int32);
  private attributes = new GrowableColumn(float64);
  private offsets = new GrowableColumn(int32);
  private days = new GrowableColumn(int32, 16_384);
  private codes = new GrowableColumn(int32, 16_384);
  private values = new GrowableColumn(float64, 16_384);

  /** Records a patient's index day and attributes (the id is rebuilt from its index). */
  addPatient(_id: string, indexDay: number, attributeValues: ArrayLike<number>): void {
    this.offsets.push(this.days.length);
    this.indexDay.push(indexDay);
    for (let i = 0; i < attributeValues.length; i++) this.attributes.push(attributeValues[i]!);
  }

  /** Records one event of the last patient. */
  addEvent(day: number, code: number, value: number): void {
    this.days.push(day);
    this.codes.push(code);
    this.values.push(value);
  }

  /** The attempt of the patient just written (from the `written` hook). */
  noteAttempt(attempt: number): void {
    this.attempt.push(attempt);
  }

  async commit(): Promise<void> {}

  /** The packed chunk (exact-size copies, so their buffers can be transferred); the packer empties. */
  take(): Omit<PackedChunk, 'chunk' | 'from' | 'counts' | 'criteriaMet' | 'criteriaCandidates'> {
    this.offsets.push(this.days.length);
    const packed = {
      patients: this.indexDay.length,
      indexDay: this.indexDay.toArray(),
      attempt: this.attempt.toArray(),
      attributes: this.attributes.toArray(),
      offsets: this.offsets.toArray(),
      days: this.days.toArray(),
      codes: this.codes.toArray(),
      values: this.values.toArray(),
    };
    for (const c of [this.indexDay, this.attempt, this.attributes, this.offsets]) c.length = 0;
    for (const c of [this.days, this.codes, this.values]) c.length = 0;
    return packed;
  }
}

/** Writes a chunk's patients in order and calls the `written` hook for each. */
async function writeChunk(
  c: PackedChunk,
  writer: PatientWriter,
  nA: number,
  written: ((p: GeneratedPatient) => void) | undefined,
): Promise<void> {
  for (let p = 0; p < c.patients; p++) {
    const g = c.from + p;
    const attributes = c.attributes.subarray(p * nA, (p + 1) * nA);
    writer.addPatient(syntheticPatientId(g), c.indexDay[p]!, attributes);
    const start = c.offsets[p]!;
    const end = c.offsets[p + 1]!;
    for (let e = start; e < end; e++) writer.addEvent(c.days[e]!, c.codes[e]!, c.values[e]!);
    written?.({
      globalIndex: g,
      attempt: c.attempt[p]!,
      indexDay: c.indexDay[p]!,
      attributes,
      days: c.days.subarray(start, end),
      codes: c.codes.subarray(start, end),
      values: c.values.subarray(start, end),
    });
  }
  await writer.commit();
}

/** A started worker: its next reply, as a promise. */
interface Thread {
  readonly worker: Worker;
  next(): Promise<WorkerReply>;
}

function startThread(setup: WorkerSetup): Thread {
  const worker = new Worker(workerUrl(), { workerData: setup });
  const replies: WorkerReply[] = [];
  const waiting: { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void }[] = [];
  let failed: unknown;
  worker.on('message', (r: WorkerReply) => {
    const w = waiting.shift();
    if (w) w.resolve(r);
    else replies.push(r);
  });
  const fail = (error: unknown) => {
    failed = error;
    for (const w of waiting.splice(0)) w.reject(error);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (code !== 0) fail(new TrajsimError('INTERNAL', `a generation worker exited with ${code}`));
  });
  return {
    worker,
    next: () => {
      const r = replies.shift();
      if (r) return Promise.resolve(r);
      if (failed !== undefined) return Promise.reject(failed);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

/** A worker's reply as a value, or its error rethrown as the TrajsimError it was. */
function unwrap(r: WorkerReply): WorkerReply {
  if (r.type === 'error') {
    throw new TrajsimError(r.code as TrajsimError['code'], r.reason, {
      ...(r.field !== undefined ? { field: r.field } : {}),
      ...(r.file !== undefined ? { file: r.file } : {}),
    });
  }
  return r;
}

/** Counts of {@link sampleInWorkers}: the sampler's, and the criteria tally of the workers. */
export interface WorkersResult {
  readonly counts: SampleRangeCounts;
  readonly criteriaMet: Float64Array;
  readonly criteriaCandidates: number;
}

/**
 * Samples patients [from, to) on `threads` worker threads into `writer`, in index order: the
 * same patients, bytes and `written` hook calls as `sampleRange(model, writer, from, to, o)` on
 * the main thread (see the module comment). `o.hooks.written` runs on the main thread; the
 * other hooks are recompiled in each worker from `setup.scenario`. Progress goes to
 * `o.logger.progress` after every chunk. Throws the first worker's error (e.g. INFEASIBLE) as a
 * TrajsimError, after stopping every worker.
 *
 * @param setup - what the workers rebuild the model and hooks from
 * @param writer - the run's writer (main thread)
 * @param from - first global patient index
 * @param to - one past the last
 * @param o - the run's sampling options (hooks.written and the logger are used here)
 * @param threads - worker threads (>= 1)
 * @param attributes - attribute columns of the model (row width of the packed chunks)
 * @example
 * await sampleInWorkers(setup, writer, 0, 1_000_000, o, 2, model.attributes.length)
 * // => { counts: { written: 1000000, ... }, criteriaMet, criteriaCandidates }
 */
export async function sampleInWorkers(
  setup: WorkerSetup,
  writer: PatientWriter,
  from: number,
  to: number,
  o: SampleRangeOptions,
  threads: number,
  attributes: number,
): Promise<WorkersResult> {
  const counts: SampleRangeCounts = { written: 0, candidates: 0, events: 0, capped: 0 };
  const criteriaMet = new Float64Array(setup.scenario.criteria.length);
  let criteriaCandidates = 0;
  if (to <= from) return { counts, criteriaMet, criteriaCandidates };
  const size = chunkPatients(to - from, o.batchSize, threads);
  const nChunks = Math.ceil((to - from) / size);
  const n = Math.min(threads, nChunks);
  const pool = Array.from({ length: n }, () => startThread(setup));
  const started = performance.now();
  const done = new Map<number, PackedChunk>();
  let nextAssign = 0;
  let nextWrite = 0;
  let wake: (() => void) | undefined;
  const chunkArrived = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let failure: unknown;
  const roomWaiters: (() => void)[] = [];
  const releaseRoom = () => {
    for (const w of roomWaiters.splice(0)) w();
  };
  const drive = async (t: Thread): Promise<void> => {
    unwrap(await t.next()); // ready
    for (;;) {
      while (nextAssign - nextWrite >= CHUNKS_AHEAD_PER_THREAD * n && failure === undefined) {
        await new Promise<void>((resolve) => roomWaiters.push(resolve));
      }
      if (nextAssign >= nChunks || failure !== undefined) return;
      const chunk = nextAssign++;
      const lo = from + chunk * size;
      const request: WorkerRequest = {
        type: 'range',
        chunk,
        from: lo,
        to: Math.min(to, lo + size),
      };
      t.worker.postMessage(request);
      const reply = unwrap(await t.next());
      if (reply.type !== 'chunk') throw new TrajsimError('INTERNAL', 'unexpected worker reply');
      done.set(chunk, reply);
      chunkArrived();
    }
  };
  const drivers = pool.map((t) =>
    drive(t).catch((error: unknown) => {
      failure ??= error;
      chunkArrived();
      releaseRoom();
    }),
  );
  try {
    while (nextWrite < nChunks) {
      const c = done.get(nextWrite);
      if (failure !== undefined) throw failure;
      if (c === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      done.delete(nextWrite);
      await writeChunk(c, writer, attributes, o.hooks.written);
      counts.written += c.counts.written;
      counts.candidates += c.counts.candidates;
      counts.events += c.counts.events;
      counts.capped += c.counts.capped;
      c.criteriaMet.forEach((v, k) => {
        criteriaMet[k]! += v;
      });
      criteriaCandidates += c.criteriaCandidates;
      nextWrite++;
      releaseRoom();
      const elapsed = (performance.now() - started) / 1000;
      o.logger.progress?.(
        'generate',
        (o.progressOffset ?? 0) + counts.written,
        o.progressTotal ?? to - from,
        `${Math.round(counts.events / Math.max(elapsed, 1e-9))} events/s, ${n} threads`,
      );
    }
    await Promise.all(drivers);
  } finally {
    failure ??= new Error('stopped');
    releaseRoom();
    for (const t of pool) await t.worker.terminate();
  }
  return { counts, criteriaMet, criteriaCandidates };
}
