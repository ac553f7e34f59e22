/**
 * One site, start to finish: segment nuclei and cells (segment.ts), measure both object sets (measure.ts) and
 * aggregate them into one site row (aggregate.ts), CellProfiler-pipeline style. The site row holds Count_Nuclei,
 * Count_Cells, the two thresholds, image granularity, then the aggregated Nuclei_* and Cells_* features.
 */
import { SITE_SIZE } from '../rxrx1/index.js';
import { aggregateNames, aggregateObjects, type AggregateOp } from './aggregate.js';
import {
  CHANNEL_NAMES,
  DEFAULT_MEASURE,
  measureObjects,
  measureSiteGranularity,
  MeasureWorkspace,
  type MeasureOptions,
  type ObjectFeatures,
} from './measure.js';
import {
  DEFAULT_CELLS,
  DEFAULT_NUCLEI,
  segmentCells,
  segmentNuclei,
  SegmentationWorkspace,
  type CellParameters,
  type NucleiParameters,
} from './segment.js';

export interface FeaturizeParameters {
  nuclei: NucleiParameters;
  cells: CellParameters;
  measure: MeasureOptions;
  /** Site aggregations of object features; the first keeps the plain names (see aggregate.ts). */
  aggregates: AggregateOp[];
}

export const DEFAULT_FEATURIZE: FeaturizeParameters = {
  nuclei: DEFAULT_NUCLEI,
  cells: DEFAULT_CELLS,
  measure: DEFAULT_MEASURE,
  aggregates: ['median', 'mean'],
};

/** Parameters with defaults filled in, section by section. */
export function featurizeParameters(
  partial: {
    nuclei?: Partial<NucleiParameters>;
    cells?: Partial<CellParameters>;
    measure?: Partial<MeasureOptions>;
    aggregates?: AggregateOp[];
  } = {},
): FeaturizeParameters {
  return {
    nuclei: { ...DEFAULT_NUCLEI, ...partial.nuclei },
    cells: { ...DEFAULT_CELLS, ...partial.cells },
    measure: { ...DEFAULT_MEASURE, ...partial.measure },
    aggregates: partial.aggregates ?? DEFAULT_FEATURIZE.aggregates,
  };
}

export interface SiteFeatures {
  /** Site-row feature names and values (the same names for every site of a run). */
  names: string[];
  values: Float64Array;
  nuclei: number;
  cells: number;
  /**
   * Per-object features, Nuclei_* then Cells_* columns, row o = nucleus o + 1 and the cell grown from it; only when
   * asked.
   */
  objects?: ObjectFeatures;
}

/** Everything one thread reuses from site to site. */
export class FeaturizeWorkspace {
  readonly segmentation: SegmentationWorkspace;
  readonly measure = new MeasureWorkspace();
  readonly nucleiLabels: Int32Array;
  readonly cellLabels: Int32Array;
  constructor(
    readonly width = SITE_SIZE,
    readonly height = SITE_SIZE,
  ) {
    this.segmentation = new SegmentationWorkspace(width, height);
    this.nucleiLabels = new Int32Array(width * height);
    this.cellLabels = new Int32Array(width * height);
  }
}

/** Segments, measures and aggregates one channel-major 6 x H x W uint8 site tensor. */
export function featurizeSite(
  tensor: Uint8Array,
  parameters: FeaturizeParameters = DEFAULT_FEATURIZE,
  workspace: FeaturizeWorkspace = new FeaturizeWorkspace(),
  options: { perObject?: boolean } = {},
): SiteFeatures {
  const { width, height } = workspace;
  const nuclei = segmentNuclei(
    tensor,
    width,
    height,
    parameters.nuclei,
    workspace.segmentation,
    workspace.nucleiLabels,
  );
  const cells = segmentCells(
    tensor,
    width,
    height,
    nuclei,
    parameters.cells,
    workspace.segmentation,
    workspace.cellLabels,
  );
  const sets = [
    { labels: nuclei.labels, count: nuclei.count },
    { labels: cells.labels, count: cells.count },
  ];
  const granularity = measureSiteGranularity(tensor, width, height, sets, parameters.measure, workspace.measure);
  const measured = (['Nuclei', 'Cells'] as const).map((name, setIndex) =>
    measureObjects(
      name,
      sets[setIndex].labels,
      sets[setIndex].count,
      tensor,
      width,
      height,
      parameters.measure,
      workspace.measure,
      granularity ? { perChannel: granularity, setIndex } : undefined,
    ),
  );
  const names = ['Count_Nuclei', 'Count_Cells', 'Threshold_Nuclei', 'Threshold_Cells'];
  const head = [nuclei.count, cells.count, nuclei.threshold, cells.threshold];
  granularity?.forEach((result, c) => {
    result.image.forEach((value, scale) => {
      names.push(`Image_Granularity_${scale + 1}_${CHANNEL_NAMES[c]}`);
      head.push(value);
    });
  });
  const objectNames = [...measured[0].names, ...measured[1].names];
  const objects: ObjectFeatures = {
    count: nuclei.count,
    names: objectNames,
    columns: [...measured[0].columns, ...measured[1].columns],
  };
  const aggregated = aggregateObjects(objects, parameters.aggregates);
  const values = new Float64Array(head.length + aggregated.length);
  values.set(head);
  values.set(aggregated, head.length);
  names.push(...aggregateNames(objectNames, parameters.aggregates));
  return { names, values, nuclei: nuclei.count, cells: cells.count, objects: options.perObject ? objects : undefined };
}
