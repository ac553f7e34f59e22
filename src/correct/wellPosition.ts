/**
 * Well-position correction: the part of each feature that depends on where a well sits on its plate (evaporation
 * at the rims, illumination or temperature gradients across the plate), removed before batch correction.
 * - `well_mean`: JUMP-CP's `subtract_well_mean` (broadinstitute/jump-profiling-recipe, correct/corrections.py):
 *   each feature minus its mean over all wells at the same position (Metadata_well) of every plate, NaN skipped.
 *   Sound when treatments are randomized across positions; it also moves controls that always sit at one position
 *   (RxRx1's B02 negative control) onto the average well.
 * - `spatial` (plate rims and gradients): per plate, ordinary least squares of each feature on [1, u, v, rim] over
 *   the plate's treatment wells, u and v the well's column and row scaled to -1..1 and rim = exp(-distance to the
 *   plate edge in wells); the fitted u, v and rim terms are subtracted from every well of the plate (the intercept,
 *   the plate's level, is left to the batch correction). Treatments sit at randomized positions, so biology
 *   averages out of the fit; controls at fixed positions are corrected without being fitted on.
 * NaN stays NaN. Feature names are kept.
 */
import { spdPower, matrix } from '../numerics/index.js';
import { edgeDistance, PLATE_COLUMNS, PLATE_ROWS, wellPosition } from '../rxrx1/index.js';
import { META, type ProfileTable } from '../store/profiles.js';
import { groupRows } from './groups.js';
import { withFeatures } from './table.js';

export type WellPositionMethod = 'well_mean' | 'spatial';
export const WELL_POSITION_METHODS: readonly WellPositionMethod[] = ['well_mean', 'spatial'];
/** Treatment wells a plate needs for the 4-term spatial fit. */
const MIN_SPATIAL_ROWS = 8;

export function wellPositionProfiles(table: ProfileTable, method: WellPositionMethod): ProfileTable {
  const wells = table.metadata[META.well];
  if (!wells) throw new Error(`well-position correction (${method}) needs metadata column ${META.well}`);
  const columns = method === 'well_mean' ? subtractWellMean(table, wells.map(String)) : subtractSpatial(table);
  return withFeatures(table, [...table.features], columns);
}

function subtractWellMean(table: ProfileTable, wells: string[]): Float32Array[] {
  const index = new Map<string, number>();
  const position = Int32Array.from(wells, (w) => {
    if (!index.has(w)) index.set(w, index.size);
    return index.get(w)!;
  });
  const sums = new Float64Array(index.size);
  const counts = new Float64Array(index.size);
  return table.columns.map((column) => {
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < column.length; i++) {
      if (Number.isNaN(column[i])) continue;
      sums[position[i]] += column[i];
      counts[position[i]]++;
    }
    return Float32Array.from(column, (v, i) => v - sums[position[i]] / counts[position[i]]);
  });
}

/** The spatial terms [u, v, rim] of a well. */
function spatialTerms(well: string): [number, number, number] {
  const at = wellPosition(well);
  if (!at) throw new Error(`well-position correction: "${well}" is not a well of a 16 x 24 plate`);
  const u = (at.column - (PLATE_COLUMNS - 1) / 2) / ((PLATE_COLUMNS - 1) / 2);
  const v = (at.row - (PLATE_ROWS - 1) / 2) / ((PLATE_ROWS - 1) / 2);
  return [u, v, Math.exp(-edgeDistance(well))];
}

function subtractSpatial(table: ProfileTable): Float32Array[] {
  const wells = table.metadata[META.well]!.map(String);
  const wellType = table.metadata[META.wellType];
  const plates = groupRows(table, 'plate');
  const out = table.columns.map((column) => Float32Array.from(column));
  plates.members.forEach((rows, g) => {
    const terms = Array.from(rows, (i) => [1, ...spatialTerms(wells[i])]);
    const fit = Array.from(rows.keys()).filter((r) => !wellType || wellType[rows[r]] === 'treatment');
    if (fit.length < MIN_SPATIAL_ROWS)
      throw new Error(
        `well-position correction (spatial): plate "${plates.names[g]}" has ${fit.length} treatment wells, ` +
          `needs at least ${MIN_SPATIAL_ROWS}`,
      );
    table.columns.forEach((column, j) => {
      const usable = fit.filter((r) => !Number.isNaN(column[rows[r]]));
      const beta = leastSquares(
        usable.map((r) => terms[r]),
        usable.map((r) => column[rows[r]]),
      );
      rows.forEach((i, r) => {
        out[j][i] = column[i] - (beta[1] * terms[r][1] + beta[2] * terms[r][2] + beta[3] * terms[r][3]);
      });
    });
  });
  return out;
}

/** β minimizing ‖Dβ - y‖² through the normal equations (4 terms; numerics' SPD inverse). */
function leastSquares(design: number[][], y: number[]): number[] {
  const k = design[0].length;
  const gram = new Float64Array(k * k);
  const moment = new Float64Array(k);
  design.forEach((row, r) => {
    for (let a = 0; a < k; a++) {
      moment[a] += row[a] * y[r];
      for (let b = 0; b < k; b++) gram[a * k + b] += row[a] * row[b];
    }
  });
  const inverse = spdPower(matrix(gram, k, k), -1, 'well-position correction (spatial): the well layout').data;
  return Array.from({ length: k }, (_, a) => moment.reduce((s, m, b) => s + inverse[a * k + b] * m, 0));
}
