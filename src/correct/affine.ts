/**
 * Applying a fitted correction: every method here ends in an affine map per group of rows, either diagonal
 * (one centre and factor per feature: standardize, robust, ComBat) or full (y = (x - c)·M + o: sphering, TVN,
 * CORAL). Outputs are new float32 columns; full maps run in row chunks through the blocked product kernel, so
 * memory is the input, the output and O(p·k).
 */
import { CHUNK_ROWS, gemmNN, type Matrix64, matrix } from '../numerics/index.js';

/** Per-group diagonal map y = (x - center)·factor + offset, each a G x p row-major Float64Array. NaN stays NaN. */
export interface DiagonalMap {
  center: Float64Array;
  factor: Float64Array;
  offset?: Float64Array;
}

/** Applies a DiagonalMap; `groupOf` gives each row's group. Rows are visited in order, so memory streams. */
export function applyDiagonal(columns: Float32Array[], groupOf: Int32Array, map: DiagonalMap): Float32Array[] {
  const p = columns.length;
  const G = map.center.length / Math.max(p, 1);
  const center = new Float64Array(G);
  const factor = new Float64Array(G);
  const offset = new Float64Array(G);
  return columns.map((column, j) => {
    for (let g = 0; g < G; g++) {
      center[g] = map.center[g * p + j];
      factor[g] = map.factor[g * p + j];
      offset[g] = map.offset ? map.offset[g * p + j] : 0;
    }
    const out = new Float32Array(column.length);
    for (let i = 0; i < column.length; i++) {
      const g = groupOf[i];
      out[i] = (column[i] - center[g]) * factor[g] + offset[g];
    }
    return out;
  });
}

/** A full affine map y = (x - center)·M + offset from p features to k outputs; `matrixT` is Mᵀ (k x p). */
export interface LinearMap {
  center: Float64Array;
  matrixT: Matrix64;
  offset?: Float64Array;
}

/**
 * Runs a LinearMap over `rows` in chunks: `visit(start, size, result)` receives the k x size row-major outputs
 * (offset not added) of rows[start .. start + size).
 */
function mapChunks(
  columns: Float32Array[],
  rows: Int32Array,
  map: LinearMap,
  k: number,
  visit: (start: number, size: number, result: Float64Array) => void,
): void {
  const p = columns.length;
  const chunk = new Float64Array(CHUNK_ROWS * p);
  const result = new Float64Array(k * CHUNK_ROWS);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const size = Math.min(CHUNK_ROWS, rows.length - start);
    // Feature-major chunk (p x size), centred: each feature's rows copied contiguously from its column.
    for (let j = 0; j < p; j++) {
      const column = columns[j];
      const c = map.center[j];
      const base = j * size;
      for (let r = 0; r < size; r++) chunk[base + r] = column[rows[start + r]] - c;
    }
    const product = matrix(result.subarray(0, k * size), k, size);
    product.data.fill(0);
    // product (k x size) = Mᵀ · chunk: each output feature's values for the chunk come out contiguous.
    gemmNN(map.matrixT, matrix(chunk.subarray(0, p * size), p, size), product);
    visit(start, size, product.data);
  }
}

/**
 * Applies one LinearMap per group (all with k outputs) and returns the k output columns. Each group's map is
 * requested (fitted) just before it is applied, so only one p x k map is alive at a time, whatever the number
 * of groups.
 */
export function applyLinear(
  columns: Float32Array[],
  members: Int32Array[],
  k: number,
  mapOf: (group: number) => LinearMap,
): Float32Array[] {
  const n = columns[0]?.length ?? 0;
  const out = Array.from({ length: k }, () => new Float32Array(n));
  members.forEach((rows, g) => {
    const map = mapOf(g);
    const offset = map.offset;
    mapChunks(columns, rows, map, k, (start, size, result) => {
      for (let j = 0; j < k; j++) {
        const column = out[j];
        const o = offset ? offset[j] : 0;
        const base = j * size;
        for (let r = 0; r < size; r++) column[rows[start + r]] = result[base + r] + o;
      }
    });
  });
  return out;
}

/** The map's outputs for a (small) row subset, in float64 as a k x rows.length matrix. */
export function projectRows(columns: Float32Array[], rows: Int32Array, map: LinearMap, k: number): Matrix64 {
  const m = rows.length;
  const out = new Float64Array(k * m);
  mapChunks(columns, rows, map, k, (start, size, result) => {
    for (let j = 0; j < k; j++) {
      const o = map.offset ? map.offset[j] : 0;
      for (let r = 0; r < size; r++) out[j * m + start + r] = result[j * size + r] + o;
    }
  });
  return matrix(out, k, m);
}
