/**
 * Marker-controlled watershed by priority flood (Beucher & Meyer 1993; Soille, "Morphological Image Analysis",
 * 2003): the semantics of skimage.segmentation.watershed (flood from the markers, lowest level first, ties in
 * order of arrival; a pixel takes the label of the pixel that reached it first), on integer levels so the priority
 * queue is a bucket queue with one FIFO per level: O(pixels + levels) instead of a heap's O(n log n).
 */
import type { Connectivity } from './label.js';

/** Reusable queue storage. */
export class WatershedScratch {
  next = new Int32Array(0);
  head = new Int32Array(0);
  tail = new Int32Array(0);
  ensure(pixels: number, levels: number): void {
    if (this.next.length < pixels) this.next = new Int32Array(pixels);
    if (this.head.length < levels) {
      this.head = new Int32Array(levels);
      this.tail = new Int32Array(levels);
    }
  }
}

export interface WatershedOptions {
  /** Flood only where mask is nonzero (skimage's `mask`); everything else stays 0. */
  mask?: ArrayLike<number>;
  /** 1: 4-neighbours (skimage's default), 2: 8-neighbours. */
  connectivity?: Connectivity;
}

/**
 * Floods `levels` (non-negative integers, lower floods first; e.g. -distance or -intensity shifted and quantized)
 * from `markers` (label image, 0 = unlabeled). Returns the label image.
 */
export function watershed(
  levels: ArrayLike<number>,
  markers: Int32Array,
  width: number,
  height: number,
  options: WatershedOptions = {},
  out: Int32Array = new Int32Array(width * height),
  scratch: WatershedScratch = new WatershedScratch(),
): Int32Array {
  const n = width * height;
  const mask = options.mask;
  const eight = (options.connectivity ?? 1) === 2;
  let maxLevel = 0;
  for (let i = 0; i < n; i++) {
    const level = levels[i];
    if ((mask === undefined || mask[i]) && level > maxLevel) maxLevel = level;
  }
  scratch.ensure(n, maxLevel + 1);
  const { next, head, tail } = scratch;
  head.fill(-1, 0, maxLevel + 1);
  tail.fill(-1, 0, maxLevel + 1);
  let current = maxLevel + 1;
  const push = (p: number, level: number): void => {
    next[p] = -1;
    if (tail[level] < 0) head[level] = p;
    else next[tail[level]] = p;
    tail[level] = p;
    if (level < current) current = level;
  };
  for (let i = 0; i < n; i++) {
    const inside = mask === undefined || mask[i];
    out[i] = inside ? markers[i] : 0;
    if (out[i]) push(i, levels[i]);
  }
  const visit = (q: number, owner: number): void => {
    if (out[q] || (mask !== undefined && !mask[q])) return;
    out[q] = owner;
    push(q, levels[q]);
  };
  for (;;) {
    while (current <= maxLevel && head[current] < 0) current++;
    if (current > maxLevel) break;
    const p = head[current];
    head[current] = next[p];
    if (head[current] < 0) tail[current] = -1;
    const owner = out[p];
    const y = (p / width) | 0;
    const x = p - y * width;
    const left = x > 0;
    const right = x + 1 < width;
    const up = y > 0;
    const down = y + 1 < height;
    if (up) visit(p - width, owner);
    if (left) visit(p - 1, owner);
    if (right) visit(p + 1, owner);
    if (down) visit(p + width, owner);
    if (eight) {
      if (up && left) visit(p - width - 1, owner);
      if (up && right) visit(p - width + 1, owner);
      if (down && left) visit(p + width - 1, owner);
      if (down && right) visit(p + width + 1, owner);
    }
  }
  return out;
}
