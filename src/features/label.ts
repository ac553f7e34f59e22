/**
 * Label images: connected-component labeling (two-pass union-find, Rosenfeld & Pfaltz 1966; numbering in raster
 * order of each component's first pixel, as skimage.measure.label) and the object filters of CellProfiler's
 * IdentifyPrimaryObjects (border objects, size range) with sequential relabeling.
 * A label image is an Int32Array, 0 = background, objects 1..count.
 */

export type Connectivity = 1 | 2;

function find(parent: Int32Array, x: number): number {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

function union(parent: Int32Array, a: number, b: number): number {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra === rb) return ra;
  // The smaller root wins, so a component keeps the number of its earliest pixel.
  if (ra < rb) {
    parent[rb] = ra;
    return ra;
  }
  parent[ra] = rb;
  return rb;
}

/** Union-find table, grown on demand and reused across calls (labeling runs several times per site). */
let parentTable = new Int32Array(0);

/**
 * Labels the nonzero pixels of `mask` (skimage.measure.label; connectivity 1 = 4-neighbours, 2 = 8-neighbours).
 * Returns the label image and the number of components.
 */
export function label(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  connectivity: Connectivity = 2,
  out: Int32Array = new Int32Array(width * height),
): { labels: Int32Array; count: number } {
  // Provisional labels are at most one per pixel; union-find over them.
  const needed = Math.ceil((width * height) / 2) + width + 2;
  if (parentTable.length < needed) parentTable = new Int32Array(needed);
  const parent = parentTable;
  let next = 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (!mask[i]) {
        out[i] = 0;
        continue;
      }
      let l = 0;
      const left = x > 0 ? out[i - 1] : 0;
      if (left) l = left;
      if (y > 0) {
        const up = out[i - width];
        if (up) l = l ? union(parent, l, up) : up;
        if (connectivity === 2) {
          const upLeft = x > 0 ? out[i - width - 1] : 0;
          if (upLeft) l = l ? union(parent, l, upLeft) : upLeft;
          const upRight = x + 1 < width ? out[i - width + 1] : 0;
          if (upRight) l = l ? union(parent, l, upRight) : upRight;
        }
      }
      if (!l) {
        parent[next] = next;
        l = next++;
      }
      out[i] = l;
    }
  }
  // Final numbers in order of the roots' first appearance (roots are the smallest provisional label).
  const final = new Int32Array(next);
  let count = 0;
  for (let l = 1; l < next; l++) {
    const root = find(parent, l);
    final[l] = root === l ? ++count : final[root];
  }
  const n = width * height;
  for (let i = 0; i < n; i++) if (out[i]) out[i] = final[out[i]];
  return { labels: out, count };
}

/** The highest label in a label image (the object count of a sequentially numbered one). */
export function countLabels(labels: Int32Array): number {
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > count) count = labels[i];
  return count;
}

/** Pixel count of each label 0..count. */
export function labelAreas(labels: Int32Array, count: number): Int32Array {
  const areas = new Int32Array(count + 1);
  for (let i = 0; i < labels.length; i++) areas[labels[i]]++;
  return areas;
}

export interface ObjectFilter {
  /** Drop objects with a pixel on the image's outer edge (skimage.segmentation.clear_border). */
  excludeBorderObjects?: boolean;
  /** Keep objects whose equivalent diameter sqrt(4 area / pi) is in [min, max] (CellProfiler's size range). */
  diameterRange?: [number, number];
}

/**
 * Which objects survive `filter`: `keep[l]` is the new sequential number of label l, 0 when dropped
 * (skimage.segmentation.relabel_sequential order: surviving labels keep their relative order).
 */
export function filterObjects(
  labels: Int32Array,
  count: number,
  width: number,
  height: number,
  filter: ObjectFilter,
): { keep: Int32Array; count: number } {
  const drop = new Uint8Array(count + 1);
  if (filter.diameterRange) {
    const [minDiameter, maxDiameter] = filter.diameterRange;
    const areas = labelAreas(labels, count);
    for (let l = 1; l <= count; l++) {
      const diameter = Math.sqrt((4 * areas[l]) / Math.PI);
      if (diameter < minDiameter || diameter > maxDiameter) drop[l] = 1;
    }
  }
  if (filter.excludeBorderObjects) {
    const last = (height - 1) * width;
    for (let x = 0; x < width; x++) {
      drop[labels[x]] = 1;
      drop[labels[last + x]] = 1;
    }
    for (let y = 0; y < height; y++) {
      drop[labels[y * width]] = 1;
      drop[labels[y * width + width - 1]] = 1;
    }
  }
  const keep = new Int32Array(count + 1);
  let kept = 0;
  for (let l = 1; l <= count; l++) if (!drop[l]) keep[l] = ++kept;
  return { keep, count: kept };
}

/** Applies a relabeling map (`map[l]` = new label, 0 = background) to a label image. */
export function relabel(
  labels: Int32Array,
  map: Int32Array,
  out: Int32Array = new Int32Array(labels.length),
): Int32Array {
  for (let i = 0; i < labels.length; i++) out[i] = map[labels[i]];
  return out;
}
