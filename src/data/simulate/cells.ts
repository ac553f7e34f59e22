/**
 * Where the cells of one site are and what each looks like. Nuclei are placed by random sequential
 * adsorption (Feder 1980): candidates are dropped at random and kept when they clear every kept nucleus
 * along the line between their centres (by each ellipse's radius in that direction plus a gap), so nuclei
 * may touch but barely overlap and a segmentation can count them. Colonies come from thinning candidates
 * with a coarse noise field.
 */
import { SITE_SIZE } from '../../rxrx1/index.js';
import type { Rng } from '../../util/random.js';
import { TEXTURE_MASK, TEXTURE_SIZE } from './textures.js';

/** One cell: nucleus ellipse, territory, and per-cell stain variation. Lengths in pixels. */
export interface Cell {
  x: number;
  y: number;
  /** Nucleus semi-axes, a >= b. */
  a: number;
  b: number;
  /** Orientation of the major axis. */
  cos: number;
  sin: number;
  /** This cell's territory size relative to the cell type's (cell-to-cell size variation). */
  territory: number;
  /** Hoechst brightness (DNA content: G2 and mitotic nuclei are brighter). */
  dna: number;
  /** Brightness of the cytoplasmic stains (cell-to-cell variation). */
  stain: number;
  /** MitoTracker brightness (varies more: membrane potential differs between cells). */
  mito: number;
  /** Stress fibre direction (unit vector) and phase. */
  fibreCos: number;
  fibreSin: number;
  fibrePhase: number;
  /** Golgi centre and radius. */
  golgiX: number;
  golgiY: number;
  golgiRadius: number;
  /** Nucleoli as flat (x, y, radius) triples. */
  nucleoli: number[];
}

/** Cell geometry of one site after cell type, phenotype and well effects. */
export interface PlacementParams {
  /** Mean nuclei per site (each site draws its own count; fewer are kept when they do not fit). */
  count: number;
  nucleusRadius: number;
  aspect: number;
  /** 0..1 colony clumping. */
  clumping: number;
}

/** Pixels left between two nuclei along the line joining their centres. */
const GAP = 2;
const ATTEMPTS_PER_CELL = 40;
const SITE_DENSITY_SD = 0.12;
const MITOTIC_FRACTION = 0.04;
const BUCKET = 32;
const BUCKETS = SITE_SIZE / BUCKET;

/** Places the nuclei of one site; `coarse` (mean-1 texture read at `offset`) decides where colonies grow. */
export function placeCells(
  params: PlacementParams,
  rng: Rng,
  coarse: Float32Array,
  offset: { x: number; y: number },
): Cell[] {
  const cells: Cell[] = [];
  const buckets: number[][] = Array.from({ length: BUCKETS * BUCKETS }, () => []);
  let largest = 0;
  const logAspect = Math.log(params.aspect);
  // Local density varies from field to field more than Poisson would (overdispersion).
  const count = Math.round(params.count * Math.exp(SITE_DENSITY_SD * rng.normal()));
  for (let attempt = 0; attempt < count * ATTEMPTS_PER_CELL && cells.length < count; attempt++) {
    const x = rng.next() * SITE_SIZE;
    const y = rng.next() * SITE_SIZE;
    const field = Math.min(
      1,
      0.5 *
        coarse[
          ((Math.floor(y) + offset.y) & TEXTURE_MASK) * TEXTURE_SIZE + ((Math.floor(x) + offset.x) & TEXTURE_MASK)
        ],
    );
    const keep = 1 - params.clumping * (1 - field) ** 2;
    if (rng.next() >= keep) continue;
    const mitotic = rng.next() < MITOTIC_FRACTION;
    const radius = params.nucleusRadius * Math.exp(0.12 * rng.normal()) * (mitotic ? 0.7 : 1);
    const aspect = Math.exp(Math.abs(logAspect + 0.15 * rng.normal()));
    const a = radius * Math.sqrt(aspect);
    const b = radius / Math.sqrt(aspect);
    const angle = rng.next() * Math.PI;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    if (overlaps(cells, buckets, { x, y, a, b, cos, sin }, largest)) continue;
    largest = Math.max(largest, a);
    const fibreAngle = angle + 0.3 * rng.normal();
    const golgiAngle = rng.next() * 2 * Math.PI;
    const golgiDistance = 1.15 * radius;
    const nucleoli: number[] = [];
    const nucleolusCount = mitotic ? 0 : 1 + rng.int(3);
    for (let i = 0; i < nucleolusCount; i++) {
      // Uniform in the inner 55% of the nucleus ellipse, rotated with it.
      const r = 0.55 * Math.sqrt(rng.next());
      const t = rng.next() * 2 * Math.PI;
      const u = r * a * Math.cos(t);
      const v = r * b * Math.sin(t);
      nucleoli.push(x + u * cos - v * sin, y + u * sin + v * cos, (0.1 + 0.08 * rng.next()) * radius);
    }
    const cell: Cell = {
      x,
      y,
      a,
      b,
      cos,
      sin,
      territory: Math.exp(0.12 * rng.normal()),
      dna: Math.exp(0.15 * rng.normal()) * (mitotic ? 1.8 : 1),
      stain: Math.exp(0.2 * rng.normal()),
      mito: Math.exp(0.35 * rng.normal()),
      fibreCos: Math.cos(fibreAngle),
      fibreSin: Math.sin(fibreAngle),
      fibrePhase: rng.next(),
      golgiX: x + golgiDistance * Math.cos(golgiAngle),
      golgiY: y + golgiDistance * Math.sin(golgiAngle),
      golgiRadius: 0.55 * radius,
      nucleoli,
    };
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
