/** src/evaluate/split.ts: the competition split, the documented fallback, and leave-out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSplit, resolveSplit } from '../../src/evaluate/index.js';
import { syntheticScreen } from './screen.js';

test('split: the competition split, the documented fallback, and leave-out', () => {
  const { table } = syntheticScreen();
  const rxrx1 = resolveSplit(table);
  assert.equal(rxrx1.kind, 'rxrx1');
  assert.deepEqual(rxrx1.testExperiments, ['HEPG2-03', 'U2OS-02']);
  const unlabelled = {
    ...table,
    metadata: {
      ...table.metadata,
      Metadata_sirna_id: table.metadata.Metadata_sirna_id.map((v, i) =>
        table.metadata.Metadata_dataset[i] === 'test' ? null : v,
      ),
    },
  };
  const fallback = resolveSplit(unlabelled);
  assert.equal(fallback.kind, 'leave-out');
  assert.deepEqual(fallback.testExperiments, ['HEPG2-02'], 'the last HEPG2 training experiment; U2OS has only one');
  assert.deepEqual(resolveSplit(table, parseSplit('leave-out:U2OS-01')).trainExperiments, [
    'HEPG2-01',
    'HEPG2-02',
    'HEPG2-03',
    'U2OS-02',
  ]);
  assert.throws(() => resolveSplit(table, { leaveOut: ['NOPE-1'] }), /unknown experiment/);
  assert.throws(() => parseSplit('leave-out:'), /expected/);
});
