/**
 * The microscope: turns a clean site into 8-bit channels. Per channel, pixel = offset + gain * illumination
 * * response(clean + crosstalk) + noise, rounded and clipped to 0..255: the clean channels are first defocused
 * (extra binomial blur passes), pick up a fraction of their spectral neighbours (bleed-through), and go through
 * the camera's response r·(s/r)^γ (linear when γ = 1; r the channel's typical clean level, so γ bends the response
 * around it rather than rescaling the image). Illumination falls off quadratically from an optical
 * centre (vignetting, a low-order stand-in for the cos^4 law) with a small per-site tilt; noise is
 * Poisson-Gaussian (Foi et al. 2008, IEEE TIP 17:1737): variance = read^2 + shot * value.
 */
import { SITE_SIZE } from '../../rxrx1/index.js';
import type { Rng } from '../../util/random.js';
import { blurBinomial } from './optics.js';

export interface Illumination {
  /** Optical centre, pixels. */
  centerX: number;
  centerY: number;
  /** Fraction of light lost at a distance of half the site diagonal from the centre. */
  falloff: number;
  /** Linear gradient across the site (fraction per half site width), x and y. */
  tiltX: number;
  tiltY: number;
}

export interface Noise {
  /** Read noise standard deviation, grey levels. */
  read: number;
  /** Shot noise variance per grey level of signal. */
  shot: number;
}

/** Everything the camera does to one site. */
export interface SiteImaging {
  /** Grey levels per unit of clean signal, w1..w6 (experiment x plate x well effects). */
  gain: number[];
  /** Background grey level, w1..w6. */
  offset: number[];
  illumination: Illumination;
  noise: Noise;
  /** Non-linear response: exponent γ and reference level r per channel (absent: linear). */
  response?: { gamma: number[]; reference: number[] };
  /** crosstalk[c][d]: fraction of clean channel d added to channel c (absent: none). */
  crosstalk?: number[][];
  /** Extra binomial blur passes of the clean channels (focus blur; absent: 0). */
  blurPasses?: number;
}

const HALF = SITE_SIZE / 2;
const HALF_DIAGONAL_SQUARED = 2 * HALF * HALF;

/** Writes the illumination multiplier of every pixel into `out`. */
function illuminationField(illumination: Illumination, out: Float32Array): void {
  const { centerX, centerY, falloff, tiltX, tiltY } = illumination;
  for (let y = 0; y < SITE_SIZE; y++) {
    const dy = y + 0.5 - centerY;
    const tilt = 1 + tiltY * ((y + 0.5) / HALF - 1);
    for (let x = 0; x < SITE_SIZE; x++) {
      const dx = x + 0.5 - centerX;
      const vignette = Math.max(0, 1 - (falloff * (dx * dx + dy * dy)) / HALF_DIAGONAL_SQUARED);
      out[y * SITE_SIZE + x] = vignette * (tilt + tiltX * ((x + 0.5) / HALF - 1));
    }
  }
}

/** Mean and mean square of the illumination field (on a 4-pixel grid: it is smooth). */
export function illuminationMoments(illumination: Illumination): { mean: number; meanSquare: number } {
  const field = new Float32Array(SITE_SIZE * SITE_SIZE);
  illuminationField(illumination, field);
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (let y = 2; y < SITE_SIZE; y += 4) {
    for (let x = 2; x < SITE_SIZE; x += 4) {
      const v = field[y * SITE_SIZE + x];
      sum += v;
      sumSquares += v * v;
      count++;
    }
  }
  return { mean: sum / count, meanSquare: sumSquares / count };
}

/**
 * Exposes the clean channels into 8-bit images. Normal deviates come from the Irwin-Hall sum of the four
 * bytes of one 32-bit draw per pixel (tails cut at 3.5 sd, ample for camera noise).
 */
export function expose(
  clean: readonly Float32Array[],
  imaging: SiteImaging,
  field: Float32Array,
  rng: Rng,
  out: readonly Uint8Array[],
): void {
  // Defocus first, with `field` as the blur's scratch buffer (the illumination field is written after).
  for (let pass = 0; pass < (imaging.blurPasses ?? 0); pass++)
    for (const channel of clean) blurBinomial(channel, field);
  illuminationField(imaging.illumination, field);
  const read2 = imaging.noise.read * imaging.noise.read;
  const shot = imaging.noise.shot;
  // Sum of four uniform bytes: mean 510, standard deviation sqrt(4 * (256^2 - 1) / 12).
  const byteSumSd = Math.sqrt((4 * (256 * 256 - 1)) / 12);
  for (let c = 0; c < clean.length; c++) {
    const source = clean[c];
    const target = out[c];
    const gain = imaging.gain[c];
    const offset = imaging.offset[c];
    const bleed = imaging.crosstalk?.[c].flatMap((f, d) => (f > 0 ? [{ f, channel: clean[d] }] : [])) ?? [];
    const gamma = imaging.response?.gamma[c] ?? 1;
    const reference = imaging.response?.reference[c] ?? 1;
    for (let i = 0; i < source.length; i++) {
      let signal = field[i] * source[i];
      for (const { f, channel } of bleed) signal += f * field[i] * channel[i];
      if (gamma !== 1) signal = signal > 0 ? reference * (signal / reference) ** gamma : 0;
      const value = offset + gain * signal;
      const t = rng.uint32();
      const z = ((t & 255) + ((t >>> 8) & 255) + ((t >>> 16) & 255) + ((t >>> 24) & 255) - 510) / byteSumSd;
      const noisy = value + z * Math.sqrt(read2 + shot * Math.max(value, 0));
      target[i] = noisy <= 0 ? 0 : noisy >= 254.5 ? 255 : (noisy + 0.5) | 0;
    }
  }
}
