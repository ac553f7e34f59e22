/**
 * The k-shot metric family: nearest-class-mean accuracy on the held-out wells when each training siRNA is known
 * from k training wells only, and the same among a model's novel siRNAs (those it never saw in training).
 */
import { bootstrapAccuracy, hits } from './bootstrap.js';
import { HELDOUT_WELLS } from './classificationMetrics.js';
import { accuracy, nearestClassMean, sampleShots } from './classify.js';
import type { MethodContext } from './options.js';
import type { ClassificationTask } from './task.js';
import type { MethodEvaluation } from './types.js';

export function kshotMetrics(
  context: MethodContext,
  task: ClassificationTask,
): Pick<MethodEvaluation, 'kshotAccuracy' | 'kshotNovelAccuracy' | 'kshotAccuracyCi' | 'kshotNovelAccuracyCi'> {
  const { view, options } = context;
  const { trainRows, testRows, yTrain, yTest, classIds, classOf } = task;
  const members: number[][] = classIds.map(() => []);
  trainRows.forEach((i, r) => {
    members[yTrain[r]].push(i);
  });
  const kshotAccuracy: Record<string, number> = {};
  const kshotAccuracyCi: MethodEvaluation['kshotAccuracyCi'] = {};
  for (const k of options.kShots) {
    const predicted = nearestClassMean(view.X, sampleShots(members, k, options.seed), testRows);
    kshotAccuracy[String(k)] = accuracy(predicted, yTest);
    kshotAccuracyCi[String(k)] = bootstrapAccuracy(hits(predicted, yTest), { seed: options.seed, name: HELDOUT_WELLS });
  }
  const kshotNovelAccuracy: Record<string, number> = {};
  const kshotNovelAccuracyCi: MethodEvaluation['kshotNovelAccuracyCi'] = {};
  const novel = options.novelSirnas;
  if (novel) {
    // Only the novel siRNAs are candidates (the others' prototypes are left empty) and queries.
    const novelMembers = members.map((rows, c) => (novel.has(classIds[c]) ? rows : []));
    const queries = testRows.filter((i) => novel.has(view.sirna[i]));
    const truth = Int32Array.from(queries, (i) => classOf.get(view.sirna[i])!);
    for (const k of options.kShots) {
      const predicted = nearestClassMean(view.X, sampleShots(novelMembers, k, options.seed), queries);
      kshotNovelAccuracy[String(k)] = accuracy(predicted, truth);
      kshotNovelAccuracyCi[String(k)] = bootstrapAccuracy(hits(predicted, truth), {
        seed: options.seed,
        name: 'novel-sirna-wells',
      });
    }
  }
  return { kshotAccuracy, kshotNovelAccuracy, kshotAccuracyCi, kshotNovelAccuracyCi };
}
