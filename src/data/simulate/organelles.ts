/**
 * The small bright structures drawn on top of the stains' pixel pass (stains.ts): nucleoli (w4) inside the nucleus;
 * puncta around it (ER exit sites and bright vesicles in w2, actin foci in w3, mitochondrial clusters in w5, the Golgi
 * in w6, clustered on one side of the nucleus); and stress fibres (w3, part of them in w6): straight bundles running
 * roughly along the cell's long axis (Tojkander et al. 2012, J Cell Sci 125:1855), each of its own length and
 * brightness, ending at the cell's edge. Counts, levels and spreads come from the cell type's ChannelModel.
 */
import { CHANNEL_COUNT, SITE_SIZE } from '../../rxrx1/index.js';
import type { Rng } from '../../util/random.js';
import type { Cell } from './cells.js';
import { type Canvas, type StainLook, territoryAxes } from './stains.js';

/** Row weights of the spot being drawn (a spot spans at most 5 sigma + 2 pixels; sigma stays far below 50). */
const SPOT_WEIGHTS = new Float64Array(256);
/** Step along a fibre between deposits, pixels. */
const FIBRE_STEP = 0.7;
/** Fibres over the nucleus are dimmer (they run beneath it). */
const OVER_NUCLEUS = 0.5;

/** A count with mean `rate`: rounded up or down at random (cheaper than Poisson, and as good for puncta). */
function countOf(rate: number, rng: Rng): number {
  const scaled = rate * Math.exp(0.4 * rng.normal() - 0.08);
  return Math.floor(scaled + rng.next());
}

/** Adds a Gaussian spot of peak `amplitude` and radius (sigma) `radius` to one channel (separable: 2n exps, not n^2). */
export function addSpot(channel: Float32Array, x: number, y: number, radius: number, amplitude: number): void {
  const reach = 2.5 * radius;
  const x0 = Math.max(0, Math.floor(x - reach));
  const x1 = Math.min(SITE_SIZE - 1, Math.ceil(x + reach));
  const y0 = Math.max(0, Math.floor(y - reach));
  const y1 = Math.min(SITE_SIZE - 1, Math.ceil(y + reach));
  if (x1 < x0 || y1 < y0) return;
  const k = -0.5 / (radius * radius);
  const across = SPOT_WEIGHTS.subarray(0, x1 - x0 + 1);
  for (let px = x0; px <= x1; px++) across[px - x0] = amplitude * Math.exp(k * (px + 0.5 - x) ** 2);
  for (let py = y0; py <= y1; py++) {
    const down = Math.exp(k * (py + 0.5 - y) ** 2);
    const row = py * SITE_SIZE;
    for (let px = x0; px <= x1; px++) channel[row + px] += down * across[px - x0];
  }
}

/** Nucleoli: 1..n spots in the inner part of each interphase nucleus. */
function addNucleoli(cell: Cell, look: StainLook, rng: Rng, syto: Float32Array): void {
  const m = look.channels[3];
  if (cell.mitotic || m.spots === 0) return;
  const count = Math.max(1, countOf(m.spotRate, rng));
  const radius = Math.sqrt(cell.a * cell.b);
  for (let j = 0; j < count; j++) {
    const r = 0.55 * Math.sqrt(rng.next());
    const angle = rng.next() * 2 * Math.PI;
    const u = r * cell.a * Math.cos(angle);
    const v = r * cell.b * Math.sin(angle);
    const amplitude = m.spots * m.nucleus * cell.gain[3] * Math.exp(0.3 * rng.normal());
    addSpot(
      syto,
      cell.x + u * cell.cos - v * cell.sin,
      cell.y + u * cell.sin + v * cell.cos,
      (0.08 + 0.07 * rng.next()) * radius,
      amplitude,
    );
  }
}

/** Puncta of w2, w3, w5 and w6 in the cytoplasm near the nucleus (w6's gathered on one side: the Golgi). */
function addPuncta(cell: Cell, look: StainLook, rng: Rng, channels: Float32Array[]): void {
  const golgiAngle = rng.next() * 2 * Math.PI;
  for (const c of [1, 2, 4, 5]) {
    const m = look.channels[c];
    if (m.spots === 0) continue;
    const count = countOf(m.spotRate, rng);
    for (let j = 0; j < count; j++) {
      const angle = c === 5 ? golgiAngle + 0.7 * rng.normal() : rng.next() * 2 * Math.PI;
      const reach = 1.1 + 0.9 * rng.next() ** 2;
      const u = reach * cell.a * Math.cos(angle);
      const v = reach * cell.b * Math.sin(angle);
      addSpot(
        channels[c],
        cell.x + u * cell.cos - v * cell.sin,
        cell.y + u * cell.sin + v * cell.cos,
        0.8 + 1.2 * rng.next(),
        m.spots * m.cytoplasm * cell.gain[c] * Math.exp(0.5 * rng.normal()),
      );
    }
  }
}

/** Bilinear deposit of `amount` at (x, y). */
function deposit(buffer: Float32Array, x: number, y: number, amount: number): void {
  const x0 = Math.floor(x - 0.5);
  const y0 = Math.floor(y - 0.5);
  if (x0 < 0 || y0 < 0 || x0 >= SITE_SIZE - 1 || y0 >= SITE_SIZE - 1) return;
  const fx = x - 0.5 - x0;
  const fy = y - 0.5 - y0;
  const i = y0 * SITE_SIZE + x0;
  buffer[i] += amount * (1 - fx) * (1 - fy);
  buffer[i + 1] += amount * fx * (1 - fy);
  buffer[i + SITE_SIZE] += amount * (1 - fx) * fy;
  buffer[i + SITE_SIZE + 1] += amount * fx * fy;
}

/** Draws cell k's stress fibres into `canvas.fibres` (over cells only: neighbours' fibres line up across them). */
function addFibres(cell: Cell, look: StainLook, rng: Rng, canvas: Canvas): void {
  const m = look.channels[2];
  const { a, b } = territoryAxes(cell, look);
  const count = countOf((look.fibres * Math.PI * a * b) / 1000, rng);
  const { owner, fibres } = canvas;
  for (let j = 0; j < count; j++) {
    const angle = Math.atan2(cell.sin, cell.cos) + look.fibreSpread * rng.normal();
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    // A random point of the territory, and a length reaching part or all of the way across it.
    const r = Math.sqrt(rng.next());
    const t = rng.next() * 2 * Math.PI;
    const u = r * a * Math.cos(t);
    const v = r * b * Math.sin(t);
    const cx = cell.x + u * cell.cos - v * cell.sin;
    const cy = cell.y + u * cell.sin + v * cell.cos;
    const half = (0.4 + 0.8 * rng.next()) * Math.sqrt(a * b);
    const amount = FIBRE_STEP * m.texture * m.cytoplasm * cell.gain[2] * Math.exp(0.6 * rng.normal() - 0.18);
    for (let s = -half; s <= half; s += FIBRE_STEP) {
      const x = cx + s * cos;
      const y = cy + s * sin;
      if (x < 0 || y < 0 || x >= SITE_SIZE || y >= SITE_SIZE) continue;
      const i = Math.floor(y) * SITE_SIZE + Math.floor(x);
      if (owner[i] < 0) continue;
      const dx = x - cell.x;
      const dy = y - cell.y;
      const pu = (dx * cell.cos + dy * cell.sin) / cell.a;
      const pv = (dy * cell.cos - dx * cell.sin) / cell.b;
      deposit(fibres, x, y, pu * pu + pv * pv < 1 ? OVER_NUCLEUS * amount : amount);
    }
  }
}

/** Draws every cell's nucleoli, puncta and fibres, and adds the fibres to w3 and (their share) to w6. */
export function paintOrganelles(cells: readonly Cell[], look: StainLook, rng: Rng, canvas: Canvas): void {
  const { channels, fibres } = canvas;
  if (channels.length !== CHANNEL_COUNT) throw new Error(`paintOrganelles: expected ${CHANNEL_COUNT} channels`);
  fibres.fill(0);
  cells.forEach((cell) => {
    addNucleoli(cell, look, rng, channels[3]);
    addPuncta(cell, look, rng, channels);
    if (look.fibres > 0) addFibres(cell, look, rng, canvas);
  });
  const share = (look.fibreShareW6 * look.channels[5].cytoplasm) / Math.max(1e-9, look.channels[2].cytoplasm);
  const [, , phalloidin, , , wga] = channels;
  for (let i = 0; i < fibres.length; i++) {
    const f = fibres[i];
    if (f === 0) continue;
    phalloidin[i] += f;
    wga[i] += share * f;
  }
}
