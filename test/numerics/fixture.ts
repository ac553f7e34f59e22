/** test/fixtures/numerics.json (scripts/fixtures/numerics_reference.py: numpy, scipy, scikit-learn, pandas). */
import assert from 'node:assert/strict';
import { readFixture } from '../helpers.js';

export interface NumericsFixture {
  eigen: { p: number; S: number[]; values: number[]; vectors: number[]; inverse_sqrt: number[]; sqrt: number[] };
  pca: {
    n: number;
    p: number;
    k: number;
    X: number[];
    mean: number[];
    components: number[];
    explained_variance: number[];
    scores: number[];
  };
  stats: {
    n: number;
    p: number;
    X: (number | null)[];
    mean: number[];
    std0: number[];
    std1: number[];
    scaler_scale: number[];
    scaler_transform: (number | null)[];
  };
  covariance: { n: number; p: number; X: number[]; cov: number[] };
  quantile: { values: (number | null)[]; q: number[]; quantiles: number[]; median: number; mad_normal: number };
  distance: {
    nr: number;
    nq: number;
    p: number;
    ref: number[];
    query: number[];
    euclidean: number[];
    cosine: number[];
    neighbours: Record<'euclidean' | 'cosine', { indices: number[]; distances: number[] }>;
  };
  correlation: { a: (number | null)[]; b: (number | null)[]; pearson: number };
}

export const fixture = readFixture<NumericsFixture>('numerics.json');

/** null (JSON's NaN) back to NaN. */
export const withNaN = (values: (number | null)[]): number[] => values.map((v) => v ?? NaN);

/** Every value within `tolerance` (absolute), NaN matching NaN. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) assert.ok(Number.isNaN(actual[i]), `${what} [${i}]: expected NaN, got ${actual[i]}`);
    else
      assert.ok(
        Math.abs(actual[i] - expected[i]) <= tolerance,
        `${what} [${i}]: ${actual[i]} vs ${expected[i]} (tolerance ${tolerance})`,
      );
  }
}
