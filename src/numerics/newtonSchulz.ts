/**
 * S^(1/2) and S^(-1/2) of a symmetric positive definite S by the coupled Newton–Schulz iteration (Higham 1997,
 * "Stable iterations for the matrix square root", Numerical Algorithms 15; Higham 2008, Functions of Matrices,
 * §6.7): with Y₀ = S/c and Z₀ = I, T = (3I - Z·Y)/2, Y ← Y·T, Z ← T·Z, Y converges to (S/c)^(1/2) and Z to
 * (S/c)^(-1/2) whenever the eigenvalues of S/c lie in (0, 3), quadratically once Z·Y is near I. Three products
 * per step, all through the GEMM engine, so a well-conditioned 500 x 500 matrix takes ~8 steps of ~20 ms, where
 * a full eigendecomposition in JavaScript takes several times longer. Ill-conditioned matrices converge too
 * slowly and non-positive-definite ones diverge: both return null and eigen.ts decomposes instead.
 */
import { gemmNN } from './gemm.js';
import { type Matrix64, matrix } from './matrix.js';

/** Steps before giving up; enough for condition numbers up to ~10⁴ (each step multiplies a small eigenvalue of Z·Y by ~2.25). */
const MAX_STEPS = 18;
/**
 * Converged when max |Z·Y - I| is below TOLERANCE, or below FLOOR and no longer halving (rounding errors of the
 * products, which grow with the condition number, keep it from going lower).
 */
const TOLERANCE = 1e-14;
const FLOOR = 1e-10;

/** λmax from above: power iteration on S, scaled up by a margin that keeps the spectrum of S/c inside (0, 1.1). */
function spectralBound(S: Float64Array, p: number): number {
  let v = new Float64Array(p).fill(1 / Math.sqrt(p));
  let w = new Float64Array(p);
  let estimate = 0;
  for (let step = 0; step < 30; step++) {
    w.fill(0);
    for (let i = 0; i < p; i++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += S[i * p + j] * v[j];
      w[i] = s;
    }
    let norm = 0;
    for (let i = 0; i < p; i++) norm += w[i] * w[i];
    norm = Math.sqrt(norm);
    if (!(norm > 0)) return 0;
    for (let i = 0; i < p; i++) w[i] /= norm;
    [v, w] = [w, v];
    if (Math.abs(norm - estimate) < 1e-3 * norm) return 1.1 * norm;
    estimate = norm;
  }
  return 1.1 * estimate;
}

/** S^power for power ±1/2, or null when the iteration does not converge within MAX_STEPS. */
export function newtonSchulzSqrt(S: Matrix64, power: 0.5 | -0.5): Matrix64 | null {
  const p = S.rows;
  const c = spectralBound(S.data, p);
  if (!(c > 0) || !Number.isFinite(c)) return null;
  let Y = matrix(
    Float64Array.from(S.data, (v) => v / c),
    p,
    p,
  );
  let Z = matrix(new Float64Array(p * p), p, p);
  for (let i = 0; i < p; i++) Z.data[i * p + i] = 1;
  const T = matrix(new Float64Array(p * p), p, p);
  let previous = Infinity;
  for (let step = 0; step <= MAX_STEPS; step++) {
    T.data.fill(0);
    gemmNN(Z, Y, T);
    let residual = 0;
    for (let i = 0; i < p * p; i++) {
      const target = i % (p + 1) === 0 ? 1 : 0;
      residual = Math.max(residual, Math.abs(T.data[i] - target));
      T.data[i] = 1.5 * target - 0.5 * T.data[i];
    }
    if (!Number.isFinite(residual) || residual > 1) return null;
    if (residual < TOLERANCE || (residual < FLOOR && residual > previous / 2)) break;
    if (step === MAX_STEPS) return null;
    previous = residual;
    const nextY = matrix(new Float64Array(p * p), p, p);
    const nextZ = matrix(new Float64Array(p * p), p, p);
    gemmNN(Y, T, nextY);
    gemmNN(T, Z, nextZ);
    Y = nextY;
    Z = nextZ;
  }
  const root = Math.sqrt(c);
  const result = power === 0.5 ? Y : Z;
  const factor = power === 0.5 ? root : 1 / root;
  // Symmetrise: the iterates are symmetric in exact arithmetic; rounding leaves ~1e-16 asymmetries.
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) out[i * p + j] = (factor * (result.data[i * p + j] + result.data[j * p + i])) / 2;
  return matrix(out, p, p);
}
