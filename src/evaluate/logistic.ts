/**
 * Multinomial logistic regression (softmax with an L2 penalty), fitted by L-BFGS (Nocedal & Wright 2006,
 * algorithm 7.4/7.5) from zero weights, so a fit is deterministic. The objective is
 *
 *   f(W, b) = (1/n) * sum_i [ logsumexp_c(W_c.x_i + b_c) - (W_{y_i}.x_i + b_{y_i}) ] + (l2/2) * ||W||^2
 *
 * with the intercepts b unpenalized: the same model as scikit-learn's LogisticRegression(multi_class=
 * 'multinomial', solver='lbfgs', C) with l2 = 1 / (C * n). Features are expected standardized.
 */
import { dot, type Matrix, type Matrix32, type Matrix64, matrix } from '../numerics/index.js';

export interface LogisticOptions {
  /** L2 penalty on the weights (not the intercepts); default 1e-3. */
  l2?: number;
  /** L-BFGS iterations at most; default 200. */
  maxIterations?: number;
  /**
   * Stop when the largest gradient component is below this (or the objective stops decreasing: relative decrease <=
   * 1e-14); default 1e-5.
   */
  tolerance?: number;
  /** L-BFGS memory (correction pairs kept); default 10. */
  memory?: number;
}

export interface LogisticModel {
  classes: number;
  features: number;
  /** classes x features, row-major. */
  weights: Float64Array;
  intercepts: Float64Array;
  /** Objective value at the solution. */
  loss: number;
  iterations: number;
  converged: boolean;
}

/** Log-softmax scores of each row of X: n x classes. */
export function logisticLogProba(model: LogisticModel, X: Matrix): Matrix64 {
  const { classes: C, features: p, weights: W, intercepts: b } = model;
  if (X.cols !== p) throw new Error(`logisticLogProba: rows have ${X.cols} features, the model ${p}`);
  const n = X.rows;
  const x = X.data;
  const out = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    const xo = i * p;
    const zo = i * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = b[c];
      const wo = c * p;
      for (let j = 0; j < p; j++) s += W[wo + j] * x[xo + j];
      out[zo + c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(out[zo + c] - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < C; c++) out[zo + c] -= lse;
  }
  return matrix(out, n, C);
}

/** Index of the largest value in each row (ties: the lower index). */
export function argmaxRows(scores: Matrix): Int32Array {
  const { rows: n, cols: C, data } = scores;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (data[i * C + c] > data[i * C + best]) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * Rows per block in the objective: the block's scores stay in cache while each class's weights are reused across its
 * rows.
 */
const BLOCK = 32;

/**
 * Objective and gradient at theta = [W (C*p), b (C)]; writes the gradient into `grad`. Blocked over rows, 4 rows per
 * inner loop.
 */
function objective(
  theta: Float64Array,
  grad: Float64Array,
  X: Float32Array,
  y: Int32Array,
  n: number,
  p: number,
  C: number,
  l2: number,
): number {
  grad.fill(0);
  const bOffset = C * p;
  const Z = new Float64Array(BLOCK * C);
  let loss = 0;
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const rows = Math.min(BLOCK, n - i0);
    // Scores Z[r][c] = W_c . x_{i0+r} + b_c.
    for (let c = 0; c < C; c++) {
      const wo = c * p;
      const bias = theta[bOffset + c];
      let r = 0;
      for (; r + 3 < rows; r += 4) {
        const x0 = (i0 + r) * p;
        const x1 = x0 + p;
        const x2 = x1 + p;
        const x3 = x2 + p;
        let s0 = bias;
        let s1 = bias;
        let s2 = bias;
        let s3 = bias;
        for (let j = 0; j < p; j++) {
          const w = theta[wo + j];
          s0 += w * X[x0 + j];
          s1 += w * X[x1 + j];
          s2 += w * X[x2 + j];
          s3 += w * X[x3 + j];
        }
        Z[r * C + c] = s0;
        Z[(r + 1) * C + c] = s1;
        Z[(r + 2) * C + c] = s2;
        Z[(r + 3) * C + c] = s3;
      }
      for (; r < rows; r++) {
        const xo = (i0 + r) * p;
        let s = bias;
        for (let j = 0; j < p; j++) s += theta[wo + j] * X[xo + j];
        Z[r * C + c] = s;
      }
    }
    // Softmax, loss, and Z turned into the residual G = softmax - onehot.
    for (let r = 0; r < rows; r++) {
      const zo = r * C;
      let max = -Infinity;
      for (let c = 0; c < C; c++) if (Z[zo + c] > max) max = Z[zo + c];
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Z[zo + c] = Math.exp(Z[zo + c] - max);
      const yi = y[i0 + r];
      loss += Math.log(sum) - Math.log(Z[zo + yi]);
      const inv = 1 / sum;
      for (let c = 0; c < C; c++) Z[zo + c] *= inv;
      Z[zo + yi] -= 1;
    }
    // Gradient: grad W_c += sum_r G[r][c] x_r; grad b_c += sum_r G[r][c].
    for (let c = 0; c < C; c++) {
      const wo = c * p;
      let r = 0;
      for (; r + 3 < rows; r += 4) {
        const g0 = Z[r * C + c];
        const g1 = Z[(r + 1) * C + c];
        const g2 = Z[(r + 2) * C + c];
        const g3 = Z[(r + 3) * C + c];
        grad[bOffset + c] += g0 + g1 + g2 + g3;
        const x0 = (i0 + r) * p;
        const x1 = x0 + p;
        const x2 = x1 + p;
        const x3 = x2 + p;
        for (let j = 0; j < p; j++) grad[wo + j] += g0 * X[x0 + j] + g1 * X[x1 + j] + g2 * X[x2 + j] + g3 * X[x3 + j];
      }
      for (; r < rows; r++) {
        const g = Z[r * C + c];
        grad[bOffset + c] += g;
        const xo = (i0 + r) * p;
        for (let j = 0; j < p; j++) grad[wo + j] += g * X[xo + j];
      }
    }
  }
  const inv = 1 / n;
  let penalty = 0;
  for (let t = 0; t < bOffset; t++) {
    grad[t] = grad[t] * inv + l2 * theta[t];
    penalty += theta[t] * theta[t];
  }
  for (let c = 0; c < C; c++) grad[bOffset + c] *= inv;
  return loss * inv + 0.5 * l2 * penalty;
}

/** L-BFGS memory: the last correction pairs s = Δθ, y = Δgradient and ρ = 1/(s·y). */
interface History {
  S: Float64Array[];
  Y: Float64Array[];
  rho: number[];
}

/** Two-loop recursion (Nocedal & Wright, algorithm 7.4): direction = -H·grad; `alpha` is scratch. */
function searchDirection(history: History, grad: Float64Array, direction: Float64Array, alpha: Float64Array): void {
  const { S, Y, rho } = history;
  const size = grad.length;
  for (let t = 0; t < size; t++) direction[t] = -grad[t];
  for (let m = S.length - 1; m >= 0; m--) {
    alpha[m] = rho[m] * dot(S[m], 0, direction, 0, S[m].length);
    for (let t = 0; t < size; t++) direction[t] -= alpha[m] * Y[m][t];
  }
  if (S.length > 0) {
    const last = S.length - 1;
    const gamma = dot(S[last], 0, Y[last], 0, size) / dot(Y[last], 0, Y[last], 0, size);
    for (let t = 0; t < size; t++) direction[t] *= gamma;
  }
  for (let m = 0; m < S.length; m++) {
    const beta = rho[m] * dot(Y[m], 0, direction, 0, size);
    for (let t = 0; t < size; t++) direction[t] += S[m][t] * (alpha[m] - beta);
  }
}

/** Keeps the pair (s, y) when its curvature s·y is positive, dropping the oldest beyond `memory`. */
function remember(history: History, s: Float64Array, y: Float64Array, memory: number): void {
  const sy = dot(s, 0, y, 0, s.length);
  if (!(sy > 1e-12)) return;
  history.S.push(s);
  history.Y.push(y);
  history.rho.push(1 / sy);
  if (history.S.length > memory) {
    history.S.shift();
    history.Y.shift();
    history.rho.shift();
  }
}

/**
 * Backtracking line search (Armijo, c1 = 1e-4, at most 40 halvings) from theta with objective f along
 * `direction` of slope `slope`; null when no step decreases the objective enough.
 */
function lineSearch(
  evaluate: (theta: Float64Array, grad: Float64Array) => number,
  theta: Float64Array,
  f: number,
  direction: Float64Array,
  slope: number,
  firstStep: number,
): { theta: Float64Array; grad: Float64Array; f: number } | null {
  const size = theta.length;
  const nextTheta = new Float64Array(size);
  const nextGrad = new Float64Array(size);
  let step = firstStep;
  for (let tries = 0; tries < 40; tries++) {
    for (let t = 0; t < size; t++) nextTheta[t] = theta[t] + step * direction[t];
    const nextF = evaluate(nextTheta, nextGrad);
    if (nextF <= f + 1e-4 * step * slope) return { theta: nextTheta, grad: nextGrad, f: nextF };
    step *= 0.5;
  }
  return null;
}

const maxAbs = (g: Float64Array) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Fits the model to the rows of X (n x p, standardized) with class indices y in 0..classes-1. L-BFGS with a
 * backtracking (Armijo, c1 = 1e-4) line search; a correction pair is kept only when its curvature s.y is
 * positive.
 */
export function trainLogistic(
  X: Matrix32,
  y: Int32Array,
  options: LogisticOptions & { classes: number },
): LogisticModel {
  const { classes } = options;
  const { rows: n, cols: p, data } = X;
  const l2 = options.l2 ?? 1e-3;
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-5;
  const memory = options.memory ?? 10;
  if (n === 0) throw new Error('trainLogistic: no training rows');
  if (y.length !== n) throw new Error(`trainLogistic: ${y.length} labels for ${n} rows`);
  for (let i = 0; i < n; i++)
    if (!(y[i] >= 0 && y[i] < classes))
      throw new Error(`trainLogistic: label ${y[i]} of row ${i} is outside 0..${classes - 1}`);
  const evaluate = (theta: Float64Array, grad: Float64Array) => objective(theta, grad, data, y, n, p, classes, l2);
  const size = classes * p + classes;
  let theta: Float64Array = new Float64Array(size);
  let grad: Float64Array = new Float64Array(size);
  let f = evaluate(theta, grad);
  const history: History = { S: [], Y: [], rho: [] };
  const direction = new Float64Array(size);
  const alpha = new Float64Array(memory);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    if (maxAbs(grad) < tolerance) {
      converged = true;
      break;
    }
    searchDirection(history, grad, direction, alpha);
    let slope = dot(grad, 0, direction, 0, size);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      history.S.length = 0;
      history.Y.length = 0;
      history.rho.length = 0;
      for (let t = 0; t < size; t++) direction[t] = -grad[t];
      slope = dot(grad, 0, direction, 0, size);
    }
    const firstStep = history.S.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const next = lineSearch(evaluate, theta, f, direction, slope, firstStep);
    iterations++;
    if (!next) break;
    remember(
      history,
      next.theta.map((v, t) => v - theta[t]),
      next.grad.map((v, t) => v - grad[t]),
      memory,
    );
    const decrease = f - next.f;
    ({ theta, grad, f } = next);
    if (decrease <= 1e-14 * Math.max(1, Math.abs(f))) {
      // No measurable progress left in double precision (scipy's REL_REDUCTION_OF_F with sklearn's ftol).
      converged = true;
      break;
    }
  }
  if (!converged && maxAbs(grad) < tolerance) converged = true;
  return {
    classes,
    features: p,
    weights: theta.slice(0, classes * p),
    intercepts: theta.slice(classes * p),
    loss: f,
    iterations,
    converged,
  };
}
