import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrainConfig } from '../../src/embed/config.js';
import { holdoutSirnas, splitExperiments } from '../../src/embed/trainData.js';
import type { SiteRecord } from '../../src/data/site.js';

test('experiment split keeps whole experiments; the test split validates when it is not trained on', () => {
  const config = parseTrainConfig({ validationFraction: 0.25, seed: 4 });
  const train = (...names: string[]) => names.map((experiment) => ({ experiment, dataset: 'train' as const }));
  const split = splitExperiments(train('A-1', 'B-1', 'C-1', 'D-1', 'A-1'), config);
  assert.equal(split.validation.length, 1);
  assert.deepEqual([...split.train, ...split.validation].sort(), ['A-1', 'B-1', 'C-1', 'D-1']);
  const named = splitExperiments(train('A-1', 'B-1'), parseTrainConfig({ validationExperiments: ['B-1'] }));
  assert.deepEqual([named.train, named.validation], [['A-1'], ['B-1']]);
  assert.throws(() => splitExperiments(train('A-1'), parseTrainConfig({ validationExperiments: ['Z-9'] })), /Z-9/);
  // RxRx1's test experiments are not trained on (datasets: train): they are the validation experiments.
  const withTest = [...train('A-1', 'B-1', 'C-1'), { experiment: 'T-1', dataset: 'test' as const }];
  const rxrx1 = splitExperiments(withTest, parseTrainConfig({}));
  assert.deepEqual([rxrx1.train, rxrx1.validation], [['A-1', 'B-1', 'C-1'], ['T-1']]);
  assert.equal(rxrx1.trainOn({ experiment: 'T-1' }), false);
  const both = splitExperiments(withTest, parseTrainConfig({ datasets: ['train', 'test'], validationFraction: 0.25 }));
  assert.equal(both.validation.length, 1);
});

test('held-out siRNAs: treatment siRNAs only, seeded draw of a fraction or the named ids', () => {
  const site = (sirnaId: number, wellType: SiteRecord['wellType']) => ({ sirnaId, wellType }) as SiteRecord;
  const sites = [
    ...Array.from({ length: 20 }, (_, i) => site(i, 'treatment')),
    site(5, 'treatment'),
    site(1108, 'positive_control'),
    site(1138, 'negative_control'),
  ];
  assert.deepEqual(holdoutSirnas(sites, parseTrainConfig({ holdoutSirnaFraction: 0 })), []);
  assert.equal(holdoutSirnas(sites, parseTrainConfig({})).length, 4, 'a fifth by default');
  const drawn = holdoutSirnas(sites, parseTrainConfig({ holdoutSirnaFraction: 0.25, seed: 2 }));
  assert.equal(drawn.length, 5);
  assert.ok(
    drawn.every((id) => id < 20),
    'controls are never held out',
  );
  assert.deepEqual(
    drawn,
    [...drawn].sort((a, b) => a - b),
  );
  assert.deepEqual(holdoutSirnas(sites, parseTrainConfig({ holdoutSirnaFraction: 0.25, seed: 2 })), drawn, 'seeded');
  assert.notDeepEqual(holdoutSirnas(sites, parseTrainConfig({ holdoutSirnaFraction: 0.25, seed: 3 })), drawn);
  assert.deepEqual(holdoutSirnas(sites, parseTrainConfig({ holdoutSirnas: [7, 3, 7] })), [3, 7]);
  assert.throws(
    () => holdoutSirnas(sites, parseTrainConfig({ holdoutSirnas: [1108] })),
    /holdoutSirnas: 1108 not among/,
  );
});
