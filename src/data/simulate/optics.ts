/**
 * Optical blur of the microscope: the point spread function approximated by a separable binomial
 * [1, 2, 1] / 4 kernel (sigma ~0.7 px), which softens drawn edges the way a diffraction-limited objective
 * does at RxRx1's sampling. Edges are clamped.
 */
import { SITE_SIZE } from '../../rxrx1/index.js';

/** Blurs a SITE_SIZE x SITE_SIZE image in place; `scratch` is a buffer of the same size. */
export function blurBinomial(image: Float32Array, scratch: Float32Array): void {
  const n = SITE_SIZE;
  for (let y = 0; y < n; y++) {
    const row = y * n;
    scratch[row] = 0.75 * image[row] + 0.25 * image[row + 1];
    for (let x = 1; x < n - 1; x++)
      scratch[row + x] = 0.25 * (image[row + x - 1] + image[row + x + 1]) + 0.5 * image[row + x];
    scratch[row + n - 1] = 0.75 * image[row + n - 1] + 0.25 * image[row + n - 2];
  }
  for (let x = 0; x < n; x++) {
    image[x] = 0.75 * scratch[x] + 0.25 * scratch[n + x];
    image[(n - 1) * n + x] = 0.75 * scratch[(n - 1) * n + x] + 0.25 * scratch[(n - 2) * n + x];
  }
  for (let y = 1; y < n - 1; y++) {
    const row = y * n;
    for (let x = 0; x < n; x++)
      image[row + x] = 0.25 * (scratch[row - n + x] + scratch[row + n + x]) + 0.5 * scratch[row + x];
  }
}
