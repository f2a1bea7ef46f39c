/**
 * The expected size and time of a generate run, and the free disk it needs (issue 18, #27):
 * printed before a large run, and a run that would not fit is refused before any work.
 */
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import { generationEstimate, notEnoughDisk } from '../core/messages.js';

/**
 * Bytes of patients.arrow per patient (id, index date, attributes, death/censoring): measured
 * 68.5 on models/default (20,000 patients: 1,369,098 bytes), rounded up.
 */
export const BYTES_PER_PATIENT = 72;
/** Bytes of events.arrow per event: measured 28.1 on models/default (69,773 events: 1,963,770 bytes), rounded up. */
export const BYTES_PER_EVENT = 30;
/**
 * Patients generated per second, a documented conservative rate (CPU, onnx engine, 2 busy
 * cores: 20,000 patients in 3.5 s including start-up); the estimate is an order of magnitude.
 */
export const PATIENTS_PER_SECOND = 5000;
/** A run above this many patients gets the estimate line. */
export const ESTIMATE_PATIENTS = 1_000_000;
/** A run whose output is estimated above this many bytes gets the estimate line. */
export const ESTIMATE_BYTES = 2 ** 30;

/** The expected cost of a generate run. */
export interface RunEstimate {
  readonly patients: number;
  readonly events: number;
  /** Bytes on disk at the peak (with --resume: the checkpointed parts and the merged output). */
  readonly bytes: number;
  readonly seconds: number;
}

/**
 * Estimates a run from the model's training data (events per patient).
 *
 * @param patients - patients written by this run (this shard).
 * @param training - the training data's patient and event counts (manifest `training`).
 * @param resume - with --resume the parts and the merged output are on disk together (×2).
 * @returns events, bytes and seconds (order of magnitude).
 * @example
 * estimateGeneration(1000, { patients: 10, events: 35 }, false) // => { patients: 1000, events: 3500, bytes: 177000, seconds: 0.2 }
 */
export function estimateGeneration(
  patients: number,
  training: { readonly patients: number; readonly events: number },
  resume: boolean,
): RunEstimate {
  const perPatient = training.patients > 0 ? training.events / training.patients : 0;
  const events = Math.round(patients * perPatient);
  const bytes = (patients * BYTES_PER_PATIENT + events * BYTES_PER_EVENT) * (resume ? 2 : 1);
  return { patients, events, bytes, seconds: patients / PATIENTS_PER_SECOND };
}

/**
 * Free bytes of the file system an output will be written to (its nearest existing ancestor).
 *
 * @param out - the output folder (need not exist).
 * @returns available bytes for this user, or undefined when the file system cannot say.
 * @example
 * freeDiskBytes('out/cohort') // => 77581422592
 */
export function freeDiskBytes(out: string): number | undefined {
  let dir = dirname(resolve(out));
  for (;;) {
    try {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    } catch {
      const up = dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  }
}

/**
 * Checks a run against the free disk: returns the line to print before a large run (or
 * undefined for a small one), and refuses a run whose estimate exceeds the free disk.
 *
 * @param estimate - from {@link estimateGeneration}.
 * @param out - the output folder.
 * @param free - free bytes (default: {@link freeDiskBytes} of `out`).
 * @returns the estimate line, or undefined when the run is small.
 * @throws TrajsimError IO when the estimate exceeds the free disk.
 * @example
 * checkRunFits(estimateGeneration(2e6, { patients: 929, events: 3255 }, false), 'out/big')
 * // => 'expected output: 2,000,000 patients, ~7,007,535 events, ~354 MB; ~7 min at ~5,000 patients/s; 77.6 GB free in /work'
 */
export function checkRunFits(
  estimate: RunEstimate,
  out: string,
  free: number | undefined = freeDiskBytes(out),
): string | undefined {
  const where = dirname(resolve(out));
  if (free !== undefined && estimate.bytes > free) {
    throw new TrajsimError('IO', notEnoughDisk(estimate.bytes, free, where), { file: out });
  }
  if (estimate.patients <= ESTIMATE_PATIENTS && estimate.bytes <= ESTIMATE_BYTES) return undefined;
  return generationEstimate(estimate, PATIENTS_PER_SECOND, free, where);
}
