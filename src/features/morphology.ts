/**
 * Binary and grey-level morphology on row-major typed arrays: hole filling (scipy.ndimage.binary_fill_holes),
 * grey erosion/dilation by a disk (skimage.morphology.erosion/dilation with disk(radius)) and grey reconstruction
 * by dilation (skimage.morphology.reconstruction; Vincent 1993's hybrid raster-scan + FIFO algorithm).
 * Pixels outside the image never take part (skimage pads erosion with +inf and dilation with -inf).
 */

/** Reusable queue of pixel indices, with a per-pixel "queued" flag (all 0 between uses). */
export class PixelQueue {
  items = new Int32Array(0);
  queued = new Uint8Array(0);
  ensure(length: number): Int32Array {
    if (this.items.length < length) {
      this.items = new Int32Array(length);
      this.queued = new Uint8Array(length);
    }
    return this.items;
  }
}

/**
 * Fills the holes of a binary mask in place: zero pixels not 4-connected to the image edge through zero pixels
 * become 1 (binary_fill_holes with its default cross structure).
 */
export function fillHoles(
  mask: Uint8Array,
  width: number,
  height: number,
  queue: PixelQueue = new PixelQueue(),
): Uint8Array {
  const n = width * height;
  const stack = queue.ensure(n);
  // Mark the background reachable from the edge with 2, then turn the rest of 0 into 1 and 2 back into 0.
  let top = 0;
  const seed = (i: number): void => {
    if (mask[i] === 0) {
      mask[i] = 2;
      stack[top++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
  while (top > 0) {
    const p = stack[--top];
    const y = (p / width) | 0;
    const x = p - y * width;
    if (y > 0) seed(p - width);
    if (y + 1 < height) seed(p + width);
    if (x > 0) seed(p - 1);
    if (x + 1 < width) seed(p + 1);
  }
  for (let i = 0; i < n; i++) mask[i] = mask[i] === 2 ? 0 : 1;
  return mask;
}

/** Half-widths of skimage.morphology.disk(radius) per row offset -radius..radius: |dx| <= halfWidth[dy + radius]. */
export function diskHalfWidths(radius: number): Int32Array {
  const half = new Int32Array(2 * radius + 1);
  for (let dy = -radius; dy <= radius; dy++) half[dy + radius] = Math.floor(Math.sqrt(radius * radius - dy * dy));
  return half;
}

/**
 * Grey erosion (`op` 'min') or dilation ('max') by disk(radius): per output pixel the extreme over the disk,
 * computed as the extreme over rows of 1-D row-segment extremes (for the small images and radii used here).
 */
export function greyMorphologyDisk(
  image: Float32Array,
  width: number,
  height: number,
  radius: number,
  op: 'min' | 'max',
  out: Float32Array = new Float32Array(width * height),
): Float32Array {
  const half = diskHalfWidths(radius);
  const isMin = op === 'min';
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let best = isMin ? Infinity : -Infinity;
      for (let dy = -radius; dy <= radius; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        const h = half[dy + radius];
        const x0 = Math.max(x - h, 0);
        const x1 = x + h >= width ? width - 1 : x + h;
        const row = yy * width;
        for (let xx = x0; xx <= x1; xx++) {
          const v = image[row + xx];
          if (isMin ? v < best : v > best) best = v;
        }
      }
      out[y * width + x] = best;
    }
  }
  return out;
}

/** Grey erosion by disk(1), the 4-neighbour cross (skimage.morphology.erosion(image, disk(1))). */
export function erodeCross(
  image: Float32Array,
  width: number,
  height: number,
  out: Float32Array = new Float32Array(width * height),
): Float32Array {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let v = image[i];
      if (y > 0 && image[i - width] < v) v = image[i - width];
      if (y + 1 < height && image[i + width] < v) v = image[i + width];
      if (x > 0 && image[i - 1] < v) v = image[i - 1];
      if (x + 1 < width && image[i + 1] < v) v = image[i + 1];
      out[i] = v;
    }
  }
  return out;
}

/**
 * Grey reconstruction by dilation of `seed` under `mask` with the 4-neighbour cross, in place in `seed`
 * (seed must be <= mask everywhere, as skimage requires). Vincent (1993), "Morphological grayscale reconstruction
 * in image analysis": a forward and a backward raster scan, then a FIFO propagation of what is left.
 */
export function reconstructByDilation(
  seed: Float32Array,
  mask: Float32Array,
  width: number,
  height: number,
  queue: PixelQueue = new PixelQueue(),
): Float32Array {
  const n = width * height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let v = seed[i];
      if (y > 0 && seed[i - width] > v) v = seed[i - width];
      if (x > 0 && seed[i - 1] > v) v = seed[i - 1];
      seed[i] = Math.min(v, mask[i]);
    }
  }
  const fifo = queue.ensure(n);
  const queued = queue.queued;
  // Circular FIFO; a pixel is queued at most once at a time, so n slots suffice.
  let head = 0;
  let tail = 0;
  let size = 0;
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      let v = seed[i];
      if (y + 1 < height && seed[i + width] > v) v = seed[i + width];
      if (x + 1 < width && seed[i + 1] > v) v = seed[i + 1];
      if (v > mask[i]) v = mask[i];
      seed[i] = v;
      // A backward neighbour that could still rise from this pixel puts it on the queue.
      if (
        (y + 1 < height && seed[i + width] < v && seed[i + width] < mask[i + width]) ||
        (x + 1 < width && seed[i + 1] < v && seed[i + 1] < mask[i + 1])
      ) {
        queued[i] = 1;
        fifo[tail] = i;
        tail = tail + 1 === n ? 0 : tail + 1;
        size++;
      }
    }
  }
  while (size > 0) {
    const p = fifo[head];
    head = head + 1 === n ? 0 : head + 1;
    size--;
    queued[p] = 0;
    const v = seed[p];
    const y = (p / width) | 0;
    const x = p - y * width;
    for (let k = 0; k < 4; k++) {
      let q: number;
      if (k === 0) {
        if (y === 0) continue;
        q = p - width;
      } else if (k === 1) {
        if (y + 1 === height) continue;
        q = p + width;
      } else if (k === 2) {
        if (x === 0) continue;
        q = p - 1;
      } else {
        if (x + 1 === width) continue;
        q = p + 1;
      }
      const sq = seed[q];
      const m = mask[q];
      if (sq < v && sq < m) {
        seed[q] = Math.min(v, m);
        if (!queued[q]) {
          queued[q] = 1;
          fifo[tail] = q;
          tail = tail + 1 === n ? 0 : tail + 1;
          size++;
        }
      }
    }
  }
  return seed;
}
