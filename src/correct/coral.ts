/**
 * CORAL, correlation alignment (Sun, Feng & Saenko 2016, "Return of frustratingly easy domain adaptation"):
 * each batch (source) is whitened with its own covariance and re-coloured with the target's,
 * Ds·(Cs + λI)^(-1/2)·(Ct + λI)^(1/2), λ = 1 as in the paper's Algorithm 1. Here both covariances come from
 * control rows: Cs from the batch's controls, Ct from the controls of all batches pooled (the global
 * reference). Each batch is also moved from its controls' mean to the global controls' mean, so
 *   y = (x - μ_b)·(C_b + λI)^(-1/2)·(C_t + λI)^(1/2) + μ_t.
 * λ is in the features' units, as in the paper (which standardizes features first): normalize before CORAL
 * when features differ widely in scale. Feature names are kept.
 */
import type { ProfileTable } from '../store/profiles.js';
import { columnStats, covariance, multiply, spdPower } from '../numerics/index.js';
import { applyLinear, type LinearMap } from './affine.js';
import { assertFinite, fitRows, groupRows, unionRows, type BatchOptions } from './groups.js';
import { withFeatures } from './table.js';

/** The paper's regularizer λ, added to both covariances. */
export const CORAL_LAMBDA = 1;

export function coralProfiles(table: ProfileTable, options: BatchOptions & { lambda?: number }): ProfileTable {
  const purpose = `correct (coral, batch ${options.batch}, controls ${options.controls})`;
  const lambda = options.lambda ?? CORAL_LAMBDA;
  assertFinite(table, purpose);
  const batches = groupRows(table, options.batch);
  const controls = fitRows(table, batches, options.controls, 2, purpose);
  const p = table.columns.length;
  const regularized = (rows: Int32Array) => {
    const { mean } = columnStats(table.columns, { rows });
    const cov = covariance(table.columns, rows, mean);
    for (let j = 0; j < p; j++) cov.data[j * p + j] += lambda;
    return { mean, cov };
  };
  const target = regularized(unionRows(controls));
  const colour = spdPower(target.cov, 0.5, purpose);
  const mapOf = (b: number): LinearMap => {
    const source = regularized(controls[b]);
    // Matrix (S·T)ᵀ = T·S for the symmetric whitening S and colouring T.
    return {
      center: source.mean,
      matrixT: multiply(colour, spdPower(source.cov, -0.5, purpose)),
      offset: target.mean,
    };
  };
  return withFeatures(table, [...table.features], applyLinear(table.columns, batches.members, p, mapOf));
}
