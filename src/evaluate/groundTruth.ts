/**
 * Scoring against a simulator's ground truth: how well the recovered map of siRNAs matches the true one.
 *
 * Ground-truth file (ground_truth.json of a simulated dataset, written by src/data/simulate), read
 * defensively; only the siRNA entries are used. Accepted shapes:
 *   - the simulator's file: an object whose `sirnas` is an object keyed by sirna id (SirnaTruth values);
 *   - an object with an array of entries under `sirnas` (or `siRNAs`, `truth`), or that object keyed by id
 *     instead, or a bare array of entries, or a bare object keyed by sirna id;
 *   - an entry has `sirnaId` (or `sirna_id`, or the key), `hasEffect` (or `has_effect`, boolean), and
 *     `phenotype`: either a number[] or the simulator's Phenotype object {cellCount, nucleusSize, eccentricity,
 *     intensity: number[], texture: number[]}, flattened in that order (cellCount, nucleusSize, eccentricity,
 *     intensity w1..w6, texture w1..w6). `wellType`/`well_type`, when present, keeps only 'treatment' entries;
 *     otherwise ids >= 1108 (controls) are dropped.
 * Entries lacking a usable id, hasEffect or phenotype are skipped; a file with no usable entry is an error.
 */
import fs from 'node:fs';
import { fromRows, type Matrix, rowDistance, spearman } from '../numerics/index.js';
import { FIRST_POSITIVE_CONTROL } from '../rxrx1/index.js';

/** True phenotype of one treatment siRNA. */
export interface SirnaGroundTruth {
  phenotype: number[];
  hasEffect: boolean;
}

/** sirna id -> its ground truth (treatment siRNAs only). */
export type GroundTruth = Map<number, SirnaGroundTruth>;

function phenotypeVector(value: unknown): number[] | null {
  if (Array.isArray(value))
    return value.every((v) => typeof v === 'number' && Number.isFinite(v)) ? (value as number[]) : null;
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Record<string, unknown>;
  const scalars = ['cellCount', 'nucleusSize', 'eccentricity'].map((k) => o[k]);
  const arrays = ['intensity', 'texture'].map((k) => o[k]);
  if (
    !scalars.every((v) => typeof v === 'number') ||
    !arrays.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'))
  )
    return null;
  return [...(scalars as number[]), ...(arrays[0] as number[]), ...(arrays[1] as number[])];
}

/** Builds a GroundTruth from parsed JSON (see the module comment for the accepted shapes). */
export function parseGroundTruth(json: unknown, source = 'ground truth'): GroundTruth {
  let entries: [string | null, unknown][];
  if (Array.isArray(json)) entries = json.map((e) => [null, e]);
  else if (typeof json === 'object' && json !== null) {
    const o = json as Record<string, unknown>;
    const list = o.sirnas ?? o.siRNAs ?? o.truth;
    if (Array.isArray(list)) entries = list.map((e) => [null, e]);
    else if (typeof list === 'object' && list !== null) entries = Object.entries(list);
    else entries = Object.entries(o);
  } else throw new Error(`${source}: expected an array of siRNA entries or an object, got ${typeof json}`);
  const truth: GroundTruth = new Map();
  let dimension = -1;
  for (const [key, raw] of entries) {
    if (typeof raw !== 'object' || raw === null) continue;
    const e = raw as Record<string, unknown>;
    const id = Number(e.sirnaId ?? e.sirna_id ?? key);
    const hasEffect = e.hasEffect ?? e.has_effect;
    const phenotype = phenotypeVector(e.phenotype);
    if (!Number.isInteger(id) || typeof hasEffect !== 'boolean' || !phenotype) continue;
    const wellType = e.wellType ?? e.well_type;
    if (typeof wellType === 'string' ? wellType !== 'treatment' : id >= FIRST_POSITIVE_CONTROL) continue;
    if (dimension < 0) dimension = phenotype.length;
    if (phenotype.length !== dimension)
      throw new Error(`${source}: siRNA ${id} has a phenotype of length ${phenotype.length}, others ${dimension}`);
    truth.set(id, { phenotype, hasEffect });
  }
  if (truth.size === 0)
    throw new Error(
      `${source}: no usable treatment siRNA entry (each needs sirnaId, hasEffect: boolean, ` +
        'phenotype: number[] or {cellCount, nucleusSize, eccentricity, intensity[], texture[]})',
    );
  return truth;
}

/** Reads and parses a ground-truth JSON file. */
export function readGroundTruth(file: string): GroundTruth {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read ground truth (${(error as Error).message})`);
  }
  return parseGroundTruth(json, file);
}

/**
 * Spearman correlation between recovered and true siRNA distances, over all pairs of siRNAs present in both:
 * recovered distance = Euclidean distance between the siRNAs' mean profiles (`means`, one row of p values per
 * entry of `sirnaIds`); true distance = Euclidean distance between their phenotype vectors. NaN with < 3 siRNAs.
 */
export function distanceRankCorrelation(means: Matrix, sirnaIds: number[], truth: GroundTruth): number {
  const rows = sirnaIds.map((id, r) => [id, r] as const).filter(([id]) => truth.has(id));
  if (rows.length < 3) return NaN;
  const phenotypes = fromRows(rows.map(([id]) => truth.get(id)!.phenotype));
  const pairs = (rows.length * (rows.length - 1)) / 2;
  const recovered = new Float64Array(pairs);
  const expected = new Float64Array(pairs);
  let t = 0;
  for (let a = 0; a < rows.length; a++) {
    for (let b = a + 1; b < rows.length; b++) {
      recovered[t] = rowDistance(means, rows[a][1], means, rows[b][1], 'euclidean');
      expected[t++] = rowDistance(phenotypes, a, phenotypes, b, 'euclidean');
    }
  }
  return spearman(recovered, expected);
}

/**
 * Fraction of true-effect siRNAs (present in `qValues`) whose activity q-value is below `threshold` (NaN when none).
 */
export function fractionDetected(qValues: Map<number, number>, truth: GroundTruth, threshold = 0.05): number {
  let effect = 0;
  let detected = 0;
  for (const [id, entry] of truth) {
    if (!entry.hasEffect || !qValues.has(id)) continue;
    effect++;
    if (qValues.get(id)! < threshold) detected++;
  }
  return effect > 0 ? detected / effect : NaN;
}
