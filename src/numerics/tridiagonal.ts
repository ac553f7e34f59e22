/**
 * The symmetric eigensolver behind eigen.ts: Householder reduction to tridiagonal form with the transformations
 * accumulated, then the implicit QL algorithm on the tridiagonal matrix (EISPACK's tred2 and tql2, Bowdler,
 * Martin, Reinsch & Wilkinson 1968; the JAMA formulation that ml-matrix's EVD also follows). Written here,
 * rather than taken from ml-matrix, for the memory layout: the working matrix is held transposed in one
 * Float64Array (row j = column j of JAMA's V), so every inner loop, the QL rotations of eigenvector pairs above
 * all, runs along contiguous rows instead of down columns of an array of arrays; 500 x 500 goes from ~1.3 s
 * (ml-matrix) to the figure in README.md ("Eigendecomposition").
 */

/** sqrt(a² + b²) without overflow or destructive underflow (as JAMA's hypot). */
function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  if (x > y) {
    const r = y / x;
    return x * Math.sqrt(1 + r * r);
  }
  if (y === 0) return 0;
  const r = x / y;
  return y * Math.sqrt(1 + r * r);
}

/**
 * Eigen-decomposes the symmetric n x n matrix held in `W` (row-major; only its upper triangle, j >= i, is read)
 * in place: on return `d` holds the eigenvalues ascending and row i of `W` the unit eigenvector of d[i].
 */
export function symmetricEigenInPlace(n: number, W: Float64Array, d: Float64Array): void {
  const e = new Float64Array(n);
  // W holds Vᵀ throughout: JAMA's lower triangle V[k][j] (k >= j) is W[j][k], the upper triangle read here.
  reduceToTridiagonal(n, W, d, e);
  accumulateTransformations(n, W, d);
  tridiagonalQl(n, W, d, e);
}

/** Householder reduction (tred2's first half): leaves the diagonal in d, the sub-diagonal in e. */
function reduceToTridiagonal(n: number, W: Float64Array, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < n; j++) d[j] = W[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = W[j * n + i - 1];
        W[j * n + i] = 0;
        W[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // e = (lower triangle of the leading i x i block) · d, its rows contiguous in W.
      for (let j = 0; j < i; j++) {
        const row = j * n;
        f = d[j];
        W[i * n + j] = f;
        g = e[j] + W[row + j] * f;
        for (let k = j + 1; k < i; k++) {
          const w = W[row + k];
          g += w * d[k];
          e[k] += w * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      // Rank-2 update of the leading block: V[k][j] -= f·e[k] + g·d[k] for k >= j.
      for (let j = 0; j < i; j++) {
        const row = j * n;
        f = d[j];
        g = e[j];
        for (let k = j; k < i; k++) W[row + k] -= f * e[k] + g * d[k];
        d[j] = W[row + i - 1];
        W[row + i] = 0;
      }
    }
    d[i] = h;
  }
}

/** tred2's second half: turns W into Qᵀ, the product of the Householder reflections, and d into the diagonal. */
function accumulateTransformations(n: number, W: Float64Array, d: Float64Array): void {
  for (let i = 0; i < n - 1; i++) {
    W[i * n + n - 1] = W[i * n + i];
    W[i * n + i] = 1;
    const h = d[i + 1];
    const u = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = W[u + k] / h;
      for (let j = 0; j <= i; j++) {
        const row = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += W[u + k] * W[row + k];
        for (let k = 0; k <= i; k++) W[row + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) W[u + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = W[j * n + n - 1];
    W[j * n + n - 1] = 0;
  }
  W[n * n - 1] = 1;
}

/**
 * tql2: implicit QL with Wilkinson shifts on (d, e); eigenvalues sorted ascending, eigenvectors in the rows of W.
 * Each sweep's rotations are recorded and then applied in one pass (applySweep) rather than one at a time.
 */
function tridiagonalQl(n: number, W: Float64Array, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  // The sweeps rotate pairs of eigenvectors; they run on V = Wᵀ, whose rows hold one component of every vector.
  const V = transposed(n, W);
  const cosines = new Float64Array(n);
  const sines = new Float64Array(n);
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      do {
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          cosines[i] = c;
          sines[i] = s;
        }
        applySweep(V, n, l, m, cosines, sines);
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  W.set(transposed(n, V));
  sortAscending(n, W, d);
}

function transposed(n: number, X: Float64Array): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = X[i * n + j];
  return out;
}

/**
 * One sweep's rotations i = m-1 .. l, each mixing columns i and i+1 of V, applied along each row of V: the
 * value of column i+1 is carried from one rotation to the next, and four rows run together so that their
 * dependency chains overlap (LAPACK's dlasr does the same for dsteqr).
 */
function applySweep(V: Float64Array, n: number, l: number, m: number, c: Float64Array, s: Float64Array): void {
  const n4 = n - (n % 4);
  for (let k = 0; k < n4; k += 4) {
    const r0 = k * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    let h0 = V[r0 + m];
    let h1 = V[r1 + m];
    let h2 = V[r2 + m];
    let h3 = V[r3 + m];
    for (let i = m - 1; i >= l; i--) {
      const ci = c[i];
      const si = s[i];
      const x0 = V[r0 + i];
      const x1 = V[r1 + i];
      const x2 = V[r2 + i];
      const x3 = V[r3 + i];
      V[r0 + i + 1] = si * x0 + ci * h0;
      V[r1 + i + 1] = si * x1 + ci * h1;
      V[r2 + i + 1] = si * x2 + ci * h2;
      V[r3 + i + 1] = si * x3 + ci * h3;
      h0 = ci * x0 - si * h0;
      h1 = ci * x1 - si * h1;
      h2 = ci * x2 - si * h2;
      h3 = ci * x3 - si * h3;
    }
    V[r0 + l] = h0;
    V[r1 + l] = h1;
    V[r2 + l] = h2;
    V[r3 + l] = h3;
  }
  for (let k = n4; k < n; k++) {
    const r = k * n;
    let h = V[r + m];
    for (let i = m - 1; i >= l; i--) {
      const x = V[r + i];
      V[r + i + 1] = s[i] * x + c[i] * h;
      h = c[i] * x - s[i] * h;
    }
    V[r + l] = h;
  }
}

/** Selection sort of the eigenvalues, swapping eigenvector rows with them (n swaps at most). */
function sortAscending(n: number, W: Float64Array, d: Float64Array): void {
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    for (let j = i + 1; j < n; j++) if (d[j] < d[k]) k = j;
    if (k !== i) {
      const t = d[k];
      d[k] = d[i];
      d[i] = t;
      const a = W.subarray(i * n, (i + 1) * n);
      const b = W.subarray(k * n, (k + 1) * n);
      const copy = a.slice();
      a.set(b);
      b.set(copy);
    }
  }
}
