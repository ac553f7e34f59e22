/**
 * Paints the noiseless ("clean") six-channel image of a site's cells, one Float32Array per channel, as each
 * Cell Painting-style stain shows them (Bray et al. 2016, Nature Protocols 11:1757):
 *   w1 Hoechst      nuclei, bright ellipses with chromatin texture
 *   w2 ConA         endoplasmic reticulum: reticular, dense around the nucleus, bright nuclear envelope
 *   w3 Phalloidin   actin: stress fibres across the cell and a cortical ring at the membrane
 *   w4 Syto14       nucleoli as bright spots in the nucleus, faint granular cytoplasmic RNA
 *   w5 MitoTracker  mitochondria: filaments and puncta, densest near the nucleus
 *   w6 WGA          Golgi as a perinuclear blob, plus the plasma membrane outline
 * Each cell owns a territory: an ellipse around its nucleus (scaled by the cell type's cellScale and
 * elongation), split between neighbours by the smaller scaled distance (a multiplicatively weighted Voronoi
 * diagram, Aurenhammer 1991); membranes are drawn where the two nearest territories meet, and free cell
 * edges are roughened with noise.
 */
import { CHANNEL_COUNT, SITE_SIZE } from '../../rxrx1/index.js';
import type { Cell } from './cells.js';
import { TEXTURE_MASK, TEXTURE_SIZE, type Textures } from './textures.js';

/** The stains' look for one site: cell type baseline times siRNA phenotype. */
export interface StainLook {
  /** Channel brightness multipliers w1..w6. */
  intensity: readonly number[];
  /** Channel texture contrast multipliers w1..w6. */
  texture: readonly number[];
  /** Cell territory size relative to the nucleus. */
  cellScale: number;
  /** Territory aspect ratio over the nucleus aspect ratio. */
  elongation: number;
  chromatin: number;
  fibres: number;
}

/** Where a site reads each texture (wrapping): one offset per use, so stains do not share patterns. */
export interface TextureOffsets {
  chromatin: number;
  rna: number;
  mito: number;
  er: number;
  waviness: number;
  fibrePatches: number;
  outline: number;
}

/** Working buffers of one worker, reused for every site. */
export interface Canvas {
  channels: Float32Array[];
  /** Index of the cell owning each pixel, -1 for background. */
  owner: Int32Array;
  /** Squared scaled distance to the owning cell and to the runner-up (1 = territory edge). */
  nearest: Float32Array;
  second: Float32Array;
}

const PIXELS = SITE_SIZE * SITE_SIZE;
/** Stress fibre spacing, pixels. */
const FIBRE_PERIOD = 6;
/** Membrane half-width, pixels. */
const MEMBRANE_WIDTH = 1.6;
/** Fibre cross-section over one period: sharp ridges, scaled to mean 1. */
const FIBRE_PROFILE = (() => {
  const profile = new Float32Array(256);
  for (let i = 0; i < 256; i++) profile[i] = (0.5 + 0.5 * Math.cos((2 * Math.PI * i) / 256)) ** 3;
  const mean = profile.reduce((s, v) => s + v, 0) / 256;
  return profile.map((v) => v / mean);
})();

/**
 * Brightness of individual fibres (u^3 scaled to mean 1: a few bright fibres, many faint), picked by a hash of fibre
 * and cell.
 */
const FIBRE_WEIGHT = Float32Array.from({ length: 256 }, (_, i) => 4 * ((i + 0.5) / 256) ** 3);
/** Lookup tables replace Math.exp in the pixel loop: profiles vs the fraction of the way to the cell edge. */
const PROFILE_STEPS = 256;
const PERINUCLEAR = Float32Array.from({ length: PROFILE_STEPS + 1 }, (_, i) => Math.exp((-2.5 * i) / PROFILE_STEPS));
const SPREAD = Float32Array.from({ length: PROFILE_STEPS + 1 }, (_, i) => Math.exp((-1.2 * i) / PROFILE_STEPS));
/** Nuclear envelope profile vs squared distance (pixels^2) from the nucleus edge, in steps of 1/16. */
const ENVELOPE = Float32Array.from({ length: 256 }, (_, i) => Math.exp(-0.5 * (i / 16)));

export function createCanvas(): Canvas {
  return {
    channels: Array.from({ length: CHANNEL_COUNT }, () => new Float32Array(PIXELS)),
    owner: new Int32Array(PIXELS),
    nearest: new Float32Array(PIXELS),
    second: new Float32Array(PIXELS),
  };
}

/** Row-major index of texture pixel (x + ox, y + oy), wrapping; an offset packs ox in its low 9 bits, oy above. */
function textureIndex(x: number, y: number, offset: number): number {
  return (((y + (offset >>> 9)) & TEXTURE_MASK) * TEXTURE_SIZE) | ((x + offset) & TEXTURE_MASK);
}

/** Territory semi-axes of a cell. */
function territoryAxes(cell: Cell, look: StainLook): { a: number; b: number } {
  const size = look.cellScale * cell.territory;
  const stretch = Math.sqrt(look.elongation);
  return { a: cell.a * size * stretch, b: (cell.b * size) / stretch };
}

/** Assigns every pixel to the cell whose scaled territory ellipse is nearest (and records the runner-up). */
function assignTerritories(cells: readonly Cell[], look: StainLook, canvas: Canvas): void {
  const { owner, nearest, second } = canvas;
  owner.fill(-1);
  nearest.fill(1);
  second.fill(1);
  for (let k = 0; k < cells.length; k++) {
    const { x, y, cos, sin } = cells[k];
    const { a, b } = territoryAxes(cells[k], look);
    const halfWidth = Math.sqrt((a * cos) ** 2 + (b * sin) ** 2);
    const halfHeight = Math.sqrt((a * sin) ** 2 + (b * cos) ** 2);
    const x0 = Math.max(0, Math.floor(x - halfWidth));
    const x1 = Math.min(SITE_SIZE - 1, Math.ceil(x + halfWidth));
    const y0 = Math.max(0, Math.floor(y - halfHeight));
    const y1 = Math.min(SITE_SIZE - 1, Math.ceil(y + halfHeight));
    const ca = cos / a;
    const sa = sin / a;
    const cb = cos / b;
    const sb = sin / b;
    for (let py = y0; py <= y1; py++) {
      const dy = py + 0.5 - y;
      for (let px = x0; px <= x1; px++) {
        const dx = px + 0.5 - x;
        const u = dx * ca + dy * sa;
        const v = dy * cb - dx * sb;
        const q = u * u + v * v;
        const i = py * SITE_SIZE + px;
        if (q < nearest[i]) {
          second[i] = nearest[i];
          nearest[i] = q;
          owner[i] = k;
        } else if (q < second[i]) {
          second[i] = q;
        }
      }
    }
  }
}

/** Adds a Gaussian spot of peak `amplitude` and radius (sigma) `radius` to one channel. */
function addSpot(channel: Float32Array, x: number, y: number, radius: number, amplitude: number): void {
  const reach = 3 * radius;
  const x0 = Math.max(0, Math.floor(x - reach));
  const x1 = Math.min(SITE_SIZE - 1, Math.ceil(x + reach));
  const y0 = Math.max(0, Math.floor(y - reach));
  const y1 = Math.min(SITE_SIZE - 1, Math.ceil(y + reach));
  const k = -0.5 / (radius * radius);
  for (let py = y0; py <= y1; py++) {
    const dy = py + 0.5 - y;
    for (let px = x0; px <= x1; px++) {
      const dx = px + 0.5 - x;
      channel[py * SITE_SIZE + px] += amplitude * Math.exp(k * (dx * dx + dy * dy));
    }
  }
}

/** Paints `cells` into `canvas.channels` (overwriting them). */
export function paintCells(
  cells: readonly Cell[],
  look: StainLook,
  textures: Textures,
  offsets: TextureOffsets,
  canvas: Canvas,
): void {
  assignTerritories(cells, look, canvas);
  const [hoechst, cona, phalloidin, syto, mito, wga] = canvas.channels;
  const { owner, nearest, second } = canvas;
  const { fine, medium, network } = textures;
  const [i1, i2, i3, i4, i5, i6] = look.intensity;
  // Texture contrast k per stain: value = mean * max(0, 1 + k * (texture - 1)).
  const chromatin = look.chromatin * look.texture[0];
  const reticulum = 0.7 * look.texture[1];
  const fibreContrast = Math.min(1, 0.8 * look.texture[2]);
  const granules = 0.5 * look.texture[3];
  const mitoContrast = 0.9 * look.texture[4];
  const golgiContrast = 0.6 * look.texture[5];
  const fibreLevel = look.fibres;
  // Per-cell values the pixel loop reads through the owner index.
  const n = cells.length;
  const centreX = new Float32Array(n);
  const centreY = new Float32Array(n);
  const cosA = new Float32Array(n);
  const sinA = new Float32Array(n);
  const cosB = new Float32Array(n);
  const sinB = new Float32Array(n);
  const minor = new Float32Array(n);
  const territoryMinor = new Float32Array(n);
  const cytoplasmReach = new Float32Array(n);
  const dna = new Float32Array(n);
  const stain = new Float32Array(n);
  const mitoLevel = new Float32Array(n);
  const fibreCos = new Float32Array(n);
  const fibreSin = new Float32Array(n);
  const fibrePhase = new Float32Array(n);
  cells.forEach((cell, k) => {
    centreX[k] = cell.x;
    centreY[k] = cell.y;
    cosA[k] = cell.cos / cell.a;
    sinA[k] = cell.sin / cell.a;
    cosB[k] = cell.cos / cell.b;
    sinB[k] = cell.sin / cell.b;
    minor[k] = cell.b;
    territoryMinor[k] = territoryAxes(cell, look).b;
    cytoplasmReach[k] = 1 / Math.max(0.5, look.cellScale * cell.territory - 1);
    dna[k] = cell.dna;
    stain[k] = cell.stain;
    mitoLevel[k] = cell.mito;
    fibreCos[k] = cell.fibreCos / FIBRE_PERIOD;
    fibreSin[k] = cell.fibreSin / FIBRE_PERIOD;
    fibrePhase[k] = cell.fibrePhase;
  });

  for (let y = 0; y < SITE_SIZE; y++) {
    for (let x = 0; x < SITE_SIZE; x++) {
      const i = y * SITE_SIZE + x;
      const k = owner[i];
      const d1 = Math.sqrt(nearest[i]);
      // Free cell edges follow the medium texture, so cells are not perfect ellipses.
      const ragged = d1 * (0.8 + 0.2 * medium[textureIndex(x, y, offsets.outline)]);
      if (k < 0 || ragged >= 1) {
        hoechst[i] = cona[i] = phalloidin[i] = syto[i] = mito[i] = wga[i] = 0;
        continue;
      }
      const d2 = Math.sqrt(second[i]);
      const dx = x + 0.5 - centreX[k];
      const dy = y + 0.5 - centreY[k];
      const u = dx * cosA[k] + dy * sinA[k];
      const v = dy * cosB[k] - dx * sinB[k];
      const tWave = medium[textureIndex(x, y, offsets.waviness)];
      const dn = Math.sqrt(u * u + v * v) * (0.97 + 0.03 * tWave); // < 1 inside the (slightly lobed) nucleus
      const b = minor[k];
      const nucleus = Math.min(1, Math.max(0, 0.5 + (1 - dn) * b)); // anti-aliased edge
      const edge = Math.min(0.5 * (d2 - d1), 1 - ragged) * territoryMinor[k]; // ~pixels to the cell boundary
      const membrane = Math.max(0, 1 - edge / MEMBRANE_WIDTH);
      const body = Math.min(1, edge / 2.5);
      const cytoplasm = (1 - nucleus) * body;
      const out = (Math.min(1, Math.max(0, (dn - 1) * cytoplasmReach[k])) * PROFILE_STEPS) | 0; // 0 at the nucleus, 256 at the cell edge
      const perinuclear = PERINUCLEAR[out];
      const spread = SPREAD[out];
      const rim = (dn - 1) * b;
      const envelope = ENVELOPE[Math.min(255, (16 * rim * rim) | 0)];
      const tChromatin = fine[textureIndex(x, y, offsets.chromatin)];
      const tRna = fine[textureIndex(x, y, offsets.rna)];
      const tEr = network[textureIndex(x, y, offsets.er)];
      const tMito = network[textureIndex(x, y, offsets.mito)] * tRna; // broken filaments and puncta
      const tPatch = medium[textureIndex(x, y, offsets.fibrePatches)];
      const s = stain[k];

      hoechst[i] = i1 * dna[k] * nucleus * Math.max(0, 1 + chromatin * (tChromatin - 1));
      cona[i] =
        i2 * s * (cytoplasm * perinuclear * Math.max(0, 1 + reticulum * (tEr - 1)) + 0.45 * envelope + 0.1 * nucleus);
      const phase = x * -fibreSin[k] + y * fibreCos[k] + fibrePhase[k] + 0.15 * tWave;
      const stripe = Math.floor(phase);
      const fibre =
        FIBRE_PROFILE[((phase - stripe) * 256) | 0] *
        FIBRE_WEIGHT[Math.imul(stripe ^ Math.imul(k, 0x9e3779b9), 0x85ebca6b) >>> 24] *
        tPatch;
      phalloidin[i] =
        i3 *
        s *
        (fibreLevel * body * (1 - 0.6 * nucleus) * Math.max(0, 1 + fibreContrast * (fibre - 1)) +
          0.8 * membrane +
          0.12 * cytoplasm);
      syto[i] =
        i4 *
        s *
        (0.5 * nucleus * Math.max(0, 1 + granules * (tRna - 1)) +
          0.3 * cytoplasm * spread * Math.max(0, 1 + 1.6 * granules * (tRna - 1)));
      mito[i] = i5 * mitoLevel[k] * cytoplasm * spread * Math.max(0, 1 + mitoContrast * (tMito - 1));
      wga[i] =
        i6 *
        s *
        (0.9 * membrane + 0.15 * cytoplasm * Math.max(0, 1 + 0.5 * golgiContrast * (tWave - 1)) + 0.12 * nucleus);
    }
  }

  for (const cell of cells) {
    const nucleolus = 1.4 * i4 * cell.stain * (1 + 0.5 * (look.texture[3] - 1));
    for (let j = 0; j < cell.nucleoli.length; j += 3)
      addSpot(syto, cell.nucleoli[j], cell.nucleoli[j + 1], cell.nucleoli[j + 2], nucleolus);
    const lobes = medium[textureIndex(Math.floor(cell.golgiX), Math.floor(cell.golgiY), offsets.waviness)];
    addSpot(
      wga,
      cell.golgiX,
      cell.golgiY,
      cell.golgiRadius,
      1.1 * i6 * cell.stain * Math.max(0.2, 1 + golgiContrast * (lobes - 1)),
    );
  }
}
