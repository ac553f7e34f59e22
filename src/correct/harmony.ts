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
 * Parameters (the paper's and harmonypy's defaults): θ = 2, σ = 0.1, λ = 1, K = min(round(N/30), 100)
 * clusters, block size 0.05, ε_cluster 1e-5, ε_harmony 1e-4. Two differences, both deterministic choices: the
 * initial centroids come from seeded k-means++ and Lloyd iterations (harmonypy calls scikit-learn's or scipy's
 * k-means) and block order from a seeded generator (src/util/random.ts); and the cosine normalization is a
 * plain L2 row normalization as in the R package (harmonypy first divides each cell by its largest coordinate,
 * which flips cells whose coordinates are all negative).
 *
 * Memory: beyond the N x d embedding in and out, the N x K responsibilities in float32 (K ≤ 100), the algorithm's
 * one per-cell state; distances and unit rows are recomputed per block of cells (5% of them), never held for all
 * N, so Harmony costs about 4·K bytes per cell more than the other methods (0.4 KB at K = 100).
 */
import {
  CHUNK_ROWS,
  gemmNT,
  type Matrix64,
  matrix,
  normalizeRows,
  normalizeRowsInPlace,
  toColumns,
} from '../numerics/index.js';
import type { ProfileTable } from '../store/profiles.js';
import { Rng } from '../util/random.js';
import { applyLinear } from './affine.js';
import { assertFinite, groupRows, type BatchBy } from './groups.js';
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
  /** Starting centroids (K x d) instead of k-means; for reproducing another implementation's run. */
  initialCentroids?: Matrix64;
}

export interface HarmonyResult {
  /** Corrected embedding, N x d. */
  embedding: Matrix64;
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
  const { embedding } = harmonize(matrix(Z, table.rows, d), batches.ids, batches.names.length, options);
  return withFeatures(table, componentNames(d), toColumns(embedding));
}

/** Harmony's parameters with their defaults filled in. */
interface Parameters {
  theta: number;
  sigma: number;
  lambda: number;
  K: number;
  blockSize: number;
  maxIterations: number;
  maxClusterIterations: number;
  epsilonCluster: number;
  epsilonHarmony: number;
}

/** The state one Harmony run updates: embeddings, centroids, responsibilities and the counts behind them. */
interface State {
  params: Parameters;
  N: number;
  d: number;
  B: number;
  batch: Int32Array;
  /** Share of the cells in each batch. */
  Pr: Float64Array;
  /** The input embedding and the corrected one (N x d); cosine-normalized rows are made chunk by chunk. */
  Z: Matrix64;
  Zcorr: Matrix64;
  /** Centroids on the unit sphere (K x d). */
  Y: Matrix64;
  /** Responsibilities, N x K, float32: the one per-cell state of the algorithm (distances are recomputed). */
  R: Float32Array;
  /** Cluster sizes S_k and observed batch counts O_kb; expected counts are E_kb = S_k·Pr_b (harmonypy's outer product). */
  S: Float64Array;
  O: Float64Array;
  random: Rng;
  /** The cell order of the block updates, reshuffled in place every round. */
  order: Int32Array;
  /** Scratch for the cells of one block or chunk: their unit rows (rows x d) and distances (rows x K). */
  cos: Float64Array;
  dist: Float64Array;
  /** One cell's responsibilities in float64 before they are stored. */
  row: Float64Array;
}

function parameters(options: HarmonyOptions, N: number): Parameters {
  return {
    theta: options.theta ?? 2,
    sigma: options.sigma ?? 0.1,
    lambda: options.lambda ?? 1,
    K: options.clusters ?? Math.min(Math.round(N / 30), 100),
    blockSize: options.blockSize ?? 0.05,
    maxIterations: options.maxIterations ?? 10,
    maxClusterIterations: options.maxClusterIterations ?? 20,
    epsilonCluster: options.epsilonCluster ?? 1e-5,
    epsilonHarmony: options.epsilonHarmony ?? 1e-4,
  };
}

/** Runs Harmony on an N x d embedding with batch ids 0..B-1 per row. */
export function harmonize(Z: Matrix64, batch: Int32Array, B: number, options: HarmonyOptions = {}): HarmonyResult {
  const N = Z.rows;
  if (batch.length !== N) throw new Error(`harmony: ${batch.length} batch ids for ${N} rows`);
  const params = parameters(options, N);
  if (params.K < 2) throw new Error(`harmony: needs at least 2 clusters, got ${params.K} (${N} rows)`);
  const state = initialState(Z, batch, B, params, options);
  const harmonyObjective: number[] = [objective(state)];
  let iterations = 0;
  let converged = false;
  while (iterations < params.maxIterations && !converged) {
    harmonyObjective.push(cluster(state));
    correct(state);
    iterations++;
    const old = harmonyObjective[harmonyObjective.length - 2];
    const now = harmonyObjective[harmonyObjective.length - 1];
    converged = (old - now) / Math.abs(old) < params.epsilonHarmony;
  }
  return { embedding: state.Zcorr, objective: harmonyObjective, iterations, converged };
}

/** Centroids (k-means++ or given), distances, and responsibilities as a softmax of -distance/σ (no penalty yet). */
function initialState(Z: Matrix64, batch: Int32Array, B: number, params: Parameters, options: HarmonyOptions): State {
  const { rows: N, cols: d } = Z;
  const { K } = params;
  const random = new Rng(options.seed ?? 0);
  const batchSize = new Float64Array(B);
  for (let i = 0; i < N; i++) batchSize[batch[i]]++;
  const Zcorr = matrix(Float64Array.from(Z.data), N, d);
  // k-means runs once on the unit rows; that copy is dropped before the iterations.
  const Y = options.initialCentroids
    ? matrix(Float64Array.from(options.initialCentroids.data), K, d)
    : kmeansCentroids(normalizeRows(Zcorr), K, random);
  normalizeRowsInPlace(Y);
  const scratchRows = Math.max(CHUNK_ROWS, Math.ceil(N * params.blockSize) + 1);
  const state: State = {
    params,
    N,
    d,
    B,
    batch,
    Pr: batchSize.map((count) => count / N),
    Z,
    Zcorr,
    Y,
    R: new Float32Array(N * K),
    S: new Float64Array(K),
    O: new Float64Array(K * B),
    random,
    order: Int32Array.from({ length: N }, (_, i) => i),
    cos: new Float64Array(scratchRows * d),
    dist: new Float64Array(scratchRows * K),
    row: new Float64Array(K),
  };
  const factor = new Float64Array(K * B).fill(1);
  forChunks(state, (cells, dist) => {
    cells.forEach((i, t) => {
      assign(state, i, dist, t * K, factor);
      addCell(state, i, 1);
    });
  });
  return state;
}

/**
 * Distances d_ik = 2(1 - z_i·y_k) of the unit rows of `cells` (at most the scratch size) to the centroids, into
 * `state.dist` (cells.length x K, row t for cells[t]).
 */
function blockDistances(state: State, cells: ArrayLike<number>): Float64Array {
  const { d } = state;
  const { K } = state.params;
  const m = cells.length;
  const cos = state.cos.subarray(0, m * d);
  const z = state.Zcorr.data;
  for (let t = 0; t < m; t++) {
    const from = cells[t] * d;
    let norm = 0;
    for (let l = 0; l < d; l++) norm += z[from + l] * z[from + l];
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let l = 0; l < d; l++) cos[t * d + l] = z[from + l] * scale;
  }
  const dist = state.dist.subarray(0, m * K);
  dist.fill(0);
  gemmNT(matrix(cos, m, d), state.Y, matrix(dist, m, K));
  for (let t = 0; t < dist.length; t++) dist[t] = 2 * (1 - dist[t]);
  return dist;
}

/** Visits every cell in chunks of consecutive cells with their distances to the centroids. */
function forChunks(state: State, visit: (cells: Int32Array, dist: Float64Array) => void): void {
  const cells = new Int32Array(CHUNK_ROWS);
  for (let start = 0; start < state.N; start += CHUNK_ROWS) {
    const size = Math.min(CHUNK_ROWS, state.N - start);
    for (let t = 0; t < size; t++) cells[t] = start + t;
    const chunk = cells.subarray(0, size);
    visit(chunk, blockDistances(state, chunk));
  }
}

/** Harmony's objective: k-means cost + σ·entropy + σ·diversity penalty of the responsibilities. */
function objective(state: State): number {
  const { B, batch, Pr, R, S, O } = state;
  const { K, theta, sigma } = state.params;
  let kmeans = 0;
  let entropy = 0;
  let cross = 0;
  const penalty = new Float64Array(K * B);
  for (let k = 0; k < K; k++)
    for (let b = 0; b < B; b++) penalty[k * B + b] = theta * Math.log((O[k * B + b] + 1) / (S[k] * Pr[b] + 1));
  forChunks(state, (cells, dist) => {
    cells.forEach((i, t) => {
      const b = batch[i];
      for (let k = 0; k < K; k++) {
        const r = R[i * K + k];
        kmeans += r * dist[t * K + k];
        if (r > 0) entropy += sigma * r * Math.log(r);
        cross += sigma * r * penalty[k * B + b];
      }
    });
  });
  return kmeans + entropy + cross;
}

/**
 * Cell i's responsibilities from its distances dist[at .. at + K): exp(-d_ik/σ) (shifted by its largest term) x
 * weight[k][its batch], summing to 1.
 */
function assign(state: State, i: number, dist: Float64Array, at: number, weight: Float64Array): void {
  const { B, R, row } = state;
  const { K, sigma } = state.params;
  const b = state.batch[i];
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, -dist[at + k] / sigma);
  let sum = 0;
  for (let k = 0; k < K; k++) sum += row[k] = Math.exp(-dist[at + k] / sigma - max) * weight[k * B + b];
  for (let k = 0; k < K; k++) R[i * K + k] = row[k] / sum;
}

/** Adds (sign 1) or removes (-1) cell i's responsibilities to the cluster sizes and observed batch counts. */
function addCell(state: State, i: number, sign: number): void {
  const { B, R, S, O } = state;
  const { K } = state.params;
  const b = state.batch[i];
  for (let k = 0; k < K; k++) {
    const r = sign * R[i * K + k];
    S[k] += r;
    O[k * B + b] += r;
  }
}

/** One round over shuffled blocks of cells: take a block out of the counts, reassign it with the penalty, put it back. */
function updateResponsibilities(state: State, factor: Float64Array): void {
  const { N, B, Pr, S, O, order } = state;
  const { K, theta } = state.params;
  state.random.shuffle(order);
  const blocks = Math.ceil(1 / state.params.blockSize);
  // np.array_split: the first N mod blocks blocks hold one extra cell.
  const base = Math.floor(N / blocks);
  const extra = N % blocks;
  let start = 0;
  for (let block = 0; block < blocks; block++) {
    const end = start + base + (block < extra ? 1 : 0);
    const cells = order.subarray(start, end);
    // The centroids are fixed during a round, so the block's distances are those of the round's start.
    const dist = blockDistances(state, cells);
    for (const i of cells) addCell(state, i, -1);
    for (let k = 0; k < K; k++)
      for (let b = 0; b < B; b++) factor[k * B + b] = ((S[k] * Pr[b] + 1) / (O[k * B + b] + 1)) ** theta;
    cells.forEach((i, t) => {
      assign(state, i, dist, t * K, factor);
    });
    for (const i of cells) addCell(state, i, 1);
    start = end;
  }
}

/**
 * Centroids: responsibility-weighted sums of the unit cells, renormalized (Y = Zcos·Rᵀ in harmonypy's layout),
 * accumulated over chunks of cells transposed so the product kernel reads both along the cells.
 */
function updateCentroids(state: State, blockR: Float64Array, blockZ: Float64Array): void {
  const { N, d, R } = state;
  const { K } = state.params;
  const z = state.Zcorr.data;
  state.Y.data.fill(0);
  for (let start = 0; start < N; start += CHUNK_ROWS) {
    const size = Math.min(CHUNK_ROWS, N - start);
    for (let t = 0; t < size; t++) {
      const i = start + t;
      let norm = 0;
      for (let l = 0; l < d; l++) norm += z[i * d + l] * z[i * d + l];
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let k = 0; k < K; k++) blockR[k * size + t] = R[i * K + k];
      for (let l = 0; l < d; l++) blockZ[l * size + t] = z[i * d + l] * scale;
    }
    gemmNT(matrix(blockR.subarray(0, K * size), K, size), matrix(blockZ.subarray(0, d * size), d, size), state.Y);
  }
  normalizeRowsInPlace(state.Y);
}

/** Soft k-means with the diversity penalty until the windowed objective settles; returns the last objective. */
function cluster(state: State): number {
  const { d, B } = state;
  const { K, maxClusterIterations, epsilonCluster } = state.params;
  const blockR = new Float64Array(K * CHUNK_ROWS);
  const blockZ = new Float64Array(d * CHUNK_ROWS);
  const factor = new Float64Array(K * B);
  const clusterObjective: number[] = [objective(state)];
  for (let round = 0; round < maxClusterIterations; round++) {
    updateCentroids(state, blockR, blockZ);
    updateResponsibilities(state, factor);
    clusterObjective.push(objective(state));
    if (round > WINDOW && windowConverged(clusterObjective, epsilonCluster)) break;
  }
  return clusterObjective[clusterObjective.length - 1];
}

/**
 * Mixture-of-experts correction: per cluster, a ridge regression of the embedding on batch indicators weighted by
 * the responsibilities, whose batch terms (not the intercept) are subtracted from the input embedding.
 */
function correct(state: State): void {
  const { N, d, B, batch, R } = state;
  const { K, lambda } = state.params;
  const Z = state.Z.data;
  const Zcorr = state.Zcorr.data;
  Zcorr.set(Z);
  const coefficients = new Float64Array((B + 1) * d);
  const o = new Float64Array(B);
  for (let k = 0; k < K; k++) {
    // Weighted sums for the ridge system [[Σr, oᵀ], [o, diag(o + λ)]]·W = [Σ r·z; Σ_{i∈b} r·z].
    o.fill(0);
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
    solveArrowRidge(coefficients, o, d, lambda);
    for (let i = 0; i < N; i++) {
      const r = R[i * K + k];
      const row = (batch[i] + 1) * d;
      for (let l = 0; l < d; l++) Zcorr[i * d + l] -= r * coefficients[row + l];
    }
  }
}

/**
 * Solves the arrow-shaped ridge system in place by its Schur complement (exactly inv(x)·y): w0 = (y0 - Σ
 * o_b/(o_b+λ)·y_b) / (Σr - Σ o_b²/(o_b+λ)), w_b = (y_b - o_b·w0)/(o_b + λ); w0, the intercept, is not removed.
 */
function solveArrowRidge(coefficients: Float64Array, o: Float64Array, d: number, lambda: number): void {
  const B = o.length;
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

/** Initial centroids: k-means++ seeding (Arthur & Vassilvitskii 2007) and Lloyd iterations, K x d. */
function kmeansCentroids(X: Matrix64, K: number, random: Rng): Matrix64 {
  const { rows: n, cols: d, data } = X;
  const centroids = new Float64Array(K * d);
  const squaredDistance = (i: number, c: number) => {
    let s = 0;
    for (let l = 0; l < d; l++) s += (data[i * d + l] - centroids[c * d + l]) ** 2;
    return s;
  };
  seedCentroids(X, centroids, K, random, squaredDistance);
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
      for (let l = 0; l < d; l++) sums[assignment[i] * d + l] += data[i * d + l];
    }
    // An emptied cluster keeps its previous centroid.
    for (let c = 0; c < K; c++)
      if (counts[c] > 0) for (let l = 0; l < d; l++) centroids[c * d + l] = sums[c * d + l] / counts[c];
  }
  return matrix(centroids, K, d);
}

/** k-means++ seeding: each next centroid drawn with probability proportional to its squared distance. */
function seedCentroids(
  X: Matrix64,
  centroids: Float64Array,
  K: number,
  random: Rng,
  squaredDistance: (i: number, c: number) => number,
): void {
  const { rows: n, cols: d, data } = X;
  const nearest = new Float64Array(n).fill(Infinity);
  let pick = Math.floor(random.next() * n);
  for (let c = 0; c < K; c++) {
    centroids.set(data.subarray(pick * d, pick * d + d), c * d);
    let total = 0;
    for (let i = 0; i < n; i++) total += nearest[i] = Math.min(nearest[i], squaredDistance(i, c));
    let target = random.next() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
}
