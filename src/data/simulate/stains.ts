/**
 * Paints the noiseless ("clean") six-channel image of a site's cells, one Float32Array per channel, as each
 * Cell Painting-style stain shows them (Bray et al. 2016, Nature Protocols 11:1757):
 *   w1 Hoechst      nuclei with chromatin texture, domed (brightest at the centre)
 *   w2 ConA         endoplasmic reticulum: a reticular network, densest around the nucleus, bright puncta
 *   w3 Phalloidin   actin: stress fibres (organelles.ts), the cortex along cell boundaries, a diffuse floor
 *   w4 Syto14       nucleoli (organelles.ts) in a granular nucleus, granular cytoplasmic RNA
 *   w5 MitoTracker  mitochondrial filaments and puncta, perinuclear, varying strongly from cell to cell
 *   w6 WGA          plasma membrane, Golgi puncta beside the nucleus, the nucleus itself, part of the cortex fibres
 * Every level comes from the cell type's calibrated ChannelModel (calibration.ts). Each cell owns a territory: an
 * ellipse around its nucleus (scaled by cellScale and elongation), split between neighbours by the smaller scaled
 * distance (a multiplicatively weighted Voronoi diagram, Aurenhammer 1991), so a dense field is a confluent
 * monolayer; membranes are drawn where the two nearest territories meet, and free cell edges are roughened with
 * noise. A shared thickness field modulates every stain of the cytoplasm together (taller parts of a cell hold more
 * of every dye), which gives real images' correlations between channels; out-of-focus light adds each stain's
 * background everywhere, and a ~100 px field makes the whole site uneven.
 */
import { CHANNEL_COUNT, SITE_SIZE } from '../../rxrx1/index.js';
import type { ChannelModel } from './calibration.js';
import type { Cell } from './cells.js';
import { TEXTURE_MASK, TEXTURE_SIZE, type Textures } from './textures.js';

/** The stains' look for one site: cell type model with the siRNA phenotype applied. */
export interface StainLook {
  /** w1..w6 (levels already scaled by the phenotype's intensity, texture by its texture change). */
  channels: readonly ChannelModel[];
  /** Cell territory size relative to the nucleus. */
  cellScale: number;
  /** Territory aspect ratio over the nucleus aspect ratio. */
  elongation: number;
  /** Stress fibres per 1000 px^2 of territory, their spread around the cell axis, their share in w6. */
  fibres: number;
  fibreSpread: number;
  fibreShareW6: number;
}

/** Where a site reads each texture (wrapping): one offset per use, so stains do not share patterns by accident. */
export interface TextureOffsets {
  chromatin: number;
  rna: number;
  mito: number;
  er: number;
  thickness: number;
  outline: number;
  ruffles: number;
  haze: number;
}

/** Working buffers of one worker, reused for every site. */
export interface Canvas {
  channels: Float32Array[];
  /** Index of the cell owning each pixel, -1 for background. */
  owner: Int32Array;
  /** Squared scaled distance to the owning cell and to the runner-up (1 = territory edge). */
  nearest: Float32Array;
  second: Float32Array;
  /** The stress fibres of the site (organelles.ts), before they are added to w3 and w6. */
  fibres: Float32Array;
}

const PIXELS = SITE_SIZE * SITE_SIZE;
/** Membrane half-width, pixels. */
const MEMBRANE_WIDTH = 1.5;
/** Contrast of the thickness field shared by the cytoplasmic stains. */
const THICKNESS = 0.3;
/** Falloff lookup tables: level vs the fraction of the way from the nucleus to the cell edge. */
const PROFILE_STEPS = 256;

export function createCanvas(): Canvas {
  return {
    channels: Array.from({ length: CHANNEL_COUNT }, () => new Float32Array(PIXELS)),
    owner: new Int32Array(PIXELS),
    nearest: new Float32Array(PIXELS),
    second: new Float32Array(PIXELS),
    fibres: new Float32Array(PIXELS),
  };
}

/** Row-major index of texture pixel (x + ox, y + oy), wrapping; an offset packs ox in its low 9 bits, oy above. */
export function textureIndex(x: number, y: number, offset: number): number {
  return (((y + (offset >>> 9)) & TEXTURE_MASK) * TEXTURE_SIZE) | ((x + offset) & TEXTURE_MASK);
}

/** Territory semi-axes of a cell. */
export function territoryAxes(cell: Cell, look: StainLook): { a: number; b: number } {
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

/** Per-cell values the pixel loop reads through the owner index (struct of arrays). */
interface CellTable {
  centreX: Float32Array;
  centreY: Float32Array;
  cosA: Float32Array;
  sinA: Float32Array;
  cosB: Float32Array;
  sinB: Float32Array;
  minor: Float32Array;
  territoryMinor: Float32Array;
  reach: Float32Array;
  /** cos/sin of the two outline harmonics' phases times their amplitudes. */
  l2c: Float32Array;
  l2s: Float32Array;
  l3c: Float32Array;
  l3s: Float32Array;
  /** n x 6 stain brightness. */
  gain: Float32Array;
}

function cellTable(cells: readonly Cell[], look: StainLook): CellTable {
  const n = cells.length;
  const f = () => new Float32Array(n);
  const t: CellTable = {
    centreX: f(),
    centreY: f(),
    cosA: f(),
    sinA: f(),
    cosB: f(),
    sinB: f(),
    minor: f(),
    territoryMinor: f(),
    reach: f(),
    l2c: f(),
    l2s: f(),
    l3c: f(),
    l3s: f(),
    gain: new Float32Array(n * CHANNEL_COUNT),
  };
  cells.forEach((cell, k) => {
    t.centreX[k] = cell.x;
    t.centreY[k] = cell.y;
    t.cosA[k] = cell.cos / cell.a;
    t.sinA[k] = cell.sin / cell.a;
    t.cosB[k] = cell.cos / cell.b;
    t.sinB[k] = cell.sin / cell.b;
    t.minor[k] = cell.b;
    t.territoryMinor[k] = territoryAxes(cell, look).b;
    t.reach[k] = 1 / Math.max(0.5, look.cellScale * cell.territory - 1);
    t.l2c[k] = cell.lobe2 * Math.cos(cell.phase2);
    t.l2s[k] = cell.lobe2 * Math.sin(cell.phase2);
    t.l3c[k] = cell.lobe3 * Math.cos(cell.phase3);
    t.l3s[k] = cell.lobe3 * Math.sin(cell.phase3);
    for (let c = 0; c < CHANNEL_COUNT; c++) t.gain[k * CHANNEL_COUNT + c] = cell.gain[c];
  });
  return t;
}

/** exp(-falloff * i / PROFILE_STEPS) for i = 0..PROFILE_STEPS, one table per channel. */
function falloffTables(channels: readonly ChannelModel[]): Float32Array[] {
  return channels.map((m) =>
    Float32Array.from({ length: PROFILE_STEPS + 1 }, (_, i) => Math.exp((-m.falloff * i) / PROFILE_STEPS)),
  );
}

/** 1 + k (t - 1), clipped at 0: a mean-1 texture t applied with contrast k. */
function contrast(t: number, k: number): number {
  return Math.max(0, 1 + k * (t - 1));
}

/**
 * Paints the cells' territories, nuclei and cytoplasm into `canvas.channels` (overwriting them), every stain in one
 * pass over the pixels. Pixels outside every cell get 0 and owner -1 (the background is added later, with the
 * fibres and puncta).
 */
export function paintCells(
  cells: readonly Cell[],
  look: StainLook,
  textures: Textures,
  o: TextureOffsets,
  canvas: Canvas,
): void {
  assignTerritories(cells, look, canvas);
  const [hoechst, cona, phalloidin, syto, mito, wga] = canvas.channels;
  const { owner, nearest, second } = canvas;
  const { fine, medium, network } = textures;
  const [m1, m2, m3, m4, m5, m6] = look.channels;
  const [f1, f2, f3, f4, f5, f6] = falloffTables(look.channels);
  const t = cellTable(cells, look);
  for (let y = 0; y < SITE_SIZE; y++) {
    for (let x = 0; x < SITE_SIZE; x++) {
      const i = y * SITE_SIZE + x;
      const k = owner[i];
      const d1 = Math.sqrt(nearest[i]);
      // Free cell edges follow the medium texture, so cells are not perfect ellipses.
      const ragged = d1 * (0.8 + 0.2 * medium[textureIndex(x, y, o.outline)]);
      if (k < 0 || ragged >= 1) {
        owner[i] = -1;
        hoechst[i] = cona[i] = phalloidin[i] = syto[i] = mito[i] = wga[i] = 0;
        continue;
      }
      const dx = x + 0.5 - t.centreX[k];
      const dy = y + 0.5 - t.centreY[k];
      const u = dx * t.cosA[k] + dy * t.sinA[k];
      const v = dy * t.cosB[k] - dx * t.sinB[k];
      const rho = Math.sqrt(u * u + v * v);
      let dn = rho;
      if (rho < 1.6 && rho > 1e-6) {
        // Outline harmonics from the direction's cosine and sine (no atan2): cos 2t, sin 2t, cos 3t, sin 3t.
        const c = u / rho;
        const s = v / rho;
        const c2 = c * c - s * s;
        const s2 = 2 * c * s;
        const c3 = c * (4 * c * c - 3);
        const s3 = s * (3 - 4 * s * s);
        dn = rho / (1 + t.l2c[k] * c2 - t.l2s[k] * s2 + t.l3c[k] * c3 - t.l3s[k] * s3);
      }
      const b = t.minor[k];
      const nucleus = Math.min(1, Math.max(0, 0.5 + (1 - dn) * b)); // anti-aliased edge
      const dome = nucleus * (1.25 - 0.5 * Math.min(1, dn * dn));
      const d2 = Math.sqrt(second[i]);
      const edge = Math.min(0.5 * (d2 - d1), 1 - ragged) * t.territoryMinor[k]; // ~pixels to the cell boundary
      const membrane = Math.max(0, 1 - edge / MEMBRANE_WIDTH);
      // Neighbours overlap a little at their boundary: the cytoplasm thins there but does not vanish.
      const cytoplasm = (1 - nucleus) * (0.55 + 0.45 * Math.min(1, edge / 2));
      const out = (Math.min(1, Math.max(0, (dn - 1) * t.reach[k])) * PROFILE_STEPS) | 0; // 0 at the nucleus, 256 at the edge
      const thick = contrast(medium[textureIndex(x, y, o.thickness)], THICKNESS);
      // Chromatin: ~2 px grains on ~6 px domains.
      const chromatin = 0.5 * (fine[textureIndex(x, y, o.chromatin)] + medium[textureIndex(x, y, o.chromatin)]);
      const rna = fine[textureIndex(x, y, o.rna)];
      const g = k * CHANNEL_COUNT;
      const cyto = cytoplasm * thick;
      const memb = membrane * thick;
      hoechst[i] = t.gain[g] * (m1.nucleus * dome * contrast(chromatin, m1.texture) + m1.cytoplasm * cyto * f1[out]);
      cona[i] =
        t.gain[g + 1] *
        (m2.nucleus * dome +
          m2.cytoplasm * cyto * f2[out] * contrast(network[textureIndex(x, y, o.er)], m2.texture) +
          m2.membrane * memb);
      phalloidin[i] = t.gain[g + 2] * (m3.nucleus * dome + m3.cytoplasm * cyto * f3[out] + m3.membrane * memb);
      syto[i] =
        t.gain[g + 3] *
        (m4.nucleus * dome * contrast(chromatin, 0.5 * m4.texture) +
          m4.cytoplasm * cyto * f4[out] * contrast(rna, m4.texture));
      mito[i] =
        t.gain[g + 4] *
        (m5.nucleus * dome +
          // Read at twice the network's frequency: mitochondria are finer threads than the ER's sheets.
          m5.cytoplasm * cyto * f5[out] * contrast(network[textureIndex(2 * x, 2 * y, o.mito)] * rna, m5.texture));
      wga[i] =
        t.gain[g + 5] *
        (m6.nucleus * dome * contrast(chromatin, 0.5 * m6.texture) +
          m6.cytoplasm * cyto * f6[out] * contrast(medium[textureIndex(x, y, o.ruffles)], m6.texture) +
          m6.membrane * memb);
    }
  }
}

/**
 * Adds the stains' backgrounds (everywhere: out-of-focus light) and the field's unevenness, which scales cells and
 * background alike.
 */
export function addBackground(look: StainLook, textures: Textures, offsets: TextureOffsets, canvas: Canvas): void {
  const { coarse } = textures;
  canvas.channels.forEach((channel, c) => {
    const { background, unevenness } = look.channels[c];
    // Each stain reads its own part of the field.
    const offset = (offsets.haze + ((c * 97) << 9)) >>> 0;
    const ox = offset & TEXTURE_MASK;
    for (let y = 0; y < SITE_SIZE; y++) {
      const row = ((y + (offset >>> 9)) & TEXTURE_MASK) * TEXTURE_SIZE;
      const i0 = y * SITE_SIZE;
      for (let x = 0; x < SITE_SIZE; x++) {
        const gain = 1 + unevenness * (coarse[row + ((x + ox) & TEXTURE_MASK)] - 1);
        channel[i0 + x] = (channel[i0 + x] + background) * Math.max(0.05, gain);
      }
    }
  });
}
