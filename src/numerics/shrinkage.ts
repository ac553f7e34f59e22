/**
 * Shrunk covariance estimates, for covariances fitted on few rows (a batch's control wells): the empirical
 * covariance S (ddof 0, as scikit-learn's `empirical_covariance`) pulled towards μ·I, μ = trace(S)/p,
 *   Σ = (1 - α)·S + α·μ·I,
 * with the shrinkage α of
 *   - Ledoit & Wolf 2004 ("A well-conditioned estimator for large-dimensional covariance matrices"), as
 *     scikit-learn's `ledoit_wolf_shrinkage`: α = min(β, δ)/δ with δ = ‖S - μI‖²_F / p and
 *     β = (Σ_k ‖x_k‖⁴ / n - ‖S‖²_F) / (p·n) over the centred rows x_k (0 when β = 0);
 *   - Chen et al. 2010 ("Shrinkage algorithms for MMSE covariance estimation", OAS), as scikit-learn's `oas`:
 *     α = min(1, (mean(S²) + μ²) / ((n + 1)·(mean(S²) - μ²/p))) (1 when the denominator is 0).
 * The rows are read once for S (numerics' covariance) and, for Ledoit-Wolf, once more for Σ‖x_k‖⁴.
 */
import { type Matrix, type Matrix64, matrix } from './matrix.js';
import { covariance } from './moments.js';

export type ShrinkageMethod = 'ledoit-wolf' | 'oas';
export const SHRINKAGE_METHODS: readonly ShrinkageMethod[] = ['ledoit-wolf', 'oas'];

export interface ShrunkCovariance {
  /** Σ, p x p. */
  covariance: Matrix64;
  /** α in [0, 1]. */
  shrinkage: number;
  /** μ = trace(S)/p, the target's scale. */
  mu: number;
}

/**
 * Σ of the rows `rows` (about their `mean`, divided by `scale` when given: the covariance of standardized values)
 * of column-major features or of a row-major matrix, shrunk by `method` (module comment). Needs one row.
 */
export function shrunkCovariance(
  source: readonly Float32Array[] | Matrix,
  rows: ArrayLike<number>,
  mean: Float64Array,
  method: ShrinkageMethod,
  scale?: Float64Array,
): ShrunkCovariance {
  const n = rows.length;
  if (n === 0) throw new Error('shrunkCovariance: no rows');
  const p = mean.length;
  // covariance() is ddof 1 (and undefined for one row); S is ddof 0.
  const S = n > 1 ? covariance(source, rows, mean) : matrix(new Float64Array(p * p), p, p);
  const s = S.data;
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) s[i * p + j] *= (n - 1) / n / (scale ? scale[i] * scale[j] : 1);
  let trace = 0;
  let squares = 0;
  for (let i = 0; i < p; i++) trace += s[i * p + i];
  for (let i = 0; i < s.length; i++) squares += s[i] * s[i];
  const mu = trace / p;
  // One feature: nothing to shrink (scikit-learn's ledoit_wolf_shrinkage returns 0 there too).
  const shrinkage =
    p === 1
      ? 0
      : method === 'oas'
        ? oasShrinkage(squares / (p * p), mu, n, p)
        : ledoitWolfShrinkage(source, rows, mean, scale, S, mu);
  for (let i = 0; i < s.length; i++) s[i] *= 1 - shrinkage;
  for (let i = 0; i < p; i++) s[i * p + i] += shrinkage * mu;
  return { covariance: S, shrinkage, mu };
}

/** scikit-learn's oas: `alpha` is mean(S²). */
function oasShrinkage(alpha: number, mu: number, n: number, p: number): number {
  const denominator = (n + 1) * (alpha - (mu * mu) / p);
  return denominator === 0 ? 1 : Math.min((alpha + mu * mu) / denominator, 1);
}

/** scikit-learn's ledoit_wolf_shrinkage (assume_centered = False: rows centred on `mean`). */
function ledoitWolfShrinkage(
  source: readonly Float32Array[] | Matrix,
  rows: ArrayLike<number>,
  mean: Float64Array,
  scale: Float64Array | undefined,
  S: Matrix64,
  mu: number,
): number {
  const n = rows.length;
  const p = mean.length;
  const columns = Array.isArray(source) ? (source as readonly Float32Array[]) : null;
  const X = columns ? null : (source as Matrix);
  // Σ_k ‖x_k‖⁴ (scikit-learn's sum of X²ᵀX²) and ‖S‖²_F = ‖XᵀX‖²_F / n² (its delta_).
  let fourth = 0;
  for (let r = 0; r < n; r++) {
    const row = rows[r];
    let norm2 = 0;
    for (let j = 0; j < p; j++) {
      const v = ((columns ? columns[j][row] : X!.data[row * p + j]) - mean[j]) / (scale ? scale[j] : 1);
      norm2 += v * v;
    }
    fourth += norm2 * norm2;
  }
  const s = S.data;
  let frobenius = 0;
  let traceS = 0;
  for (let i = 0; i < s.length; i++) frobenius += s[i] * s[i];
  for (let i = 0; i < p; i++) traceS += s[i * p + i];
  const beta = Math.min((fourth / n - frobenius) / (p * n), (frobenius - 2 * mu * traceS + p * mu * mu) / p);
  const delta = (frobenius - 2 * mu * traceS + p * mu * mu) / p;
  return beta <= 0 || delta === 0 ? 0 : beta / delta;
}
