/**
 * The retrieval metric family (copairs definitions, see retrieval.ts): replicate retrieval mAP over the labelled
 * treatment wells (a seeded subset of whole siRNAs when there are many), and phenotypic activity mAP of each
 * siRNA's replicates against the negative controls.
 */
import { takeRows } from '../numerics/index.js';
import type { MethodContext } from './options.js';
import { meanAveragePrecision, phenotypicActivity, replicateRetrieval } from './retrieval.js';
import type { MethodEvaluation } from './types.js';
import { sirnaSubset } from './wellView.js';

export function retrievalMetrics(
  context: MethodContext,
  treatmentRows: number[],
): Pick<MethodEvaluation, 'retrieval' | 'activity'> {
  const { view, options, time, say } = context;
  const mapOptions = { nullSize: options.nullSize, seed: options.seed };
  const out: Pick<MethodEvaluation, 'retrieval' | 'activity'> = { retrieval: null, activity: null };
  const rows = sirnaSubset(view, treatmentRows, options.maxRetrievalWells, options.seed, 'retrieval-subset');
  if (rows.length > 1) {
    say(`replicate retrieval mAP on ${rows.length} wells`);
    out.retrieval = time('retrieval_map', () => {
      const queries = replicateRetrieval(
        takeRows(view.X, rows),
        rows.map((i) => view.sirna[i]),
        rows.map((i) => view.plateKey[i]),
      );
      return meanAveragePrecision(queries, mapOptions);
    });
  }
  if (view.isNegative.some((v) => v === 1) && treatmentRows.length > 1) {
    say('phenotypic activity mAP');
    out.activity = time('activity_map', () => {
      const labels = Int32Array.from(view.sirna, (s, i) => (view.isTreatment[i] ? s : -1));
      return meanAveragePrecision(phenotypicActivity(view.X, labels, view.isTreatment, view.isNegative), mapOptions);
    });
  }
  return out;
}
