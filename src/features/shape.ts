/**
 * Per-object shape (CellProfiler MeasureObjectSizeShape's AreaShape features) with the definitions of
 * skimage.measure.regionprops (scikit-image 0.19), computed for all objects of a label image in a few passes:
 * - Area: pixel count; Extent: area / bounding-box area.
 * - Perimeter: skimage.measure.perimeter(neighbourhood=4): boundary pixels (object pixels with a 4-neighbour
 *   outside the object) weighted by their configuration of boundary neighbours (1, sqrt 2 or (1 + sqrt 2) / 2).
 * - MajorAxisLength, MinorAxisLength = 4 sqrt(eigenvalues of the inertia tensor), Eccentricity = sqrt(1 - l2 / l1),
 *   Orientation = 0.5 atan2(-2 b, c - a) (radians, regionprops' convention) from central second moments.
 * - Solidity: area / convex area, where the convex hull is that of skimage.morphology.convex_hull_image: the hull
 *   of the midpoints of the pixels' edges, counting pixel centres inside or on it. Hull and counts use exact
 *   integer arithmetic in doubled coordinates.
 * - FormFactor: 4 pi area / perimeter^2 (CellProfiler).
 */

export const SHAPE_FEATURES = [
  'Area',
  'Perimeter',
  'FormFactor',
  'Eccentricity',
  'Solidity',
  'Extent',
  'MajorAxisLength',
  'MinorAxisLength',
  'Orientation',
] as const;
export type ShapeFeature = (typeof SHAPE_FEATURES)[number];

/**
 * perimeter_weights of skimage.measure.perimeter, indexed by the 3x3 convolution code [[10,2,10],[2,1,2],[10,2,10]].
 */
const PERIMETER_WEIGHTS = (() => {
  const weights = new Float64Array(50);
  for (const code of [5, 7, 15, 17, 25, 27]) weights[code] = 1;
  for (const code of [21, 33]) weights[code] = Math.SQRT2;
  for (const code of [13, 23]) weights[code] = (1 + Math.SQRT2) / 2;
  return weights;
})();

/** Reusable per-pixel buffer. */
export class ShapeScratch {
  boundary = new Uint8Array(0);
  ensure(pixels: number): Uint8Array {
    if (this.boundary.length < pixels) this.boundary = new Uint8Array(pixels);
    return this.boundary;
  }
}

/** 1 when pixel j is a boundary pixel of object l. */
function same(labels: Int32Array, boundary: Uint8Array, l: number, j: number): number {
  return labels[j] === l && boundary[j] ? 1 : 0;
}

/** Cross product (b - a) x (c - a) in (u, v) coordinates: > 0 for a left turn. */
function cross(au: number, av: number, bu: number, bv: number, cu: number, cv: number): number {
  return (bu - au) * (cv - av) - (bv - av) * (cu - au);
}

/**
 * Convex area of one object from its row extents (rowMin/rowMax at offset.., rows top..top+rows-1, -1 where a row
 * is empty): Andrew's monotone chain over the pixels' edge midpoints in doubled coordinates (u = 2y, v = 2x), then
 * for every pixel row the count of integer columns between the hull's left and right chains (centres on the hull
 * count, as in skimage's grid_points_in_poly). Only each line's leftmost and rightmost midpoint can be on the hull.
 */
function convexArea(
  rowMin: Int32Array,
  rowMax: Int32Array,
  offset: number,
  top: number,
  rows: number,
  hullU: Int32Array,
  hullV: Int32Array,
): number {
  const upperStart = hullU.length >> 1;
  let lowerSize = 0;
  let upperSize = 0;
  const add = (u: number, v: number): void => {
    // Left chain (smallest v): only counter-clockwise turns survive; right chain: only clockwise ones.
    while (
      lowerSize >= 2 &&
      cross(hullU[lowerSize - 2], hullV[lowerSize - 2], hullU[lowerSize - 1], hullV[lowerSize - 1], u, v) <= 0
    )
      lowerSize--;
    hullU[lowerSize] = u;
    hullV[lowerSize++] = v;
    const s = upperStart;
    while (
      upperSize >= 2 &&
      cross(
        hullU[s + upperSize - 2],
        hullV[s + upperSize - 2],
        hullU[s + upperSize - 1],
        hullV[s + upperSize - 1],
        u,
        v,
      ) >= 0
    )
      upperSize--;
    hullU[s + upperSize] = u;
    hullV[s + upperSize++] = v;
  };
  for (let k = 0; k <= rows; k++) {
    // Line u = 2(top + k) - 1 between rows k - 1 and k: the bottom midpoints of row k - 1 and the top ones of row k.
    let lo = Infinity;
    let hi = -Infinity;
    for (let row = k - 1; row <= k; row++) {
      if (row < 0 || row >= rows || rowMin[offset + row] < 0) continue;
      lo = Math.min(lo, 2 * rowMin[offset + row]);
      hi = Math.max(hi, 2 * rowMax[offset + row]);
    }
    if (lo !== Infinity) {
      add(2 * (top + k) - 1, lo);
      if (hi !== lo) add(2 * (top + k) - 1, hi);
    }
    // Line u = 2(top + k) through row k: its left and right edge midpoints.
    if (k < rows && rowMin[offset + k] >= 0) {
      add(2 * (top + k), 2 * rowMin[offset + k] - 1);
      add(2 * (top + k), 2 * rowMax[offset + k] + 1);
    }
  }
  let area = 0;
  let li = 0;
  let ui = upperStart;
  for (let r = 0; r < rows; r++) {
    const u = 2 * (top + r);
    // Both chains run from the first point to the last, so every row strictly inside has an edge on each.
    while (hullU[li + 1] < u) li++;
    while (hullU[ui + 1] < u) ui++;
    const cMin = Math.ceil(edgeColumn(hullU[li], hullV[li], hullU[li + 1], hullV[li + 1], u));
    const cMax = Math.floor(edgeColumn(hullU[ui], hullV[ui], hullU[ui + 1], hullV[ui + 1], u));
    if (cMax >= cMin) area += cMax - cMin + 1;
  }
  return area;
}

/**
 * Column (v / 2) where the hull edge (u0, v0)-(u1, v1), u0 < u <= u1, crosses line u. The quotient of two integers
 * below 2^31: never within rounding error of an integer it does not equal, so ceil/floor of it are exact.
 */
function edgeColumn(u0: number, v0: number, u1: number, v1: number, u: number): number {
  const den = u1 - u0;
  return (v0 * den + (v1 - v0) * (u - u0)) / (2 * den);
}

/** Per-object pixel moments and bounding boxes, indexed by label 1..count. */
interface Moments {
  area: Float64Array;
  sy: Float64Array;
  sx: Float64Array;
  syy: Float64Array;
  sxx: Float64Array;
  sxy: Float64Array;
  minY: Int32Array;
  maxY: Int32Array;
  minX: Int32Array;
  maxX: Int32Array;
}

/** Pass 1: moments, bounding boxes and boundary pixels (a 4-neighbour outside the object or the image). */
function momentsAndBoundary(
  labels: Int32Array,
  count: number,
  width: number,
  height: number,
  boundary: Uint8Array,
): Moments {
  const m: Moments = {
    area: new Float64Array(count + 1),
    sy: new Float64Array(count + 1),
    sx: new Float64Array(count + 1),
    syy: new Float64Array(count + 1),
    sxx: new Float64Array(count + 1),
    sxy: new Float64Array(count + 1),
    minY: new Int32Array(count + 1).fill(height),
    maxY: new Int32Array(count + 1).fill(-1),
    minX: new Int32Array(count + 1).fill(width),
    maxX: new Int32Array(count + 1).fill(-1),
  };
  const { area, sy, sx, syy, sxx, sxy, minY, maxY, minX, maxX } = m;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const l = labels[i];
      if (l === 0) {
        boundary[i] = 0;
        continue;
      }
      area[l]++;
      sy[l] += y;
      sx[l] += x;
      syy[l] += y * y;
      sxx[l] += x * x;
      sxy[l] += x * y;
      if (y < minY[l]) minY[l] = y;
      if (y > maxY[l]) maxY[l] = y;
      if (x < minX[l]) minX[l] = x;
      if (x > maxX[l]) maxX[l] = x;
      boundary[i] =
        y === 0 ||
        y === height - 1 ||
        x === 0 ||
        x === width - 1 ||
        labels[i - 1] !== l ||
        labels[i + 1] !== l ||
        labels[i - width] !== l ||
        labels[i + width] !== l
          ? 1
          : 0;
    }
  }
  return m;
}

/** The perimeter code of a boundary pixel: 1 + 2 x (same-boundary edge neighbours) + 10 x (diagonal ones). */
function perimeterCode(
  labels: Int32Array,
  boundary: Uint8Array,
  l: number,
  i: number,
  x: number,
  y: number,
  width: number,
  height: number,
): number {
  const up = y > 0;
  const down = y + 1 < height;
  const left = x > 0;
  const right = x + 1 < width;
  let code = 1;
  code +=
    2 *
    ((up ? same(labels, boundary, l, i - width) : 0) +
      (down ? same(labels, boundary, l, i + width) : 0) +
      (left ? same(labels, boundary, l, i - 1) : 0) +
      (right ? same(labels, boundary, l, i + 1) : 0));
  code +=
    10 *
    ((up && left ? same(labels, boundary, l, i - width - 1) : 0) +
      (up && right ? same(labels, boundary, l, i - width + 1) : 0) +
      (down && left ? same(labels, boundary, l, i + width - 1) : 0) +
      (down && right ? same(labels, boundary, l, i + width + 1) : 0));
  return code;
}

/** Each object's rows (offsets into rowMin/rowMax) and perimeter. */
interface Outline {
  perimeter: Float64Array;
  rowOffset: Int32Array;
  /** Leftmost and rightmost pixel of each row of each object (-1: none), for the convex hull. */
  rowMin: Int32Array;
  rowMax: Int32Array;
}

/** Pass 2: perimeter codes of boundary pixels, and each row's leftmost and rightmost pixel for the hull. */
function outlines(
  labels: Int32Array,
  count: number,
  width: number,
  height: number,
  boundary: Uint8Array,
  m: Moments,
): Outline {
  const { minY, maxY } = m;
  const perimeter = new Float64Array(count + 1);
  const rowOffset = new Int32Array(count + 2);
  for (let l = 1; l <= count; l++) rowOffset[l + 1] = rowOffset[l] + Math.max(0, maxY[l] - minY[l] + 1);
  const rowMin = new Int32Array(rowOffset[count + 1]).fill(-1);
  const rowMax = new Int32Array(rowOffset[count + 1]).fill(-1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const l = labels[i];
      if (l === 0) continue;
      const r = rowOffset[l] + y - minY[l];
      if (rowMin[r] < 0) rowMin[r] = x;
      rowMax[r] = x;
      if (boundary[i]) perimeter[l] += PERIMETER_WEIGHTS[perimeterCode(labels, boundary, l, i, x, y, width, height)];
    }
  }
  return { perimeter, rowOffset, rowMin, rowMax };
}

/**
 * Shape features of objects 1..count of a label image; column j of the result holds SHAPE_FEATURES[j] for
 * objects 1..count at indices 0..count-1 (NaN for an object with no pixels).
 */
export function measureShape(
  labels: Int32Array,
  count: number,
  width: number,
  height: number,
  scratch: ShapeScratch = new ShapeScratch(),
): Record<ShapeFeature, Float64Array> {
  const boundary = scratch.ensure(width * height);
  const m = momentsAndBoundary(labels, count, width, height, boundary);
  const { perimeter, rowOffset, rowMin, rowMax } = outlines(labels, count, width, height, boundary, m);
  const { area, sy, sx, syy, sxx, sxy, minY, maxY, minX, maxX } = m;
  let maxRows = 0;
  for (let l = 1; l <= count; l++) maxRows = Math.max(maxRows, maxY[l] - minY[l] + 1);
  // Each chain holds at most two points per line (2 rows + 1 lines).
  const hullU = new Int32Array(2 * (4 * maxRows + 4));
  const hullV = new Int32Array(2 * (4 * maxRows + 4));
  const result = Object.fromEntries(SHAPE_FEATURES.map((name) => [name, new Float64Array(count)])) as Record<
    ShapeFeature,
    Float64Array
  >;
  for (let l = 1; l <= count; l++) {
    const o = l - 1;
    const a = area[l];
    if (a === 0) {
      for (const name of SHAPE_FEATURES) result[name][o] = NaN;
      continue;
    }
    // Central moments (skimage's mu[2,0] is along rows, mu[0,2] along columns), then the inertia tensor
    // [[mu02, -mu11], [-mu11, mu20]] / mu00.
    const muRow = syy[l] - (sy[l] * sy[l]) / a;
    const muCol = sxx[l] - (sx[l] * sx[l]) / a;
    const muCross = sxy[l] - (sx[l] * sy[l]) / a;
    const ta = muCol / a;
    const tb = -muCross / a;
    const tc = muRow / a;
    const mean = (ta + tc) / 2;
    const spread = Math.sqrt(((ta - tc) / 2) ** 2 + tb * tb);
    const l1 = Math.max(mean + spread, 0);
    const l2 = Math.max(mean - spread, 0);
    const hull = convexArea(rowMin, rowMax, rowOffset[l], minY[l], maxY[l] - minY[l] + 1, hullU, hullV);
    const p = perimeter[l];
    result.Area[o] = a;
    result.Perimeter[o] = p;
    result.FormFactor[o] = (4 * Math.PI * a) / (p * p);
    result.Eccentricity[o] = l1 === 0 ? 0 : Math.sqrt(1 - l2 / l1);
    result.Solidity[o] = a / hull;
    result.Extent[o] = a / ((maxY[l] - minY[l] + 1) * (maxX[l] - minX[l] + 1));
    result.MajorAxisLength[o] = 4 * Math.sqrt(l1);
    result.MinorAxisLength[o] = 4 * Math.sqrt(l2);
    result.Orientation[o] = ta - tc === 0 ? (tb < 0 ? -Math.PI / 4 : Math.PI / 4) : 0.5 * Math.atan2(-2 * tb, tc - ta);
  }
  return result;
}
