/**
 * Tileable noise textures the stains are modulated with. Each worker makes them once per seed; a site reads
 * them at its own random offsets (wrapping), which is far cheaper than fresh noise per site and, with
 * per-site offsets, no two sites share the same pattern at the same place.
 * Value noise with smoothstep interpolation, summed over octaves (Perlin 1985, "An image synthesizer").
 */
import { rngFor, type Rng } from '../../util/random.js';

/** Side of every texture; a power of two so wrapping is a bit mask. */
export const TEXTURE_SIZE = 512;
export const TEXTURE_MASK = TEXTURE_SIZE - 1;

/** Every texture has mean 1, so `1 + k * (t - 1)` modulates a stain by contrast k without changing its mean. */
export interface Textures {
  /** ~2 px blotches: chromatin, RNA granules. */
  fine: Float32Array;
  /** ~6 px variation: fibre waviness, Golgi lobes. */
  medium: Float32Array;
  /** Thin ridges of a ~10 px network: reticular ER, filamentous mitochondria. */
  network: Float32Array;
  /** ~100 px variation: where colonies grow. */
  coarse: Float32Array;
}

/** One octave of tileable value noise in [0, 1] with lattice spacing `period` (a divisor of TEXTURE_SIZE). */
function addOctave(out: Float32Array, rng: Rng, period: number, weight: number): void {
  const cells = TEXTURE_SIZE / period;
  const lattice = new Float32Array(cells * cells);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
  for (let y = 0; y < TEXTURE_SIZE; y++) {
    const gy = y / period;
    const j0 = Math.floor(gy);
    const fy = gy - j0;
    const sy = fy * fy * (3 - 2 * fy);
    const row0 = j0 * cells;
    const row1 = ((j0 + 1) % cells) * cells;
    for (let x = 0; x < TEXTURE_SIZE; x++) {
      const gx = x / period;
      const i0 = Math.floor(gx);
      const i1 = (i0 + 1) % cells;
      const fx = gx - i0;
      const sx = fx * fx * (3 - 2 * fx);
      const top = lattice[row0 + i0] + (lattice[row0 + i1] - lattice[row0 + i0]) * sx;
      const bottom = lattice[row1 + i0] + (lattice[row1 + i1] - lattice[row1 + i0]) * sx;
      out[y * TEXTURE_SIZE + x] += weight * (top + (bottom - top) * sy);
    }
  }
}

/** Octaves summed, then stretched to span [0, 1]. */
function fractal(rng: Rng, octaves: ReadonlyArray<readonly [period: number, weight: number]>): Float32Array {
  const out = new Float32Array(TEXTURE_SIZE * TEXTURE_SIZE);
  for (const [period, weight] of octaves) addOctave(out, rng, period, weight);
  let min = Infinity;
  let max = -Infinity;
  for (const v of out) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] - min) / (max - min);
  return out;
}

function toMeanOne(texture: Float32Array): Float32Array {
  let sum = 0;
  for (const v of texture) sum += v;
  const scale = texture.length / sum;
  for (let i = 0; i < texture.length; i++) texture[i] *= scale;
  return texture;
}

function makeTextures(seed: number): Textures {
  const rng = rngFor(seed, 'textures');
  const network = fractal(rng, [
    [16, 1],
    [8, 0.5],
  ]);
  // Ridged noise: bright where the field crosses its middle value, giving thin connected threads.
  for (let i = 0; i < network.length; i++) network[i] = (1 - Math.abs(2 * network[i] - 1)) ** 4;
  return {
    fine: toMeanOne(
      fractal(rng, [
        [4, 1],
        [2, 0.6],
      ]),
    ),
    medium: toMeanOne(
      fractal(rng, [
        [8, 1],
        [4, 0.4],
      ]),
    ),
    network: toMeanOne(network),
    coarse: toMeanOne(
      fractal(rng, [
        [128, 1],
        [64, 0.5],
      ]),
    ),
  };
}

let cached: { seed: number; textures: Textures } | null = null;

/** The textures of `seed` (one set cached per worker thread). */
export function texturesFor(seed: number): Textures {
  if (cached?.seed !== seed) cached = { seed, textures: makeTextures(seed) };
  return cached.textures;
}
