/**
 * The dense matrix of this project: row-major values in a Float32Array or Float64Array that carries its shape,
 * row i at data[i * cols, (i + 1) * cols). Profile tables store features column-major (one Float32Array per
 * feature); `fromColumns` and `toColumns` convert between the two layouts.
 */

export type FloatArray = Float32Array | Float64Array;

export interface Matrix<T extends FloatArray = FloatArray> {
  readonly data: T;
  readonly rows: number;
  readonly cols: number;
}

export type Matrix32 = Matrix<Float32Array>;
export type Matrix64 = Matrix<Float64Array>;

/** Wraps row-major `data` (exactly rows x cols values) as a matrix; throws on a size mismatch. */
export function matrix<T extends FloatArray>(data: T, rows: number, cols: number): Matrix<T> {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0)
    throw new Error(`matrix: shape ${rows} x ${cols} is not a pair of non-negative integers`);
  if (data.length !== rows * cols)
    throw new Error(`matrix: ${data.length} values for a ${rows} x ${cols} matrix (expected ${rows * cols})`);
  return { data, rows, cols };
}

/** A rows x cols float64 matrix of zeros. */
export function zeros64(rows: number, cols: number): Matrix64 {
  return matrix(new Float64Array(rows * cols), rows, cols);
}

/** A rows x cols float32 matrix of zeros. */
export function zeros32(rows: number, cols: number): Matrix32 {
  return matrix(new Float32Array(rows * cols), rows, cols);
}

/** A new typed array of the same element type as `like`. */
export function allocateLike<T extends FloatArray>(like: T, length: number): T {
  return (like instanceof Float32Array ? new Float32Array(length) : new Float64Array(length)) as T;
}

/** A matrix from nested rows (all of one length); float64 unless `type` says otherwise. */
export function fromRows(values: readonly (readonly number[])[], type?: 'float64'): Matrix64;
export function fromRows(values: readonly (readonly number[])[], type: 'float32'): Matrix32;
export function fromRows(values: readonly (readonly number[])[], type: 'float32' | 'float64' = 'float64'): Matrix {
  const rows = values.length;
  const cols = rows > 0 ? values[0].length : 0;
  const data = type === 'float32' ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  values.forEach((row, i) => {
    if (row.length !== cols) throw new Error(`fromRows: row ${i} has ${row.length} values, row 0 has ${cols}`);
    data.set(row, i * cols);
  });
  return matrix(data, rows, cols);
}

/** Row i as a view (a subarray sharing the matrix's memory). */
export function row<T extends FloatArray>(m: Matrix<T>, i: number): T {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols) as T;
}

/** The rows at `indices`, copied into a new matrix of the same element type. */
export function takeRows<T extends FloatArray>(m: Matrix<T>, indices: ArrayLike<number>): Matrix<T> {
  const p = m.cols;
  const out = allocateLike(m.data, indices.length * p);
  for (let r = 0; r < indices.length; r++) out.set(m.data.subarray(indices[r] * p, (indices[r] + 1) * p), r * p);
  return matrix(out, indices.length, p);
}

/**
 * Row-major float32 copy of column-major features (a profile table's `columns`), at `rows` (all rows when
 * omitted), in that order.
 */
export function fromColumns(columns: readonly Float32Array[], rows?: ArrayLike<number>): Matrix32 {
  const p = columns.length;
  const n = rows ? rows.length : (columns[0]?.length ?? 0);
  const out = new Float32Array(n * p);
  columns.forEach((column, j) => {
    if (rows) for (let i = 0; i < n; i++) out[i * p + j] = column[rows[i]];
    else for (let i = 0; i < n; i++) out[i * p + j] = column[i];
  });
  return matrix(out, n, p);
}

/** The columns of a matrix as float32 arrays (the profile table layout). */
export function toColumns(m: Matrix): Float32Array[] {
  const { data, rows, cols } = m;
  return Array.from({ length: cols }, (_, j) => {
    const column = new Float32Array(rows);
    for (let i = 0; i < rows; i++) column[i] = data[i * cols + j];
    return column;
  });
}

/** The transpose, as a new matrix of the same element type. */
export function transpose<T extends FloatArray>(m: Matrix<T>): Matrix<T> {
  const { data, rows, cols } = m;
  const out = allocateLike(data, rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return matrix(out, cols, rows);
}

/** Throws unless `m` is rows x cols, naming the operand for the caller. */
export function assertShape(m: Matrix, rows: number, cols: number, what: string): void {
  if (m.rows !== rows || m.cols !== cols)
    throw new Error(`${what}: expected a ${rows} x ${cols} matrix, got ${m.rows} x ${m.cols}`);
}
