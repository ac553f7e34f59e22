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
import { columnStats } from '../numerics/index.js';
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
  if (G < 2) throw new Error(`${purpose}: needs at least 2 batches, got ${G}`);
  batches.members.forEach((rows, b) => {
    if (rows.length < 2)
      throw new Error(
        `${purpose}: batch "${batches.names[b]}" has ${rows.length} row; ` +
          'ComBat needs at least 2 rows per batch to estimate its variance',
      );
  });
  const moments = batchMoments(columns, batches);
  const { grandMean, pooledStd, unadjusted } = pooledMoments(moments, batches, p);
  const adjusted = unadjusted.flatMap((flat, j) => (flat ? [] : [j]));
  if (adjusted.length < 2)
    throw new Error(
      `${purpose}: needs at least 2 features that vary within every batch to estimate its priors, ` +
        `got ${adjusted.length}`,
    );
  const gammaStar = new Float64Array(G * p);
  const deltaStar = new Float64Array(G * p).fill(1);
  const iterations: number[] = [];
  const gammaHat = new Float64Array(adjusted.length);
  const deltaHat = new Float64Array(adjusted.length);
  for (let b = 0; b < G; b++) {
    adjusted.forEach((j, f) => {
      gammaHat[f] = (moments.mean[b * p + j] - grandMean[j]) / pooledStd[j];
      deltaHat[f] = moments.variance[b * p + j] / pooledStd[j] ** 2;
    });
    const what = `${purpose}: batch "${batches.names[b]}"`;
    const posterior = empiricalBayes(gammaHat, deltaHat, batches.members[b].length, what);
    iterations.push(posterior.iterations);
    adjusted.forEach((j, f) => {
      gammaStar[b * p + j] = posterior.gamma[f];
      deltaStar[b * p + j] = posterior.delta[f];
    });
  }
  return { grandMean, pooledStd, gammaStar, deltaStar, unadjusted, iterations };
}

/** Per-batch means and variances (ddof 1), G x p. */
function batchMoments(columns: Float32Array[], batches: RowGroups): { mean: Float64Array; variance: Float64Array } {
  const p = columns.length;
  const mean = new Float64Array(batches.names.length * p);
  const variance = new Float64Array(batches.names.length * p);
  batches.members.forEach((rows, b) => {
    const stats = columnStats(columns, { rows, ddof: 1 });
    mean.set(stats.mean, b * p);
    variance.set(stats.variance, b * p);
  });
  return { mean, variance };
}

/** Grand mean α, pooled standard deviation σ, and the features constant within some batch (left unadjusted). */
function pooledMoments(moments: { mean: Float64Array; variance: Float64Array }, batches: RowGroups, p: number) {
  const sizes = batches.members.map((rows) => rows.length);
  const n = sizes.reduce((a, b) => a + b, 0);
  const grandMean = new Float64Array(p);
  const pooledStd = new Float64Array(p);
  const unadjusted: boolean[] = [];
  for (let j = 0; j < p; j++) {
    let sum = 0;
    let squares = 0;
    let flat = false;
    sizes.forEach((size, b) => {
      sum += size * moments.mean[b * p + j];
      squares += (size - 1) * moments.variance[b * p + j];
      if (!(moments.variance[b * p + j] > 0)) flat = true;
    });
    grandMean[j] = sum / n;
    pooledStd[j] = Math.sqrt(squares / n);
    unadjusted.push(flat);
  }
  return { grandMean, pooledStd, unadjusted };
}

/**
 * sva's it.sol for one batch of `size` rows: priors from the features' γ̂ and δ̂², then the posterior γ*, δ*²
 * iterated until their largest relative change is below COMBAT_CONVERGENCE.
 */
function empiricalBayes(gammaHat: Float64Array, deltaHat: Float64Array, size: number, what: string) {
  const gammaMoments = columnStats([gammaHat], { ddof: 1 });
  const deltaMoments = columnStats([deltaHat], { ddof: 1 });
  const gammaBar = gammaMoments.mean[0];
  const tau2 = gammaMoments.variance[0];
  const deltaMean = deltaMoments.mean[0];
  const deltaVar = deltaMoments.variance[0];
  if (!(deltaVar > 0))
    throw new Error(`${what}: every feature has the same variance ratio, so the inverse-gamma prior is undefined`);
  const a = (2 * deltaVar + deltaMean ** 2) / deltaVar;
  const bPrior = (deltaMean * deltaVar + deltaMean ** 3) / deltaVar;
  const g = Float64Array.from(gammaHat);
  const d = Float64Array.from(deltaHat);
  let count = 0;
  for (let change = Infinity; change > COMBAT_CONVERGENCE; count++) {
    if (count === MAX_ITERATIONS)
      throw new Error(`${what}: empirical Bayes estimates did not converge in ${MAX_ITERATIONS} iterations`);
    change = 0;
    for (let f = 0; f < g.length; f++) {
      const gNew = (tau2 * size * gammaHat[f] + d[f] * gammaBar) / (tau2 * size + d[f]);
      // Σ_i (s_i - γ)² over the batch, from its mean γ̂ and variance δ̂²: (n-1)·δ̂² + n·(γ̂ - γ)².
      const sum2 = (size - 1) * deltaHat[f] + size * (gammaHat[f] - gNew) ** 2;
      const dNew = (0.5 * sum2 + bPrior) / (size / 2 + a - 1);
      change = Math.max(change, Math.abs(gNew - g[f]) / g[f], Math.abs(dNew - d[f]) / d[f]);
      g[f] = gNew;
      d[f] = dNew;
    }
  }
  return { gamma: g, delta: d, iterations: count };
}
