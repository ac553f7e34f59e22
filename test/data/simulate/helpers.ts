/** Hand-made inputs for the simulator's painting tests: flat textures, one plain cell, a look with unit levels. */
import type { ChannelModel } from '../../../src/data/simulate/calibration.js';
import type { Cell } from '../../../src/data/simulate/cells.js';
import type { StainLook, TextureOffsets } from '../../../src/data/simulate/stains.js';
import { TEXTURE_SIZE, type Textures } from '../../../src/data/simulate/textures.js';

/** Every texture constant 1: stains show their levels without any pattern. */
export function flatTextures(): Textures {
  const ones = () => new Float32Array(TEXTURE_SIZE * TEXTURE_SIZE).fill(1);
  return { fine: ones(), medium: ones(), network: ones(), coarse: ones() };
}

export const OFFSETS: TextureOffsets = {
  chromatin: 0,
  rna: 0,
  mito: 0,
  er: 0,
  thickness: 0,
  outline: 0,
  ruffles: 0,
  haze: 0,
};

/** Unit levels in every stain; only w4 has spots (its nucleoli). */
export function lookOf(overrides: Partial<StainLook> = {}, channel: Partial<ChannelModel> = {}): StainLook {
  const channels = Array.from({ length: 6 }, (_, c) => ({
    nucleus: 1,
    cytoplasm: 1,
    falloff: 1,
    membrane: 0.5,
    background: 0.1,
    texture: 1,
    cellSd: 0,
    spots: c === 3 ? 2 : 0,
    spotRate: 2,
    unevenness: 0,
    ...channel,
  }));
  return { channels, cellScale: 3, elongation: 1, fibres: 0, fibreSpread: 0.3, fibreShareW6: 0, ...overrides };
}

/** An interphase cell with a 12 x 8 px nucleus along x, no lobes, unit brightness. */
export function singleCell(x: number, y: number): Cell {
  return {
    x,
    y,
    a: 12,
    b: 8,
    cos: 1,
    sin: 0,
    lobe2: 0,
    phase2: 0,
    lobe3: 0,
    phase3: 0,
    territory: 1,
    mitotic: false,
    gain: [1, 1, 1, 1, 1, 1],
  };
}
