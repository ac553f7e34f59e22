/**
 * Where the cells of one site are and what each looks like. Nuclei are placed by random sequential adsorption
 * (Feder 1980): candidates are dropped at random and kept when they clear every kept nucleus along the line between
 * their centres (by each ellipse's radius in that direction plus a gap), so nuclei may touch but barely overlap and a
 * segmentation can count them. Holes in the monolayer come from thinning candidates with a coarse noise field.
 * Nucleus sizes and aspect ratios are log-normal around the cell type's calibrated medians; outlines carry 2- and
 * 3-fold harmonics (kidney and lobed shapes); each cell draws its brightness in every stain, partly shared between
 * stains (bigger, flatter cells take up more of every dye) and partly its own.
 */
import { CHANNEL_COUNT, SITE_SIZE } from '../../rxrx1/index.js';
import type { Rng } from '../../util/random.js';
import { TEXTURE_MASK, TEXTURE_SIZE } from './textures.js';

/** One cell: nucleus ellipse and outline, territory, and per-cell stain brightness. Lengths in pixels. */
export interface Cell {
  x: number;
  y: number;
  /** Nucleus semi-axes, a >= b. */
  a: number;
  b: number;
  /** Orientation of the major axis. */
  cos: number;
  sin: number;
  /** Outline harmonics: radius(theta) = 1 + lobe2 cos(2 theta + phase2) + lobe3 cos(3 theta + phase3). */
  lobe2: number;
  phase2: number;
  lobe3: number;
  phase3: number;
  /** This cell's territory size relative to the cell type's (cell-to-cell size variation). */
  territory: number;
  /** Dividing cell: a small, bright, condensed nucleus without nucleoli. */
  mitotic: boolean;
  /** Brightness of each stain w1..w6 in this cell (w1: DNA content; G2 and mitotic nuclei are brighter). */
  gain: number[];
}

/** Cell geometry of one site after cell type, phenotype and well effects. */
export interface PlacementParams {
  /** Mean nuclei per site (each site draws its own count; fewer are kept when they do not fit). */
  count: number;
  /** Median nucleus radius sqrt(a b) and the log standard deviation around it. */
  nucleusRadius: number;
  nucleusSizeSd: number;
  /** Median aspect ratio a/b and the log standard deviation around it. */
  aspect: number;
  aspectSd: number;
  lobes: number;
  /** 0..1: how strongly the coarse field thins cells into colonies. */
  holes: number;
  /** 0..1: how closely cells follow the coarse field's orientation (streams of aligned cells). */
  alignment: number;
  /** log standard deviation of each stain's per-cell brightness, w1..w6. */
  cellSd: readonly number[];
}

/** Pixels left between two nuclei along the line joining their centres. */
const GAP = 1;
const ATTEMPTS_PER_CELL = 40;
const SITE_DENSITY_SD = 0.1;
const MITOTIC_FRACTION = 0.03;
/** Correlation of a cell's brightness between stains (its shared part). */
const SHARED_BRIGHTNESS = 0.6;
const BUCKET = 32;
const BUCKETS = SITE_SIZE / BUCKET;

function drawCell(params: PlacementParams, rng: Rng, x: number, y: number, fieldAngle: number): Cell {
  const mitotic = rng.next() < MITOTIC_FRACTION;
  const radius = params.nucleusRadius * Math.exp(params.nucleusSizeSd * rng.normal()) * (mitotic ? 0.65 : 1);
  const aspect = Math.exp(Math.abs(Math.log(params.aspect) + params.aspectSd * rng.normal()));
  const angle = fieldAngle + (1 - params.alignment) * Math.PI * (rng.next() - 0.5);
  const shared = rng.normal();
  const gain = params.cellSd.map((sd) => {
    const own = SHARED_BRIGHTNESS * shared + Math.sqrt(1 - SHARED_BRIGHTNESS ** 2) * rng.normal();
    return Math.exp(sd * own - 0.5 * sd * sd);
  });
  if (mitotic) gain[0] *= 1.8;
  return {
    x,
    y,
    a: radius * Math.sqrt(aspect),
    b: radius / Math.sqrt(aspect),
    cos: Math.cos(angle),
    sin: Math.sin(angle),
    lobe2: params.lobes * rng.next(),
    phase2: rng.next() * 2 * Math.PI,
    lobe3: 0.6 * params.lobes * rng.next(),
    phase3: rng.next() * 2 * Math.PI,
    territory: Math.exp(0.12 * rng.normal()),
    mitotic,
    gain,
  };
}

/** Places the nuclei of one site; `coarse` (mean-1 texture read at `offset`) decides where the holes are. */
export function placeCells(
  params: PlacementParams,
  rng: Rng,
  coarse: Float32Array,
  offset: { x: number; y: number },
): Cell[] {
  if (params.cellSd.length !== CHANNEL_COUNT) throw new Error(`placeCells: cellSd needs ${CHANNEL_COUNT} values`);
  const cells: Cell[] = [];
  const buckets: number[][] = Array.from({ length: BUCKETS * BUCKETS }, () => []);
  let largest = 0;
  // Local density varies from field to field more than Poisson would (overdispersion).
  const count = Math.round(params.count * Math.exp(SITE_DENSITY_SD * rng.normal()));
  for (let attempt = 0; attempt < count * ATTEMPTS_PER_CELL && cells.length < count; attempt++) {
    const x = rng.next() * SITE_SIZE;
    const y = rng.next() * SITE_SIZE;
    const at = (dx: number) =>
      coarse[
        ((Math.floor(y) + offset.y) & TEXTURE_MASK) * TEXTURE_SIZE + ((Math.floor(x) + offset.x + dx) & TEXTURE_MASK)
      ];
    const keep = 1 - params.holes * (1 - Math.min(1, 0.5 * at(0))) ** 2;
    if (rng.next() >= keep) continue;
    // Orientation from another part of the coarse field: smooth, so neighbours point alike.
    const cell = drawCell(params, rng, x, y, Math.PI * at(TEXTURE_SIZE / 2));
    if (overlaps(cells, buckets, cell, largest)) continue;
    largest = Math.max(largest, cell.a);
    buckets[Math.floor(y / BUCKET) * BUCKETS + Math.floor(x / BUCKET)].push(cells.length);
    cells.push(cell);
  }
  return cells;
}

type Ellipse = Pick<Cell, 'x' | 'y' | 'a' | 'b' | 'cos' | 'sin'>;

/** Distance from an ellipse's centre to its boundary in direction (dx, dy) / length. */
function radiusToward(e: Ellipse, dx: number, dy: number, length: number): number {
  const along = (dx * e.cos + dy * e.sin) / length;
  const across = (dy * e.cos - dx * e.sin) / length;
  return (e.a * e.b) / Math.sqrt((e.b * along) ** 2 + (e.a * across) ** 2);
}

function overlaps(cells: readonly Cell[], buckets: number[][], candidate: Ellipse, largest: number): boolean {
  const { x, y, a } = candidate;
  const span = Math.ceil((a + largest + GAP) / BUCKET);
  const bx = Math.floor(x / BUCKET);
  const by = Math.floor(y / BUCKET);
  for (let j = Math.max(0, by - span); j <= Math.min(BUCKETS - 1, by + span); j++) {
    for (let i = Math.max(0, bx - span); i <= Math.min(BUCKETS - 1, bx + span); i++) {
      for (const index of buckets[j * BUCKETS + i]) {
        const other = cells[index];
        const dx = other.x - x;
        const dy = other.y - y;
        const distance = Math.hypot(dx, dy);
        if (distance >= a + other.a + GAP) continue;
        if (
          distance < 1e-6 ||
          distance < radiusToward(candidate, dx, dy, distance) + radiusToward(other, dx, dy, distance) + GAP
        )
          return true;
      }
    }
  }
  return false;
}
