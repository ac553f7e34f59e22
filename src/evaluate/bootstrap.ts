/**
 * Uncertainty of an accuracy: the percentile bootstrap over held-out wells (Efron & Tibshirani 1993, "An
 * Introduction to the Bootstrap", ch. 13). The held-out wells are resampled with replacement `resamples` times,
 * the accuracy recomputed on each resample (the predictions stay those of the one fitted model), and the 2.5th
 * and 97.5th percentiles of those accuracies (numpy.quantile, linear) are the 95% interval. Draws are keyed by the
 * seed and a name for the set of queries, so every method is resampled with the same draws (paired intervals)
 * and a rerun gives the same interval.
 */
import { quantileSorted } from '../numerics/index.js';
import { rngFor } from '../util/random.js';

/** A closed interval [lower, upper]. */
export type Interval = [number, number];

/** Resamples per interval: enough for stable 2.5% / 97.5% percentiles (Efron & Tibshirani recommend >= 1000). */
export const BOOTSTRAP_RESAMPLES = 2000;
export const BOOTSTRAP_LEVEL = 0.95;

export interface BootstrapOptions {
  seed: number;
  /** Names the set of queries (e.g. 'heldout-wells'), so intervals over the same wells share their draws. */
  name: string;
  resamples?: number;
  level?: number;
}

/** Correct (1) or wrong (0) per query: predicted[i] === truth[i]. */
export function hits(predicted: ArrayLike<number>, truth: ArrayLike<number>): Uint8Array {
  if (predicted.length !== truth.length)
    throw new Error(`hits: ${predicted.length} predictions for ${truth.length} labels`);
  return Uint8Array.from({ length: truth.length }, (_, i) => (predicted[i] === truth[i] ? 1 : 0));
}

/** The percentile-bootstrap interval of the accuracy (mean of `correct`); null when there is no query. */
export function bootstrapAccuracy(correct: ArrayLike<number>, options: BootstrapOptions): Interval | null {
  const n = correct.length;
  if (n === 0) return null;
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = options.level ?? BOOTSTRAP_LEVEL;
  const rng = rngFor(options.seed, 'bootstrap', options.name, n);
  const accuracies = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += correct[rng.int(n)];
    accuracies[b] = sum / n;
  }
  accuracies.sort();
  const tail = (1 - level) / 2;
  return [quantileSorted(accuracies, tail), quantileSorted(accuracies, 1 - tail)];
}
