/**
 * The batch-mixing metric family, on the top principal components of a seeded subset of whole siRNAs: silhouette
 * by batch and by siRNA, median iLISI (batch) and cLISI (siRNA), and graph connectivity of the cell types.
 */
import { median, pca, takeRows } from '../numerics/index.js';
import { graphConnectivity, lisi, silhouetteScore } from './mixing.js';
import type { MethodContext } from './options.js';
import type { MethodEvaluation } from './types.js';
import { sirnaSubset } from './wellView.js';

type MixingMetrics = Pick<
  MethodEvaluation,
  'silhouetteBatch' | 'silhouetteSirna' | 'ilisi' | 'clisi' | 'graphConnectivity'
>;

/** NaN for every metric when fewer than 3 wells are available. */
export function mixingMetrics(context: MethodContext, treatmentRows: number[]): MixingMetrics {
  const { view, options, time, say } = context;
  const rows = sirnaSubset(view, treatmentRows, options.maxMixingWells, options.seed, 'mixing-subset');
  if (rows.length < 3)
    return { silhouetteBatch: NaN, silhouetteSirna: NaN, ilisi: NaN, clisi: NaN, graphConnectivity: NaN };
  say(`batch mixing on ${rows.length} wells`);
  return time('mixing', () => {
    const { scores } = pca(takeRows(view.X, rows), {
      components: options.mixingComponents,
      solver: 'randomized',
      seed: options.seed,
    });
    const batchLabels = rows.map((i) => (options.batch === 'plate' ? view.plateKey[i] : view.experiment[i]));
    const sirnaLabels = rows.map((i) => view.sirna[i]);
    return {
      silhouetteBatch: silhouetteScore(scores, batchLabels, 'euclidean'),
      silhouetteSirna: silhouetteScore(scores, sirnaLabels, 'euclidean'),
      ilisi: median(lisi(scores, batchLabels)),
      clisi: median(lisi(scores, sirnaLabels)),
      graphConnectivity: graphConnectivity(
        scores,
        rows.map((i) => view.cellType[i]),
      ),
    };
  });
}
