/** The features tests' inputs: real RxRx1 sites, committed label images and scikit-image parity values. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeGray8 } from '../../src/codec/png.js';
import { loadSite } from '../../src/image/site.js';
import { FIXTURES, readFixture, SHARED_RXRX1 } from '../helpers.js';

export const SIZE = 512;
export const CELL_TYPES = ['HEPG2', 'HUVEC', 'RPE', 'U2OS'] as const;

export function realSite(cellType: string): Promise<Uint8Array> {
  return loadSite(path.join(SHARED_RXRX1, 'images'), {
    dataset: 'train',
    experiment: `${cellType}-01`,
    plate: 1,
    well: 'B02',
    site: 1,
  });
}

/** Label image stored by scripts/fixtures/features_parity.py: low byte in rows 0..511, high byte below. */
export function fixtureLabels(name: string): { labels: Int32Array; count: number } {
  const { pixels } = decodeGray8(fs.readFileSync(path.join(FIXTURES, name)), { width: SIZE, height: 2 * SIZE });
  const labels = new Int32Array(SIZE * SIZE);
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    labels[i] = pixels[i] | (pixels[i + SIZE * SIZE] << 8);
    if (labels[i] > count) count = labels[i];
  }
  return { labels, count };
}

export function assertClose(actual: number, expected: number, relative: number, what: string): void {
  const scale = Math.max(Math.abs(expected), 1e-12);
  assert.ok(
    Math.abs(actual - expected) <= relative * scale,
    `${what}: ${actual} vs expected ${expected} (relative tolerance ${relative})`,
  );
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ParityObject {
  area: number;
  perimeter: number;
  eccentricity: number;
  solidity: number;
  extent: number;
  major_axis_length: number;
  minor_axis_length: number;
  orientation: number;
  mean: number[];
  std: number[];
  integrated: number[];
  min: number[];
  max: number[];
}
export interface ParitySite {
  threshold: { otsu: number; li: number };
  count: { nuclei: number; cells: number };
  nuclei: Record<string, ParityObject>;
  cells: Record<string, ParityObject>;
  colocalization: Record<string, { Correlation: number; M1: number; M2: number }>;
  texture: Record<string, Record<string, number>>;
}
export const parity = readFixture<{ sites: Record<string, ParitySite> }>('features-parity.json').sites;
