/**
 * Optical blur of the microscope: the point spread function approximated by the separable binomial kernel
 * [1, 4, 6, 4, 1] / 16 (sigma 1 px, the [1, 2, 1] / 4 kernel applied twice), which softens drawn edges the way a
 * diffraction-limited objective does at RxRx1's sampling. Edges are clamped (the border pixel is repeated).
 */
import { SITE_SIZE } from '../../rxrx1/index.js';

const N = SITE_SIZE;
const clamp = (k: number) => Math.min(N - 1, Math.max(0, k));

/** Blurs a SITE_SIZE x SITE_SIZE image in place; `scratch` is a buffer of the same size. */
export function blurBinomial(image: Float32Array, scratch: Float32Array): void {
  // Rows into scratch.
  for (let y = 0; y < N; y++) {
    const r = y * N;
    for (const x of [0, 1, N - 2, N - 1]) {
      const at = (k: number) => image[r + clamp(k)];
      scratch[r + x] = (at(x - 2) + at(x + 2) + 4 * (at(x - 1) + at(x + 1)) + 6 * at(x)) / 16;
    }
    for (let i = r + 2; i < r + N - 2; i++)
      scratch[i] = (image[i - 2] + image[i + 2] + 4 * (image[i - 1] + image[i + 1]) + 6 * image[i]) * 0.0625;
  }
  // Columns back into the image, a row at a time (contiguous reads of five scratch rows).
  for (let y = 0; y < N; y++) {
    const r = y * N;
    const up2 = clamp(y - 2) * N;
    const up1 = clamp(y - 1) * N;
    const down1 = clamp(y + 1) * N;
    const down2 = clamp(y + 2) * N;
    for (let x = 0; x < N; x++)
      image[r + x] =
        (scratch[up2 + x] + scratch[down2 + x] + 4 * (scratch[up1 + x] + scratch[down1 + x]) + 6 * scratch[r + x]) *
        0.0625;
  }
}
