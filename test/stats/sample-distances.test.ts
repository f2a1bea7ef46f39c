import { describe, expect, it } from 'vitest';
import {
  ksSamples,
  pearson,
  sampleQuantile,
  sortedQuantile,
  wasserstein1Samples,
} from '../../src/stats/sample-distances.js';

const x = [0.1, 0.5, 0.9, 1.3, 2.2];
const y = [3.1, 0.4, 1.0, 0.6];

describe('distances between real-valued samples', () => {
  it('KS matches R ks.test(x, y)$statistic (0.25) and is symmetric', () => {
    expect(ksSamples(x, y)).toBeCloseTo(0.25, 15);
    expect(ksSamples(y, x)).toBeCloseTo(0.25, 15);
    expect(ksSamples([1, 2, 3], [2, 3, 4])).toBeCloseTo(1 / 3, 15);
    expect(ksSamples([1, 1, 2], [1, 1, 2])).toBe(0);
  });

  it('W1 is the area between the ECDFs (0.435 by hand) and |c| for a shift by c', () => {
    // Intervals of [0.1, 3.1): .2·.3 + .05·.1 + .15·.1 + .1·.3 + .1·.1 + .15·.3 + .05·.9 + .25·.9
    expect(wasserstein1Samples(x, y)).toBeCloseTo(0.435, 12);
    expect(
      wasserstein1Samples(
        x,
        x.map((v) => v - 2.5),
      ),
    ).toBeCloseTo(2.5, 12);
    expect(wasserstein1Samples([0, 0, 10], [0, 10, 10])).toBeCloseTo(10 / 3, 12);
  });

  it('an empty sample gives NaN; inputs are not mutated', () => {
    const a = Float64Array.of(3, 1, 2);
    expect(ksSamples(a, [])).toBeNaN();
    expect(wasserstein1Samples([], a)).toBeNaN();
    expect(sampleQuantile([], 0.5)).toBeNaN();
    sampleQuantile(a, 0.5);
    ksSamples(a, [1]);
    expect(Array.from(a)).toEqual([3, 1, 2]);
  });

  it('quantiles match R quantile(type 7): 1, 3.5, 6.9 for c(3,1,4,1,5,9,2,6) at .1, .5, .9', () => {
    const v = [3, 1, 4, 1, 5, 9, 2, 6];
    expect(sampleQuantile(v, 0.1)).toBeCloseTo(1, 12);
    expect(sampleQuantile(v, 0.5)).toBeCloseTo(3.5, 12);
    expect(sampleQuantile(v, 0.9)).toBeCloseTo(6.9, 12);
    expect(sortedQuantile(Float64Array.of(1, 2, 3, 4), 0.25)).toBeCloseTo(1.75, 12);
  });

  it('Pearson matches R cor(1:5, c(2,1,4,3,7)) = 0.824163383692134; NaN when constant', () => {
    expect(pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 7])).toBeCloseTo(0.824163383692134, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1], [1])).toBeNaN();
  });
});
