/**
 * The report's plot data for one method: PCA and UMAP coordinates of a seeded subset of wells (the same wells
 * under every method, plus every well of the highlighted siRNAs) and plate heatmaps of one feature.
 */
import { UMAP } from 'umap-js';
import { type Matrix32, pca, row, takeRows } from '../numerics/index.js';
import { PLATE_COLUMNS, PLATE_ROWS, wellPosition } from '../rxrx1/index.js';
import { rngFor } from '../util/random.js';
import type { MethodContext } from './options.js';
import type { MethodEvaluation, MethodPlots, PlateHeatmap } from './types.js';
import type { WellView } from './wellView.js';

export function plotData(context: MethodContext, activity: MethodEvaluation['activity']): MethodPlots {
  const { view, options } = context;
  const highlighted = (activity?.groups ?? [])
    .slice()
    .sort((a, b) => b.map - a.map || a.label - b.label)
    .slice(0, options.highlightSirnas)
    .map((g) => g.label);
  const highlightSet = new Set(highlighted);
  // A seeded subset keyed by well id (the same wells under every method), plus all highlighted wells.
  const order = rngFor(options.seed, 'plot-subset').shuffle([...view.wellId].sort());
  const chosen = new Set(order.slice(0, options.maxPlotWells));
  const rows: number[] = [];
  for (let i = 0; i < view.n; i++)
    if (chosen.has(view.wellId[i]) || (view.isTreatment[i] && highlightSet.has(view.sirna[i]))) rows.push(i);
  const plots: MethodPlots = {
    experiment: rows.map((i) => view.experiment[i]),
    cellType: rows.map((i) => view.cellType[i]),
    sirna: rows.map((i) => view.sirna[i]),
    wellType: rows.map((i) => view.wellType[i]),
    highlighted,
    pca: null,
    pcaVariance: [],
    umap: null,
    heatmaps: heatmaps(view, options.heatmapFeature, options.heatmapPlates),
  };
  if (rows.length >= 3) Object.assign(plots, embeddings(context, rows));
  return plots;
}

/** The first two principal components of the wells, their variances, and a seeded UMAP of the top components. */
function embeddings(context: MethodContext, rows: number[]): Pick<MethodPlots, 'pca' | 'pcaVariance' | 'umap'> {
  const { view, options, say } = context;
  const n = rows.length;
  const components = pca(takeRows(view.X, rows), {
    components: options.mixingComponents,
    solver: 'randomized',
    seed: options.seed,
  });
  const scores = components.scores;
  const k = scores.cols;
  const coordinates = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    coordinates[i * 2] = scores.data[i * k];
    coordinates[i * 2 + 1] = k > 1 ? scores.data[i * k + 1] : 0;
  }
  const out: Pick<MethodPlots, 'pca' | 'pcaVariance' | 'umap'> = {
    pca: coordinates,
    pcaVariance: Array.from(components.explainedVariance.slice(0, 2)),
    umap: null,
  };
  if (options.umap && n >= 5) {
    say(`UMAP of ${n} wells`);
    out.umap = umapOf(scores, options.seed);
  }
  return out;
}

/** 2-d UMAP (15 neighbours, min_dist 0.1) of the rows, seeded. */
function umapOf(scores: Matrix32, seed: number): Float32Array {
  const rng = rngFor(seed, 'umap');
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(15, scores.rows - 1),
    minDist: 0.1,
    random: () => rng.next(),
  });
  const data = Array.from({ length: scores.rows }, (_, i) => Array.from(row(scores, i)));
  return Float32Array.from(umap.fit(data).flat());
}

/** Plate heatmaps of one feature (corrected values, before z-scoring) for the first `count` plates in key order. */
function heatmaps(view: WellView, feature: string | undefined, count: number): PlateHeatmap[] {
  const featureIndex = feature ? view.features.indexOf(feature) : 0;
  if (featureIndex < 0) return [];
  const values = view.raw.columns[featureIndex];
  const plates = [...new Set(view.plateKey)].sort().slice(0, count);
  return plates.map((plate) => {
    const grid = new Float32Array(PLATE_ROWS * PLATE_COLUMNS).fill(NaN);
    for (let i = 0; i < view.n; i++) {
      const position = view.plateKey[i] === plate ? wellPosition(view.well[i]) : null;
      if (position) grid[position.row * PLATE_COLUMNS + position.column] = values[i];
    }
    return { plate, feature: view.features[featureIndex], grid };
  });
}
