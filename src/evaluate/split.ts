/** The split of an evaluation: which experiments train the classifiers and which are held out. */
import { FIRST_POSITIVE_CONTROL } from '../rxrx1/index.js';
import { META, type ProfileTable } from '../store/profiles.js';
import type { SplitInfo, SplitSpec } from './types.js';
import { metadataColumn } from './wellView.js';

/**
 * Training and held-out experiments.
 * - 'rxrx1': the competition's split, Metadata_dataset train vs test, when some test treatment wells carry
 *   siRNA labels (simulated data does; the real RxRx1 test set does not). Otherwise, and when the table has no
 *   Metadata_dataset, a leave-experiments-out split of the labelled experiments: for each cell type with at
 *   least two labelled experiments, its last experiment in name order is held out.
 * - { leaveOut }: those experiments are held out; all other labelled experiments train.
 * Experiments without any labelled treatment well never train or test (they still go through correction).
 */
export function resolveSplit(table: ProfileTable, spec: SplitSpec = 'rxrx1'): SplitInfo {
  const experiments = metadataColumn(table, META.experiment, true)!.map(String);
  const dataset = metadataColumn(table, META.dataset, false);
  const sirna = metadataColumn(table, META.sirnaId, true)!;
  const cellType = metadataColumn(table, META.cellType, false);
  const labelled = new Set<string>();
  const all = new Set<string>();
  const datasetOf = new Map<string, string>();
  const cellTypeOf = new Map<string, string>();
  for (let i = 0; i < table.rows; i++) {
    all.add(experiments[i]);
    if (dataset && dataset[i] !== null) datasetOf.set(experiments[i], String(dataset[i]));
    cellTypeOf.set(
      experiments[i],
      cellType && cellType[i] !== null ? String(cellType[i]) : experiments[i].split('-')[0],
    );
    const id = Number(sirna[i]);
    if (sirna[i] !== null && Number.isInteger(id) && id >= 0 && id < FIRST_POSITIVE_CONTROL)
      labelled.add(experiments[i]);
  }
  const sorted = (s: Iterable<string>) => [...s].sort();
  if (typeof spec === 'object') {
    const unknown = spec.leaveOut.filter((e) => !all.has(e));
    if (unknown.length)
      throw new Error(
        `split leave-out: unknown experiment(s) ${unknown.join(', ')}; the table has ${sorted(all).join(', ')}`,
      );
    const held = new Set(spec.leaveOut);
    const given = sorted(spec.leaveOut).join(', ');
    return {
      kind: 'leave-out',
      trainExperiments: sorted(labelled).filter((e) => !held.has(e)),
      testExperiments: sorted(spec.leaveOut).filter((e) => labelled.has(e)),
      description: `leave-out: held out ${given} (given); all other labelled experiments train`,
    };
  }
  const trainSet = sorted(labelled).filter((e) => datasetOf.get(e) === 'train');
  const testSet = sorted(labelled).filter((e) => datasetOf.get(e) === 'test');
  if (testSet.length > 0 && trainSet.length > 0) {
    return {
      kind: 'rxrx1',
      trainExperiments: trainSet,
      testExperiments: testSet,
      description:
        'rxrx1: Metadata_dataset train experiments train, labelled test experiments are held out ' +
        '(the competition split)',
    };
  }
  const byCellType = new Map<string, string[]>();
  for (const e of sorted(labelled)) {
    const list = byCellType.get(cellTypeOf.get(e)!) ?? [];
    list.push(e);
    byCellType.set(cellTypeOf.get(e)!, list);
  }
  const held = [...byCellType.values()].filter((list) => list.length >= 2).map((list) => list[list.length - 1]);
  const reason = !dataset ? 'the table has no Metadata_dataset' : 'no test experiment has siRNA labels';
  return {
    kind: 'leave-out',
    trainExperiments: sorted(labelled).filter((e) => !held.includes(e)),
    testExperiments: held.sort(),
    description:
      `leave-out (fallback, ${reason}): ` +
      'the last labelled experiment of each cell type with at least two is held out',
  };
}

/** Parses the CLI's --split value: "rxrx1" or "leave-out:EXP1,EXP2". */
export function parseSplit(value: string): SplitSpec {
  if (value === 'rxrx1') return 'rxrx1';
  const match = /^leave-out:(.+)$/.exec(value);
  if (match) {
    const list = match[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (list.length) return { leaveOut: list };
  }
  throw new Error(`split: expected "rxrx1" or "leave-out:EXP1,EXP2", got "${value}"`);
}
