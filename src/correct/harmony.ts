/**
 * Harmony (Korsunsky et al. 2019, "Fast, sensitive and accurate integration of single-cell data with
 * Harmony", Nat Methods 16:1289), following harmonypy's `run_harmony` on a PCA embedding: iterate
 *   (1) soft k-means on the cosine-normalized embedding with a diversity penalty: cell i's responsibility for
 *       cluster k ∝ exp(-d_ik/σ) · ((E_kb + 1)/(O_kb + 1))^θ for its batch b (O observed, E = cluster size x
 *       batch share expected counts), updated in random blocks of 5% of the cells, up to 20 rounds;
 *   (2) a mixture-of-experts linear correction: per cluster, a ridge regression (λ on batch terms, none on
 *       the intercept) of the embedding on batch indicators weighted by the responsibilities, whose batch
 *       terms are subtracted;
 * until the objective improves by less than 1e-4 (relative), at most 10 times.
 * Parameters (the paper's and harmonypy's defaults): θ = 2, σ = 0.1, λ = 1, K = min(round(N/30), 100) clusters, block
 * size
 * 0.05, ε_cluster 1e-5, ε_harmony 1e-4. Two differences, both deterministic choices: the initial centroids
 * come from seeded k-means++ and Lloyd iterations (harmonypy calls scikit-learn's or scipy's k-means) and block order
 * from a
 * seeded generator; and the cosine normalization is a plain L2 row normalization as in the R package
 * (harmonypy first divides each cell by its largest coordinate, which flips cells whose coordinates are all
 * negative).
 *
 * Memory: the responsibilities and distances are N x K float64 (K ≤ 100), beyond the N x d embedding.
 */
import type { ProfileTable } from '../store/profiles.js';
import { applyLinear } from './affine.js';
import { assertFinite, groupRows, type BatchBy } from './groups.js';
import { gemmNT } from './kernels.js';
import { CHUNK_ROWS } from './moments.js';
import { componentNames, fitStandardizedPca, pcaScores } from './pca.js';
import { withFeatures } from './table.js';

export interface HarmonyOptions {
  /** Diversity penalty θ (per batch variable). */
  theta?: number;
  /** Soft k-means bandwidth σ. */
  sigma?: number;
  /** Ridge penalty λ on the batch coefficients. */
  lambda?: number;
  /** Number of clusters K; default min(round(N/30), 100). */
  clusters?: number;
  /** Fraction of cells updated together in a clustering round. */
  blockSize?: number;
  maxIterations?: number;
  maxClusterIterations?: number;
  epsilonCluster?: number;
  epsilonHarmony?: number;
  /** Seed of the k-means++ initialization and the block order. */
  seed?: number;
  /** Starting centroids (K x d row-major) instead of k-means; for reproducing another implementation's run. */
  initialCentroids?: Float64Array;
}

export interface HarmonyResult {
  /** Corrected embedding, N x d row-major. */
  embedding: Float64Array;
  /** Objective after initialization and after each Harmony iteration. */
  objective: number[];
  iterations: number;
  converged: boolean;
}

/** Principal components Harmony corrects, as in the usual scanpy/Seurat workflow (fewer when p or N is small). */
export const HARMONY_COMPONENTS = 50;

/** Standardizes (all rows), projects on the top principal components, and corrects them with Harmony. */
export function harmonyProfiles(
  table: ProfileTable,
  options: { batch: BatchBy; components?: number } & HarmonyOptions,
): ProfileTable {
  const purpose = `correct (harmony, batch ${options.batch})`;
  assertFinite(table, purpose);
  const batches = groupRows(table, options.batch);
  if (batches.names.length < 2) throw new Error(`${purpose}: needs at least 2 batches, got ${batches.names.length}`);
  const all = Int32Array.from({ length: table.rows }, (_, i) => i);
  const pca = fitStandardizedPca(table.columns, all, options.components ?? HARMONY_COMPONENTS);
  const d = pca.variances.length;
  const scores = applyLinear(table.columns, [all], d, () => pcaScores(pca));
  const Z = new Float64Array(table.rows * d);
  scores.forEach((column, l) => {
    for (let i = 0; i < column.length; i++) Z[i * d + l] = column[i];
  });
  const batch = new Int32Array(table.rows);
  batches.members.forEach((rows, b) => {
    for (const i of rows) batch[i] = b;
  });
  const { embedding } = harmonize(Z, d, batch, batches.names.length, options);
  const columns = Array.from({ length: d }, (_, l) =>
    Float32Array.from({ length: table.rows }, (_, i) => embedding[i * d + l]),
  );
  return withFeatures(table, componentNames(d), columns);
}

/** Runs Harmony on an N x d row-major embedding with batch ids 0..B-1 per row. */
export function harmonize(
  Z: Float64Array,
  d: number,
  batch: Int32Array,
  B: number,
  options: HarmonyOptions = {},
): HarmonyResult {
  const N = batch.length;
  const theta = options.theta ?? 2;
  const sigma = options.sigma ?? 0.1;
  const lambda = options.lambda ?? 1;
  const K = options.clusters ?? Math.min(Math.round(N / 30), 100);
  const blockSize = options.blockSize ?? 0.05;
  const maxIterations = options.maxIterations ?? 10;
  const maxClusterIterations = options.maxClusterIterations ?? 20;
  const epsilonCluster = options.epsilonCluster ?? 1e-5;
  const epsilonHarmony = options.epsilonHarmony ?? 1e-4;
  const random = mulberry32(options.seed ?? 0);
  if (K < 2) throw new Error(`harmony: needs at least 2 clusters, got ${K} (${N} rows)`);

  const batchSize = new Float64Array(B);
  for (let i = 0; i < N; i++) batchSize[batch[i]]++;
  const Pr = batchSize.map((count) => count / N);

  const Zcorr = Float64Array.from(Z);
  const Zcos = normalizedRows(Zcorr, N, d);
  const Y = options.initialCentroids
    ? Float64Array.from(options.initialCentroids)
    : kmeansCentroids(Zcos, N, d, K, random);
  normalizeInPlace(Y, K, d);
  const dist = new Float64Array(N * K);
  const R = new Float64Array(N * K);
  // Expected batch counts are E_kb = S_k·Pr_b (harmonypy's outer product), so only the cluster sizes S are kept.
  const S = new Float64Array(K);
  const O = new Float64Array(K * B);

  const computeDistances = () => {
    dist.fill(0);
    gemmNT(N, K, d, Zcos, Y, dist);
    for (let t = 0; t < dist.length; t++) dist[t] = 2 * (1 - dist[t]);
  };
  const objective = (): number => {
    let kmeans = 0;
    let entropy = 0;
    let cross = 0;
    const penalty = new Float64Array(K * B);
    for (let k = 0; k < K; k++)
      for (let b = 0; b < B; b++) penalty[k * B + b] = theta * Math.log((O[k * B + b] + 1) / (S[k] * Pr[b] + 1));
    for (let i = 0; i < N; i++) {
      const b = batch[i];
      for (let k = 0; k < K; k++) {
        const r = R[i * K + k];
        kmeans += r * dist[i * K + k];
        if (r > 0) entropy += sigma * r * Math.log(r);
        cross += sigma * r * penalty[k * B + b];
      }
    }
    return kmeans + entropy + cross;
  };

  /**
   * Cell i's responsibilities: exp(-d_ik/σ) (shifted by the cell's largest term) x weight[k][its batch], summing to 1.
   */
  const assign = (i: number, weight: Float64Array) => {
    const b = batch[i];
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, -dist[i * K + k] / sigma);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += R[i * K + k] = Math.exp(-dist[i * K + k] / sigma - max) * weight[k * B + b];
    for (let k = 0; k < K; k++) R[i * K + k] /= sum;
  };

  /** Adds (sign 1) or removes (-1) cell i's responsibilities to the cluster sizes and observed batch counts. */
  const addCell = (i: number, sign: number) => {
    const b = batch[i];
    for (let k = 0; k < K; k++) {
      const r = sign * R[i * K + k];
      S[k] += r;
      O[k * B + b] += r;
    }
  };

  // Initial responsibilities: a softmax of -distance/σ, no diversity penalty yet.
  computeDistances();
  const factor = new Float64Array(K * B).fill(1);
  for (let i = 0; i < N; i++) {
    assign(i, factor);
    addCell(i, 1);
  }
  const clusterObjective: number[] = [objective()];
  const harmonyObjective: number[] = [clusterObjective[0]];

  const order = Int32Array.from({ length: N }, (_, i) => i);
  const blocks = Math.ceil(1 / blockSize);
  const updateResponsibilities = () => {
    shuffle(order, random);
    // np.array_split: the first N mod blocks blocks hold one extra cell.
    const base = Math.floor(N / blocks);
    const extra = N % blocks;
    let start = 0;
    for (let block = 0; block < blocks; block++) {
      const end = start + base + (block < extra ? 1 : 0);
      // Take the block's cells out of the counts, recompute their responsibilities, put them back.
      for (let t = start; t < end; t++) addCell(order[t], -1);
      for (let k = 0; k < K; k++)
        for (let b = 0; b < B; b++) factor[k * B + b] = ((S[k] * Pr[b] + 1) / (O[k * B + b] + 1)) ** theta;
      for (let t = start; t < end; t++) assign(order[t], factor);
      for (let t = start; t < end; t++) addCell(order[t], 1);
      start = end;
    }
  };
  const blockR = new Float64Array(K * CHUNK_ROWS);
  const blockZ = new Float64Array(d * CHUNK_ROWS);
  const cluster = () => {
    for (let round = 0; round < maxClusterIterations; round++) {
      // Centroids: responsibility-weighted sums of the cells, renormalized (Y = Zcos·Rᵀ in harmonypy's layout),
      // accumulated over blocks of cells transposed so the product kernel reads both along the cells.
      Y.fill(0);
      for (let start = 0; start < N; start += CHUNK_ROWS) {
        const size = Math.min(CHUNK_ROWS, N - start);
        for (let t = 0; t < size; t++) {
          const i = start + t;
          for (let k = 0; k < K; k++) blockR[k * size + t] = R[i * K + k];
          for (let l = 0; l < d; l++) blockZ[l * size + t] = Zcos[i * d + l];
        }
        gemmNT(K, d, size, blockR, blockZ, Y);
      }
      normalizeInPlace(Y, K, d);
      computeDistances();
      updateResponsibilities();
      clusterObjective.push(objective());
      if (round > WINDOW && windowConverged(clusterObjective, epsilonCluster)) break;
    }
    harmonyObjective.push(clusterObjective[clusterObjective.length - 1]);
  };

  const correct = () => {
    Zcorr.set(Z);
    const coefficients = new Float64Array((B + 1) * d);
    for (let k = 0; k < K; k++) {
      // Weighted sums for the ridge system [[Σr, oᵀ], [o, diag(o + λ)]]·W = [Σ r·z; Σ_{i∈b} r·z].
      const o = new Float64Array(B);
      coefficients.fill(0);
      for (let i = 0; i < N; i++) {
        const r = R[i * K + k];
        const b = batch[i];
        o[b] += r;
        const row = (b + 1) * d;
        for (let l = 0; l < d; l++) {
          const v = r * Z[i * d + l];
          coefficients[l] += v;
          coefficients[row + l] += v;
        }
      }
      // Arrow-shaped system solved by its Schur complement (exactly inv(x)·y): w0 = (y0 - Σ o_b/(o_b+λ)·y_b) /
      // (Σr - Σ o_b²/(o_b+λ)), w_b = (y_b - o_b·w0)/(o_b + λ); w0, the intercept, is not removed.
      let denominator = 0;
      for (let b = 0; b < B; b++) denominator += o[b];
      for (let b = 0; b < B; b++) denominator -= (o[b] * o[b]) / (o[b] + lambda);
      for (let l = 0; l < d; l++) {
        let numerator = coefficients[l];
        for (let b = 0; b < B; b++) numerator -= (o[b] / (o[b] + lambda)) * coefficients[(b + 1) * d + l];
        const w0 = numerator / denominator;
        for (let b = 0; b < B; b++)
          coefficients[(b + 1) * d + l] = (coefficients[(b + 1) * d + l] - o[b] * w0) / (o[b] + lambda);
      }
      for (let i = 0; i < N; i++) {
        const r = R[i * K + k];
        const row = (batch[i] + 1) * d;
        for (let l = 0; l < d; l++) Zcorr[i * d + l] -= r * coefficients[row + l];
      }
    }
    Zcos.set(normalizedRows(Zcorr, N, d));
  };

  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations && !converged) {
    cluster();
    correct();
    iterations++;
    const old = harmonyObjective[harmonyObjective.length - 2];
    const now = harmonyObjective[harmonyObjective.length - 1];
    converged = (old - now) / Math.abs(old) < epsilonHarmony;
  }
  return { embedding: Zcorr, objective: harmonyObjective, iterations, converged };
}

/** harmonypy's clustering convergence window: compare the sums of the last 3 objectives and the 3 before. */
const WINDOW = 3;

function windowConverged(objective: number[], epsilon: number): boolean {
  const n = objective.length;
  let old = 0;
  let now = 0;
  for (let i = 0; i < WINDOW; i++) {
    old += objective[n - 2 - i];
    now += objective[n - 1 - i];
  }
  return Math.abs(old - now) / Math.abs(old) < epsilon;
}

function normalizedRows(X: Float64Array, n: number, d: number): Float64Array {
  const out = Float64Array.from(X);
  normalizeInPlace(out, n, d);
  return out;
}

/** Scales each row of an n x d matrix to unit L2 norm. */
function normalizeInPlace(X: Float64Array, n: number, d: number): void {
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let l = 0; l < d; l++) sum += X[i * d + l] ** 2;
    const scale = 1 / Math.sqrt(sum);
    for (let l = 0; l < d; l++) X[i * d + l] *= scale;
  }
}

/** Initial centroids: k-means++ seeding (Arthur & Vassilvitskii 2007) and Lloyd iterations, K x d row-major. */
function kmeansCentroids(X: Float64Array, n: number, d: number, K: number, random: () => number): Float64Array {
  const centroids = new Float64Array(K * d);
  const nearest = new Float64Array(n).fill(Infinity);
  const squaredDistance = (i: number, c: number) => {
    let s = 0;
    for (let l = 0; l < d; l++) s += (X[i * d + l] - centroids[c * d + l]) ** 2;
    return s;
  };
  let pick = Math.floor(random() * n);
  for (let c = 0; c < K; c++) {
    centroids.set(X.subarray(pick * d, pick * d + d), c * d);
    let total = 0;
    for (let i = 0; i < n; i++) total += nearest[i] = Math.min(nearest[i], squaredDistance(i, c));
    let target = random() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
  const assignment = new Int32Array(n).fill(-1);
  for (let round = 0; round < 25; round++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < K; c++) {
        const s = squaredDistance(i, c);
        if (s < bestDistance) {
          bestDistance = s;
          best = c;
        }
      }
      if (assignment[i] !== best) moved++;
      assignment[i] = best;
    }
    if (moved === 0) break;
    const sums = new Float64Array(K * d);
    const counts = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      counts[assignment[i]]++;
      for (let l = 0; l < d; l++) sums[assignment[i] * d + l] += X[i * d + l];
    }
    // An emptied cluster keeps its previous centroid.
    for (let c = 0; c < K; c++)
      if (counts[c] > 0) for (let l = 0; l < d; l++) centroids[c * d + l] = sums[c * d + l] / counts[c];
  }
  return centroids;
}

/** Fisher-Yates shuffle in place. */
function shuffle(values: Int32Array, random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
}

/** Small seeded PRNG (mulberry32): reproducible runs without a dependency. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
