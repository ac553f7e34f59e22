/** A small RxRx1-shaped synthetic screen and a trivial correction, for the evaluate/ tests. */
import type { CorrectFn } from '../../src/evaluate/index.js';
import { Rng } from '../../src/util/random.js';
import type { MetadataValue, ProfileTable } from '../../src/store/profiles.js';

const P = 8;
const SIRNAS = 10;

/**
 * A small RxRx1-shaped screen: 5 experiments (HEPG2-01/02 and U2OS-01 train, HEPG2-03 and U2OS-02 test), 2
 * plates each; siRNAs 0-4 form group A and 5-9 group B; each plate holds one group (swapped between
 * experiments), one well per siRNA, a negative control (B02) and a positive control; 2 sites per well.
 * Feature = siRNA mean (distinct, norm ~2.5) + experiment shift (large, norm ~14) + noise.
 */
export function syntheticScreen(seed = 1): { table: ProfileTable; means: number[][] } {
  const rng = new Rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const means = Array.from({ length: SIRNAS + 1 }, () => Array.from({ length: P }, () => normal()));
  const negative = new Array<number>(P).fill(0);
  const experiments = [
    ['HEPG2-01', 'train'],
    ['HEPG2-02', 'train'],
    ['HEPG2-03', 'test'],
    ['U2OS-01', 'train'],
    ['U2OS-02', 'test'],
  ];
  const meta: Record<string, MetadataValue[]> = {};
  const names = [
    'Metadata_site_id',
    'Metadata_well_id',
    'Metadata_dataset',
    'Metadata_experiment',
    'Metadata_plate',
    'Metadata_well',
    'Metadata_site',
    'Metadata_cell_type',
    'Metadata_well_type',
    'Metadata_sirna_id',
  ];
  for (const name of names) meta[name] = [];
  const values: number[][] = Array.from({ length: P }, () => []);
  experiments.forEach(([experiment, dataset], e) => {
    const shift = Array.from({ length: P }, () => 5 * normal());
    for (const plate of [1, 2]) {
      const group = (plate + e) % 2;
      const wells: [string, number, string][] = [
        ['B02', 1138, 'negative_control'],
        ['B03', 1108, 'positive_control'],
      ];
      for (let s = 0; s < 5; s++) wells.push([`C${String(s + 2).padStart(2, '0')}`, group * 5 + s, 'treatment']);
      for (const [well, sirna, type] of wells) {
        const mean = sirna === 1138 ? negative : sirna === 1108 ? means[SIRNAS] : means[sirna];
        const wellNoise = Array.from({ length: P }, () => 0.25 * normal());
        for (const site of [1, 2]) {
          meta.Metadata_site_id.push(`${experiment}_${plate}_${well}_${site}`);
          meta.Metadata_well_id.push(`${experiment}_${plate}_${well}`);
          meta.Metadata_dataset.push(dataset);
          meta.Metadata_experiment.push(experiment);
          meta.Metadata_plate.push(plate);
          meta.Metadata_well.push(well);
          meta.Metadata_site.push(site);
          meta.Metadata_cell_type.push(experiment.split('-')[0]);
          meta.Metadata_well_type.push(type);
          meta.Metadata_sirna_id.push(sirna);
          for (let j = 0; j < P; j++)
            values[j].push((sirna === 1108 ? 2 : 1) * mean[j] + shift[j] + wellNoise[j] + 0.1 * normal());
        }
      }
    }
  });
  return {
    table: {
      rows: meta.Metadata_site.length,
      metadata: meta,
      features: Array.from({ length: P }, (_, j) => `f${j}`),
      columns: values.map((v) => Float32Array.from(v)),
    },
    means: means.slice(0, SIRNAS),
  };
}

/** A trivial local correction: subtract each batch's mean over all its wells. */
export const centerPerBatch: CorrectFn = (table, options) => {
  const key = (i: number) =>
    options.batch === 'plate'
      ? `${table.metadata.Metadata_experiment[i]}_${table.metadata.Metadata_plate[i]}`
      : String(table.metadata.Metadata_experiment[i]);
  const columns = table.columns.map((column) => {
    const sums = new Map<string, [number, number]>();
    for (let i = 0; i < table.rows; i++) {
      const s = sums.get(key(i)) ?? [0, 0];
      s[0] += column[i];
      s[1]++;
      sums.set(key(i), s);
    }
    return Float32Array.from(column, (v, i) => v - sums.get(key(i))![0] / sums.get(key(i))![1]);
  });
  return { ...table, columns };
};

export const FAST = { nullSize: 500, umap: false } as const;
