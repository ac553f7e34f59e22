/**
 * Typical Variation Normalization (Ando, McLean & Berndl 2017, "Improving phenotypic measurements in
 * high-content imaging screens"), as Recursion's EFAAR benchmarking implements it (`tvn_on_controls` in
 * efaar_benchmarking/efaar.py):
 *   1. standardize on the controls (all batches together);
 *   2. PCA fitted on the controls, keeping every component (scikit-learn PCA(): all that have variance);
 *   3. standardize the component scores on the controls again (together, 1-3 whiten the controls);
 *   4. in each batch, multiply by (Cov(controls_b) + 0.5·I)^(-1/2) (ddof 1) — CORAL-style whitening of the
 *      batch's control covariance.
 * One deliberate difference: step 4 first subtracts the batch controls' mean. EFAAR gets per-batch centring
 * from the `embed_align` step that precedes TVN in its pipeline (center-scale by plate); here TVN is one
 * self-contained batch correction, so the centring on each batch's controls is part of it.
 *
 * Steps 1-3 are linear, so each batch's whole correction is one affine map y = (x - μ)·M·W_b - m_b·W_b,
 * applied in a single chunked pass. Outputs are named PC_1..PC_k.
 */
import type { ProfileTable } from '../store/profiles.js';
import { denseMoments, gemmNT, matrix, spdPower, transpose } from '../numerics/index.js';
import { applyLinear, projectRows, type LinearMap } from './affine.js';
import { assertFinite, fitRows, groupRows, unionRows, type BatchOptions } from './groups.js';
import { componentNames, fitStandardizedPca, pcaScores } from './pca.js';
import { withFeatures } from './table.js';

/** EFAAR's ridge on each batch's control covariance (in units of the whitened controls' variance, 1). */
export const TVN_REGULARIZATION = 0.5;

export function tvnProfiles(table: ProfileTable, options: BatchOptions): ProfileTable {
  const purpose = `correct (tvn, batch ${options.batch}, controls ${options.controls})`;
  assertFinite(table, purpose);
  const batches = groupRows(table, options.batch);
  const controls = fitRows(table, batches, options.controls, 2, purpose);
  const allControls = unionRows(controls);
  // Steps 1-3, fitted on all controls: t = (x - μ)·M with Mᵀ = diag(1/σ_PC)·V·diag(1/s).
  const pca = fitStandardizedPca(table.columns, allControls, Infinity);
  const whiten = pcaScores(pca);
  const p = table.columns.length;
  const k = pca.variances.length;
  const n = allControls.length;
  for (let i = 0; i < k; i++) {
    // StandardScaler on the scores: the controls' mean is 0, their population variance λ·(n-1)/n.
    const s = 1 / Math.sqrt((pca.variances[i] * (n - 1)) / n);
    for (let j = 0; j < p; j++) whiten.matrixT.data[i * p + j] *= s;
  }
  const M = transpose(whiten.matrixT);
  // Step 4 per batch, from the batch's control rows projected to whitened coordinates.
  const mapOf = (b: number): LinearMap => {
    const { mean, cov } = denseMoments(projectRows(table.columns, controls[b], whiten, k));
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
