import { TrajsimError } from './errors.js';

/** One part of a run split across processes or machines: part `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * Parses `--shard`: `k/N` (1-based), or `auto`, which reads the scheduler's environment:
 * a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, 0-based, with the count in
 * `TRAJSIM_SHARD_COUNT` or `JOB_COMPLETIONS`, which the recipe sets from `.spec.completions`)
 * or a Slurm job array (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN`, and
 * `SLURM_ARRAY_TASK_COUNT`). Throws INVALID_ARGUMENT saying what is missing.
 *
 * @example
 * parseShard('2/4') // => { index: 2, count: 4 }
 * parseShard('auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '8' }) // => { index: 4, count: 8 }
 */
export function parseShard(
  text: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Shard {
  if (text === 'auto') {
    const count = (name: string): number => {
      const v = env[name];
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < 1) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          `--shard auto: ${name} is ${v === undefined ? 'not set' : `'${v}'`}; expected a positive integer`,
        );
      }
      return n;
    };
    if (env['JOB_COMPLETION_INDEX'] !== undefined) {
      const i = Number(env['JOB_COMPLETION_INDEX']);
      const n =
        env['TRAJSIM_SHARD_COUNT'] !== undefined
          ? count('TRAJSIM_SHARD_COUNT')
          : count('JOB_COMPLETIONS');
      return checked(i + 1, n, 'JOB_COMPLETION_INDEX');
    }
    if (env['SLURM_ARRAY_TASK_ID'] !== undefined) {
      const i = Number(env['SLURM_ARRAY_TASK_ID']) - Number(env['SLURM_ARRAY_TASK_MIN'] ?? 0);
      return checked(i + 1, count('SLURM_ARRAY_TASK_COUNT'), 'SLURM_ARRAY_TASK_ID');
    }
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      '--shard auto: no Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or Slurm array (SLURM_ARRAY_TASK_ID) in the environment; use --shard k/N',
    );
  }
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m)
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `--shard '${text}': expected k/N (e.g. 2/8, 1-based) or auto`,
    );
  return checked(Number(m[1]), Number(m[2]), '--shard');
}

function checked(index: number, count: number, what: string): Shard {
  if (
    !Number.isInteger(index) ||
    !Number.isInteger(count) ||
    count < 1 ||
    index < 1 ||
    index > count
  ) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `${what}: shard ${index} of ${count} is out of range; expected 1 <= k <= N`,
    );
  }
  return { index, count };
}

/**
 * The global patient indices [start, end) of a shard: contiguous ranges that tile [0, total).
 *
 * @example
 * shardRange(10, { index: 2, count: 3 }) // => { start: 3, end: 6 }
 */
export function shardRange(total: number, shard: Shard): { start: number; end: number } {
  return {
    start: Math.floor((total * (shard.index - 1)) / shard.count),
    end: Math.floor((total * shard.index) / shard.count),
  };
}
