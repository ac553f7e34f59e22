/**
 * Exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012, "Distance Transforms of Sampled
 * Functions"): for each nonzero pixel the squared distance to the nearest zero pixel of the image, as
 * scipy.ndimage.distance_transform_edt(mask) ** 2. Squared distances of a pixel grid are integers, so they are
 * exact in float32 up to 2^24, and integer-valued priorities are what the watershed's bucket queue wants.
 */

const FAR = 1e20;

/** Reusable buffers for the 1-D lower-envelope pass. */
export class DistanceScratch {
  f = new Float64Array(0);
  d = new Float64Array(0);
  v = new Int32Array(0);
  z = new Float64Array(0);
  ensure(length: number): void {
    if (this.f.length >= length) return;
    this.f = new Float64Array(length);
    this.d = new Float64Array(length);
    this.v = new Int32Array(length);
    this.z = new Float64Array(length + 1);
  }
}

/** 1-D squared distance transform of sampled function f (length n) into d: d[q] = min_p (q - p)^2 + f[p]. */
function transform1d(f: Float64Array, d: Float64Array, v: Int32Array, z: Float64Array, n: number): void {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    // Intersection of the parabola from q with the rightmost one of the envelope.
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const dq = q - v[k];
    d[q] = dq * dq + f[v[k]];
  }
}

/**
 * Squared Euclidean distance from every nonzero pixel of `mask` to the nearest zero pixel (0 on zero pixels).
 * With no zero pixel at all the distances are not defined; they come out huge (>= 1e20 saturates float32 to Infinity).
 */
export function distanceTransformSquared(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  out: Float32Array = new Float32Array(width * height),
  scratch: DistanceScratch = new DistanceScratch(),
): Float32Array {
  scratch.ensure(Math.max(width, height));
  const { f, d, v, z } = scratch;
  // Columns first: along a column the 1-D transform of a binary image is the squared run distance, done by two
  // scans; it is kept in `out` (exact: integers below 2^24, or FAR) until the row pass replaces it.
  const column = out;
  for (let x = 0; x < width; x++) {
    let last = -1;
    for (let y = 0; y < height; y++) {
      const i = y * width + x;
      if (!mask[i]) last = y;
      column[i] = last < 0 ? FAR : (y - last) * (y - last);
    }
    last = -1;
    for (let y = height - 1; y >= 0; y--) {
      const i = y * width + x;
      if (!mask[i]) last = y;
      if (last >= 0) {
        const dd = (last - y) * (last - y);
        if (dd < column[i]) column[i] = dd;
      }
    }
  }
  // Rows: the lower envelope of parabolas rooted at the column distances.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) f[x] = column[row + x];
    transform1d(f, d, v, z, width);
    for (let x = 0; x < width; x++) out[row + x] = d[x];
  }
  return out;
}
