/**
 * Watershed seeds: regional maxima and h-maxima (Soille 2003, "Morphological Image Analysis", 6.3), the seeds
 * CellProfiler's IdentifyPrimaryObjects declumps from, with the maxima's dynamic instead of a suppression radius.
 */
import { PixelQueue, reconstructByDilation } from './morphology.js';

/**
 * Regional maxima of `image` inside `mask`: 8-connected plateaus (equal values) with no higher 8-neighbour in the
 * mask (skimage.morphology.local_maxima). Returns them as a label image and their count.
 */
export function regionalMaxima(
  image: Float32Array,
  mask: Uint8Array,
  width: number,
  height: number,
  out: Int32Array = new Int32Array(width * height),
  queue: PixelQueue = new PixelQueue(),
): { labels: Int32Array; count: number } {
  const n = width * height;
  const stack = queue.ensure(n);
  const seen = queue.queued;
  out.fill(0, 0, n);
  let count = 0;
  for (let start = 0; start < n; start++) {
    if (!mask[start] || seen[start]) continue;
    // Collect the plateau of `start` in stack[0..size), noting whether any neighbour is higher.
    const value = image[start];
    let size = 0;
    let isMaximum = true;
    seen[start] = 1;
    stack[size++] = start;
    for (let k = 0; k < size; k++) {
      const p = stack[k];
      const y = (p / width) | 0;
      const x = p - y * width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width || (dx === 0 && dy === 0)) continue;
          const q = yy * width + xx;
          if (!mask[q]) continue;
          const v = image[q];
          if (v > value) isMaximum = false;
          else if (v === value && !seen[q]) {
            seen[q] = 1;
            stack[size++] = q;
          }
        }
      }
    }
    if (isMaximum) {
      count++;
      for (let k = 0; k < size; k++) out[stack[k]] = count;
    }
  }
  seen.fill(0, 0, n);
  return { labels: out, count };
}

/**
 * Maxima of dynamic at least h (Soille 2003, h-maxima): the regional maxima of the reconstruction by dilation of
 * image - h under image. A maximum separated from a higher one by a dip shallower than h merges into it, so a
 * textured nucleus yields one seed while two nuclei with a real dark gap between them yield two.
 */
export function hMaxima(
  image: Float32Array,
  mask: Uint8Array,
  width: number,
  height: number,
  h: number,
  out: Int32Array = new Int32Array(width * height),
  scratch: Float32Array = new Float32Array(width * height),
  queue: PixelQueue = new PixelQueue(),
): { labels: Int32Array; count: number } {
  const n = width * height;
  for (let i = 0; i < n; i++) scratch[i] = image[i] - h;
  reconstructByDilation(scratch, image, width, height, queue);
  return regionalMaxima(scratch, mask, width, height, out, queue);
}
