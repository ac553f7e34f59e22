/**
 * Site rows to well rows. Evaluation works at the well level (as the RxRx1 competition scored wells): the
 * profile of a well is the mean of its sites' features.
 */
import { META, type MetadataValue, type ProfileTable } from './profiles.js';

/** Metadata columns that describe one site and so are dropped when sites are averaged into a well. */
const SITE_COLUMNS = new Set<string>([META.site, META.siteId]);

/** The well key of row `i`: Metadata_well_id when present, else `{experiment}_{plate}_{well}`. */
function wellKeys(table: ProfileTable): string[] {
  const ids = table.metadata[META.wellId];
  const experiment = table.metadata[META.experiment];
  const plate = table.metadata[META.plate];
  const well = table.metadata[META.well];
  return Array.from({ length: table.rows }, (_, i) => {
    if (ids && ids[i] !== null && ids[i] !== undefined) return String(ids[i]);
    if (!experiment || !plate || !well)
      throw new Error(
        `aggregateToWells: row ${i} has no ${META.wellId} and the table lacks ` +
          `${META.experiment}/${META.plate}/${META.well} to build one`,
      );
    return `${experiment[i]}_${plate[i]}_${well[i]}`;
  });
}

/**
 * Averages site rows into well rows: one row per distinct well key (Metadata_well_id, else
 * `{experiment}_{plate}_{well}`), in order of first appearance. Each feature is the mean over the well's sites
 * of its finite values (NaN when none is finite). Metadata columns keep the value of the well's first site,
 * except Metadata_site and Metadata_site_id, which are dropped; Metadata_well_id is filled in. A table that
 * already has one row per well comes back with the same rows (site columns dropped).
 */
export function aggregateToWells(table: ProfileTable): ProfileTable {
  const keys = wellKeys(table);
  const index = new Map<string, number>();
  const first: number[] = [];
  const rowWell = new Int32Array(table.rows);
  keys.forEach((key, i) => {
    let w = index.get(key);
    if (w === undefined) {
      w = first.length;
      index.set(key, w);
      first.push(i);
    }
    rowWell[i] = w;
  });
  const wells = first.length;
  const metadata: Record<string, MetadataValue[]> = {};
  for (const [name, values] of Object.entries(table.metadata)) {
    if (SITE_COLUMNS.has(name)) continue;
    metadata[name] = first.map((i) => values[i]);
  }
  metadata[META.wellId] = first.map((i) => keys[i]);
  const sums = new Float64Array(wells);
  const counts = new Int32Array(wells);
  const columns = table.columns.map((column) => {
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < table.rows; i++) {
      const v = column[i];
      if (Number.isFinite(v)) {
        sums[rowWell[i]] += v;
        counts[rowWell[i]]++;
      }
    }
    const out = new Float32Array(wells);
    for (let w = 0; w < wells; w++) out[w] = counts[w] > 0 ? sums[w] / counts[w] : NaN;
    return out;
  });
  return { rows: wells, metadata, features: [...table.features], columns };
}
