import { describe, expect, it } from 'vitest';
import { parseShard, shardRange } from '../../src/core/shard.js';

describe('shards', () => {
  it('parse k/N and refuse nonsense', () => {
    expect(parseShard('2/4', {})).toEqual({ index: 2, count: 4 });
    expect(() => parseShard('0/4', {})).toThrow(/out of range/);
    expect(() => parseShard('5/4', {})).toThrow(/out of range/);
    expect(() => parseShard('2of4', {})).toThrow(/expected k\/N/);
  });
  it('read a Kubernetes Indexed Job and a Slurm array from the environment', () => {
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '0', TRAJSIM_SHARD_COUNT: '3' })).toEqual({
      index: 1,
      count: 3,
    });
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '3' })).toEqual({
      index: 3,
      count: 3,
    });
    expect(
      parseShard('auto', {
        SLURM_ARRAY_TASK_ID: '5',
        SLURM_ARRAY_TASK_MIN: '1',
        SLURM_ARRAY_TASK_COUNT: '8',
      }),
    ).toEqual({ index: 5, count: 8 });
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '0' })).toThrow(
      /JOB_COMPLETIONS is not set/,
    );
    expect(() => parseShard('auto', {})).toThrow(/no Kubernetes Indexed Job/);
  });
  it('tile the patient range exactly', () => {
    for (const total of [0, 1, 7, 1000, 999_983]) {
      for (const count of [1, 2, 3, 7, 16]) {
        let next = 0;
        for (let index = 1; index <= count; index++) {
          const r = shardRange(total, { index, count });
          expect(r.start).toBe(next);
          next = r.end;
        }
        expect(next).toBe(total);
      }
    }
  });
});
