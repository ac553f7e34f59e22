/**
 * Global thresholds of a float image, with skimage.filters' definitions (scikit-image 0.19):
 * Otsu (Otsu 1979, on numpy's 256-bin histogram over [min, max]) and Li's minimum cross-entropy
 * (Li & Lee 1993; Li & Tam 1998, iterative form). CellProfiler's "Minimum Cross-Entropy" is Li's method.
 */

export type ThresholdMethod = 'otsu' | 'li';

function minMax(image: ArrayLike<number>, n: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = image[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/**
 * numpy.histogram(image, bins=nbins) for finite values: equal bins over [min, max] from np.linspace, the last bin
 * closed; bin indices computed and then corrected against the edges exactly as numpy does, so that values on an
 * edge fall in the same bin. Returns the counts and the bin centers.
 */
export function histogram(image: ArrayLike<number>, nbins = 256): { counts: Float64Array; centers: Float64Array } {
  const n = image.length;
  let [first, last] = minMax(image, n);
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const step = (last - first) / nbins;
  const edges = new Float64Array(nbins + 1);
  for (let i = 0; i < nbins; i++) edges[i] = i * step + first;
  edges[nbins] = last;
  const norm = last - first;
  const counts = new Float64Array(nbins);
  for (let i = 0; i < n; i++) {
    const v = image[i];
    let index = Math.trunc(((v - first) / norm) * nbins);
    if (index === nbins) index--;
    if (v < edges[index]) index--;
    else if (index !== nbins - 1 && v >= edges[index + 1]) index++;
    counts[index]++;
  }
  const centers = new Float64Array(nbins);
  for (let i = 0; i < nbins; i++) centers[i] = (edges[i] + edges[i + 1]) / 2;
  return { counts, centers };
}

/** skimage.filters.threshold_otsu: the bin center maximizing the between-class variance (first maximum). */
export function thresholdOtsu(image: ArrayLike<number>, nbins = 256): number {
  const first = image[0];
  let uniform = true;
  for (let i = 1; i < image.length && uniform; i++) uniform = image[i] === first;
  if (uniform) return first;
  const { counts, centers } = histogram(image, nbins);
  // Cumulative sums in numpy's order (sequential), forward for class 1 and backward for class 2.
  const weight1 = new Float64Array(nbins);
  const sum1 = new Float64Array(nbins);
  let w = 0;
  let s = 0;
  for (let i = 0; i < nbins; i++) {
    w += counts[i];
    s += counts[i] * centers[i];
    weight1[i] = w;
    sum1[i] = s;
  }
  const weight2 = new Float64Array(nbins);
  const sum2 = new Float64Array(nbins);
  w = 0;
  s = 0;
  for (let i = nbins - 1; i >= 0; i--) {
    w += counts[i];
    s += counts[i] * centers[i];
    weight2[i] = w;
    sum2[i] = s;
  }
  let best = -Infinity;
  let bestIndex = 0;
  for (let i = 0; i < nbins - 1; i++) {
    const mean1 = sum1[i] / weight1[i];
    const mean2 = sum2[i + 1] / weight2[i + 1];
    const variance = weight1[i] * weight2[i + 1] * (mean1 - mean2) ** 2;
    // NaN (an empty class) never wins, as in np.argmax over finite values.
    if (variance > best) {
      best = variance;
      bestIndex = i;
    }
  }
  return centers[bestIndex];
}

export interface LiOptions {
  /**
   * Stop when successive estimates differ by at most this. Default 0: iterate to the fixed point (skimage's
   * default, half the smallest gap between distinct values, ends at the same fixed point whenever no pixel lies
   * between the last two estimates; it costs a sort of the image to compute).
   */
  tolerance?: number;
  /** Safety bound on iterations (the fixed point is normally reached in 5-20). */
  maxIterations?: number;
}

/**
 * skimage.filters.threshold_li for float images: starting from the mean, t <- (mb - mf) / (ln mb - ln mf) where
 * mf, mb are the means of the values above / at-or-below t, on the image shifted to a minimum of 0.
 */
export function thresholdLi(image: ArrayLike<number>, options: LiOptions = {}): number {
  const n = image.length;
  const [min, max] = minMax(image, n);
  if (min === max) return min;
  const tolerance = options.tolerance ?? 0;
  const maxIterations = options.maxIterations ?? 1000;
  let total = 0;
  for (let i = 0; i < n; i++) total += image[i] - min;
  let next = total / n;
  let current = -2 * tolerance - 1;
  for (let iteration = 0; Math.abs(next - current) > tolerance && iteration < maxIterations; iteration++) {
    current = next;
    let foreSum = 0;
    let backSum = 0;
    let foreCount = 0;
    for (let i = 0; i < n; i++) {
      const v = image[i] - min;
      if (v > current) {
        foreSum += v;
        foreCount++;
      } else {
        backSum += v;
      }
    }
    const meanFore = foreSum / foreCount;
    const meanBack = backSum / (n - foreCount);
    next = (meanBack - meanFore) / (Math.log(meanBack) - Math.log(meanFore));
  }
  return next + min;
}

/** The threshold of `method` (skimage defaults). */
export function threshold(image: ArrayLike<number>, method: ThresholdMethod): number {
  return method === 'otsu' ? thresholdOtsu(image) : thresholdLi(image);
}
