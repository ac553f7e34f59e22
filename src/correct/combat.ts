/**
 * ComBat, parametric empirical Bayes location/scale batch adjustment (Johnson, Li & Rabinovic 2007,
 * Biostatistics 8:118), following sva::ComBat (and pycombat) without covariates and with mean.only = FALSE.
 * Features play the role of genes, rows of samples. For feature g in batch b (n_b rows):
 *   grand mean α_g = overall mean; pooled variance σ²_g = Σ_b Σ_i (x - mean_bg)² / n;
 *   standardized data s = (x - α_g)/σ_g; γ̂_bg = mean_b(s), δ̂²_bg = var_b(s) (ddof 1);
 *   priors across features per batch: γ̄_b, τ²_b = mean, var(γ̂_b·); inverse-gamma a_b, b_b from the mean m and
 *   variance s² of δ̂²_b· by moments (a = (2s² + m²)/s², b = (m·s² + m³)/s²);
 *   posterior (it.sol, until max relative change < 1e-4): γ* = (n τ² γ̂ + δ*² γ̄)/(n τ² + δ*²),
 *   δ*² = (½ Σ_i (s - γ*)² + b)/(n/2 + a - 1);
 *   adjusted x' = (s - γ*)/δ* · σ_g + α_g.
 * Everything is a function of per-batch means and variances, so it runs in two passes over the data plus one
 * diagonal map. Like sva, features with zero variance within some batch are left unadjusted (and out of the
 * priors); like sva and pycombat, the convergence test divides by γ without taking its absolute value.
 * ComBat uses every row of each batch (it has no notion of controls).
 */
import type { ProfileTable } from '../store/profiles.js';
import { applyDiagonal } from './affine.js';
import { assertFinite, groupRows, type BatchBy, type RowGroups } from './groups.js';
import { withFeatures } from './table.js';

/** sva's convergence threshold on the relative change of γ* and δ*². */
export const COMBAT_CONVERGENCE = 1e-4;
const MAX_ITERATIONS = 10_000;

export interface CombatFit {
  /** G x p row-major: grand mean, pooled standard deviation, γ* and δ*² (δ* squared), per batch and feature. */
  grandMean: Float64Array;
  pooledStd: Float64Array;
  gammaStar: Float64Array;
  deltaStar: Float64Array;
  /** Features left unadjusted (zero variance within some batch). */
  unadjusted: boolean[];
  /** it.sol iterations per batch. */
  iterations: number[];
}

export function combatProfiles(table: ProfileTable, options: { batch: BatchBy }): ProfileTable {
  const purpose = `correct (combat, batch ${options.batch})`;
  assertFinite(table, purpose);
  const batches = groupRows(table, options.batch);
  const fit = fitCombat(table.columns, batches, purpose);
  const p = table.columns.length;
  const G = batches.names.length;
  const center = new Float64Array(G * p);
  const factor = new Float64Array(G * p).fill(1);
  const offset = new Float64Array(G * p);
  for (let b = 0; b < G; b++) {
    for (let j = 0; j < p; j++) {
      if (fit.unadjusted[j]) continue;
      const at = b * p + j;
      // (s - γ*)/δ*·σ + α with s = (x - α)/σ, rewritten as a diagonal map (x - c)·f + o.
      center[at] = fit.grandMean[j] + fit.gammaStar[at] * fit.pooledStd[j];
      factor[at] = 1 / Math.sqrt(fit.deltaStar[at]);
      offset[at] = fit.grandMean[j];
    }
  }
  return withFeatures(
    table,
    [...table.features],
    applyDiagonal(table.columns, batches.ids, { center, factor, offset }),
  );
}

export function fitCombat(columns: Float32Array[], batches: RowGroups, purpose: string): CombatFit {
  const p = columns.length;
  const G = batches.names.length;
  const sizes = batches.members.map((rows) => rows.length);
  const n = sizes.reduce((a, b) => a + b, 0);
  if (G < 2) throw new Error(`${purpose}: needs at least 2 batches, got ${G}`);
  sizes.forEach((size, b) => {
    if (size < 2)
      throw new Error(
        `${purpose}: batch "${batches.names[b]}" has ${size} row; ComBat needs at least 2 rows per batch to estimate its variance`,
      );
  });
  // Per-batch means and variances (ddof 1), two-pass.
  const mean = new Float64Array(G * p);
  const variance = new Float64Array(G * p);
  columns.forEach((column, j) => {
    batches.members.forEach((rows, b) => {
      let sum = 0;
      for (let r = 0; r < rows.length; r++) sum += column[rows[r]];
      const m = sum / rows.length;
      let squares = 0;
      for (let r = 0; r < rows.length; r++) squares += (column[rows[r]] - m) ** 2;
      mean[b * p + j] = m;
      variance[b * p + j] = squares / (rows.length - 1);
    });
  });
  const grandMean = new Float64Array(p);
  const pooledStd = new Float64Array(p);
  const unadjusted: boolean[] = [];
  for (let j = 0; j < p; j++) {
    let sum = 0;
    let squares = 0;
    let flat = false;
    for (let b = 0; b < G; b++) {
      sum += sizes[b] * mean[b * p + j];
      squares += (sizes[b] - 1) * variance[b * p + j];
      if (!(variance[b * p + j] > 0)) flat = true;
    }
    grandMean[j] = sum / n;
    pooledStd[j] = Math.sqrt(squares / n);
    unadjusted.push(flat);
  }
  const adjusted = unadjusted.flatMap((flat, j) => (flat ? [] : [j]));
  if (adjusted.length < 2)
    throw new Error(
      `${purpose}: needs at least 2 features that vary within every batch to estimate its priors, got ${adjusted.length}`,
    );
  const gammaStar = new Float64Array(G * p);
  const deltaStar = new Float64Array(G * p).fill(1);
  const iterations: number[] = [];
  const m = adjusted.length;
  const gammaHat = new Float64Array(m);
  const deltaHat = new Float64Array(m);
  for (let b = 0; b < G; b++) {
    adjusted.forEach((j, f) => {
      gammaHat[f] = (mean[b * p + j] - grandMean[j]) / pooledStd[j];
      deltaHat[f] = variance[b * p + j] / pooledStd[j] ** 2;
    });
    const gammaBar = average(gammaHat);
    const tau2 = sampleVariance(gammaHat);
    const deltaMean = average(deltaHat);
    const deltaVar = sampleVariance(deltaHat);
    if (!(deltaVar > 0))
      throw new Error(
        `${purpose}: batch "${batches.names[b]}": every feature has the same variance ratio, so the inverse-gamma prior is undefined`,
      );
    const a = (2 * deltaVar + deltaMean ** 2) / deltaVar;
    const bPrior = (deltaMean * deltaVar + deltaMean ** 3) / deltaVar;
    const size = sizes[b];
    const g = Float64Array.from(gammaHat);
    const d = Float64Array.from(deltaHat);
    let count = 0;
    for (let change = Infinity; change > COMBAT_CONVERGENCE; count++) {
      if (count === MAX_ITERATIONS)
        throw new Error(
          `${purpose}: empirical Bayes estimates for batch "${batches.names[b]}" did not converge in ${MAX_ITERATIONS} iterations`,
        );
      change = 0;
      for (let f = 0; f < m; f++) {
        const gNew = (tau2 * size * gammaHat[f] + d[f] * gammaBar) / (tau2 * size + d[f]);
        // Σ_i (s_i - γ)² over the batch, from its mean γ̂ and variance δ̂²: (n-1)·δ̂² + n·(γ̂ - γ)².
        const sum2 = (size - 1) * deltaHat[f] + size * (gammaHat[f] - gNew) ** 2;
        const dNew = (0.5 * sum2 + bPrior) / (size / 2 + a - 1);
        change = Math.max(change, Math.abs(gNew - g[f]) / g[f], Math.abs(dNew - d[f]) / d[f]);
        g[f] = gNew;
        d[f] = dNew;
      }
    }
    iterations.push(count);
    adjusted.forEach((j, f) => {
      gammaStar[b * p + j] = g[f];
      deltaStar[b * p + j] = d[f];
    });
  }
  return { grandMean, pooledStd, gammaStar, deltaStar, unadjusted, iterations };
}

function average(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function sampleVariance(values: Float64Array): number {
  const m = average(values);
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return sum / (values.length - 1);
}
