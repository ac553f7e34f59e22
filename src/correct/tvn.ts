/**
 * Typical Variation Normalization (Ando, McLean & Berndl 2017, "Improving phenotypic measurements in
 * high-content imaging screens"), as Recursion's EFAAR benchmarking implements it (`tvn_on_controls` in
 * efaar_benchmarking/efaar.py, with `batch_col`):
 *   1. standardize on the controls (all batches together);
 *   2. PCA fitted on the controls, then the component scores standardized on the controls: together, a whitening
 *      of the controls' covariance (the "typical variation") fitted on the controls of every batch;
 *   3. in each batch, multiply by (Cov(controls_b) + 0.5·I)^(-1/2) — CORAL-style whitening of the batch's control
 *      covariance, which aligns every batch's controls with the others'.
 * Covariance shrinkage (`shrinkage`, default Ledoit-Wolf; scikit-learn's LedoitWolf / OAS, numerics'
 * shrunkCovariance): the controls' covariance in step 2 and each batch's in step 3 are shrunk towards μ·I before
 * they are inverted. Screens hold few control wells (RxRx1: 1 negative and 30 positive controls per plate), so the
 * unshrunk covariance is singular or nearly so: step 2 would keep at most #controls - 1 components and blow up the
 * smallest, and a batch with a handful of controls gets a noise-dominated step 3. Shrunk, step 2 keeps every
 * component, scaled by 1/sqrt of the shrunk eigenvalue, and step 3 tends to a plain centring when a batch has
 * almost no controls. `shrinkage: 'none'` is EFAAR's TVN exactly (components with control variance only, ddof 1).
 * The covariances of the shrunk estimates are scikit-learn's (ddof 0).
 * One deliberate difference from EFAAR: step 3 first subtracts the batch controls' mean. EFAAR gets that centring
 * from the `embed_align` step that precedes TVN in its pipeline (centre-scale by plate); here TVN is one
 * self-contained batch correction, so the centring on each batch's controls is part of it.
 *
 * Steps 1-2 are linear, so each batch's whole correction is one affine map y = (x - μ)·M·W_b - m_b·W_b,
 * applied in a single chunked pass. Outputs are named PC_1..PC_k.
 */
import {
  columnStats,
  denseMoments,
  gemmNT,
  matrix,
  scalerScale,
  type ShrinkageMethod,
  shrunkCovariance,
  spdPower,
  symmetricEigen,
  transpose,
} from '../numerics/index.js';
import type { ProfileTable } from '../store/profiles.js';
import { applyLinear, type LinearMap, projectRows } from './affine.js';
import { assertFinite, type BatchOptions, fitRows, groupRows, unionRows } from './groups.js';
import { componentNames, fitStandardizedPca, pcaScores } from './pca.js';
import { withFeatures } from './table.js';

/** EFAAR's ridge on each batch's control covariance (in units of the whitened controls' variance, 1). */
export const TVN_REGULARIZATION = 0.5;
export type TvnShrinkage = ShrinkageMethod | 'none';
export const TVN_SHRINKAGE: TvnShrinkage = 'ledoit-wolf';

export interface TvnOptions extends BatchOptions {
  shrinkage?: TvnShrinkage;
}

export function tvnProfiles(table: ProfileTable, options: TvnOptions): ProfileTable {
  const shrinkage = options.shrinkage ?? TVN_SHRINKAGE;
  const purpose = `correct (tvn, batch ${options.batch}, controls ${options.controls}, shrinkage ${shrinkage})`;
  assertFinite(table, purpose);
  const batches = groupRows(table, options.batch);
  const controls = fitRows(table, batches, options.controls, 2, purpose);
  const whiten =
    shrinkage === 'none' ? efaarWhitening(table, unionRows(controls)) : shrunkWhitening(table, controls, shrinkage);
  const k = whiten.matrixT.rows;
  const p = table.columns.length;
  const M = transpose(whiten.matrixT);
  // Step 3 per batch, from the batch's control rows projected to whitened coordinates.
  const mapOf = (b: number): LinearMap => {
    const projected = projectRows(table.columns, controls[b], whiten, k);
    // denseMoments centres `projected` in place, so the shrunk estimate reads centred rows (mean 0).
    const { mean, cov: sample } = denseMoments(projected);
    const rows = Int32Array.from(controls[b], (_, r) => r);
    const cov =
      shrinkage === 'none'
        ? sample
        : shrunkCovariance(transpose(projected), rows, new Float64Array(k), shrinkage).covariance;
    for (let i = 0; i < k; i++) cov.data[i * k + i] += TVN_REGULARIZATION;
    const W = spdPower(cov, -0.5, purpose);
    // Composed map: matrix (M·W)ᵀ = W·Mᵀ (W symmetric), offset -m_b·W.
    const matrixT = matrix(new Float64Array(k * p), k, p);
    gemmNT(W, M, matrixT);
    const offset = new Float64Array(k);
    gemmNT(W, matrix(mean, 1, k), matrix(offset, k, 1));
    for (let i = 0; i < k; i++) offset[i] = -offset[i];
    return { center: whiten.center, matrixT, offset };
  };
  return withFeatures(table, componentNames(k), applyLinear(table.columns, batches.members, k, mapOf));
}

/**
 * Steps 1-2 without shrinkage, fitted on all controls: t = (x - μ)·M with Mᵀ = diag(1/σ_PC)·V·diag(1/s), keeping
 * the components with control variance (EFAAR's PCA() then StandardScaler).
 */
function efaarWhitening(table: ProfileTable, allControls: Int32Array): LinearMap {
  const pca = fitStandardizedPca(table.columns, allControls, Infinity);
  const whiten = pcaScores(pca);
  const p = table.columns.length;
  const n = allControls.length;
  pca.variances.forEach((variance, i) => {
    // StandardScaler on the scores: the controls' mean is 0, their population variance λ·(n-1)/n.
    const s = 1 / Math.sqrt((variance * (n - 1)) / n);
    for (let j = 0; j < p; j++) whiten.matrixT.data[i * p + j] *= s;
  });
  return whiten;
}

/**
 * Steps 1-2 with shrinkage: standardize on all controls, shrink their covariance, and whiten by its
 * eigendecomposition, t_i = v_i·((x - μ)/s) / sqrt(λ̂_i) for every component (λ̂ > 0 once shrunk).
 */
function shrunkWhitening(table: ProfileTable, controls: Int32Array[], method: ShrinkageMethod): LinearMap {
  const all = unionRows(controls);
  const stats = columnStats(table.columns, { rows: all });
  const scale = scalerScale(stats);
  const { covariance } = shrunkCovariance(table.columns, all, stats.mean, method, scale);
  const { values, vectors } = symmetricEigen(covariance);
  const p = table.columns.length;
  const matrixT = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const f = 1 / Math.sqrt(values[i]);
    for (let j = 0; j < p; j++) matrixT[i * p + j] = (vectors.data[i * p + j] * f) / scale[j];
  }
  return { center: stats.mean, matrixT: matrix(matrixT, p, p) };
}
