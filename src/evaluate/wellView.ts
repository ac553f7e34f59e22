/**
 * The per-well view every metric reads: the evaluation space (each feature of the corrected well table z-scored
 * over all wells: a global per-feature affine map that leaves batch structure alone; constant features become
 * 0) and the wells' experiment, plate, cell type, siRNA and well type.
 */
import { fromColumns, type Matrix32, standardize } from '../numerics/index.js';
import { FIRST_POSITIVE_CONTROL, NEGATIVE_CONTROL_SIRNA } from '../rxrx1/index.js';
import { META, type ProfileTable } from '../store/profiles.js';
import { rngFor } from '../util/random.js';

/** The per-well facts every metric needs, read from a (corrected) well table. */
export interface WellView {
  n: number;
  p: number;
  /** Evaluation space: n x p, each feature z-scored over all wells. */
  X: Matrix32;
  features: string[];
  raw: ProfileTable;
  experiment: string[];
  plateKey: string[];
  well: string[];
  cellType: string[];
  sirna: Int32Array;
  isTreatment: Uint8Array;
  isNegative: Uint8Array;
  wellType: string[];
  wellId: string[];
}

/** A metadata column; a required one that the table lacks is an error that lists the columns it has. */
export function metadataColumn(
  table: ProfileTable,
  name: string,
  required: boolean,
): (string | number | null)[] | null {
  const values = table.metadata[name];
  if (!values && required)
    throw new Error(
      `evaluate: the profile table has no ${name} column (columns: ${Object.keys(table.metadata).join(', ')})`,
    );
  return values ?? null;
}

/** The well view of a (corrected) well table; throws naming a missing required column. */
export function wellView(table: ProfileTable): WellView {
  const n = table.rows;
  const p = table.features.length;
  if (p === 0) throw new Error('evaluate: the profile table has no feature columns');
  const experiment = metadataColumn(table, META.experiment, true)!.map((v) => String(v));
  const plate = metadataColumn(table, META.plate, true)!;
  const well = metadataColumn(table, META.well, false);
  const cellTypeColumn = metadataColumn(table, META.cellType, false);
  const sirnaColumn = metadataColumn(table, META.sirnaId, true)!;
  const wellTypeColumn = metadataColumn(table, META.wellType, false);
  const wellIdColumn = metadataColumn(table, META.wellId, false);
  const sirna = new Int32Array(n);
  const isTreatment = new Uint8Array(n);
  const isNegative = new Uint8Array(n);
  const wellType: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = sirnaColumn[i];
    sirna[i] =
      typeof id === 'number' && Number.isInteger(id)
        ? id
        : id !== null && id !== '' && Number.isInteger(Number(id))
          ? Number(id)
          : -1;
    const type =
      wellTypeColumn && wellTypeColumn[i] !== null
        ? String(wellTypeColumn[i])
        : sirna[i] === NEGATIVE_CONTROL_SIRNA
          ? 'negative_control'
          : sirna[i] >= FIRST_POSITIVE_CONTROL
            ? 'positive_control'
            : 'treatment';
    wellType.push(type);
    isTreatment[i] = type === 'treatment' && sirna[i] >= 0 && sirna[i] < FIRST_POSITIVE_CONTROL ? 1 : 0;
    isNegative[i] = type === 'negative_control' ? 1 : 0;
  }
  return {
    n,
    p,
    X: standardize(fromColumns(table.columns)),
    features: table.features,
    raw: table,
    experiment,
    plateKey: experiment.map((e, i) => `${e}_${plate[i]}`),
    well: well ? well.map((v) => String(v)) : new Array<string>(n).fill(''),
    cellType: experiment.map((e, i) =>
      cellTypeColumn && cellTypeColumn[i] !== null ? String(cellTypeColumn[i]) : e.split('-')[0],
    ),
    sirna,
    isTreatment,
    isNegative,
    wellType,
    wellId: wellIdColumn
      ? wellIdColumn.map((v) => String(v))
      : experiment.map((e, i) => `${e}_${plate[i]}_${well ? well[i] : i}`),
  };
}

/** siRNAs (in seeded random order) taken whole until adding the next would exceed `maxWells` wells. */
export function sirnaSubset(view: WellView, rows: number[], maxWells: number, seed: number, name: string): number[] {
  if (rows.length <= maxWells) return rows;
  const bySirna = new Map<number, number[]>();
  for (const i of rows) {
    const list = bySirna.get(view.sirna[i]);
    if (list) list.push(i);
    else bySirna.set(view.sirna[i], [i]);
  }
  const order = rngFor(seed, name).shuffle([...bySirna.keys()].sort((a, b) => a - b));
  const out: number[] = [];
  for (const id of order) {
    const members = bySirna.get(id)!;
    if (out.length + members.length > maxWells) continue;
    out.push(...members);
  }
  return out.sort((a, b) => a - b);
}
