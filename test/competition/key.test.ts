/** Solution keys: the demo key of a dataset, and the key CSV format. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoKey, formatKey, keyFingerprint, parseKey } from '../../src/competition/key.js';
import { IDS, KEY, site } from './fixture.js';

test('the demo key holds the labelled test treatment wells, split Public/Private by a seeded shuffle', () => {
  const sites = [
    ...IDS.flatMap((id, i) => [site(id, 'test', 'treatment', 7 * i, 1), site(id, 'test', 'treatment', 7 * i, 2)]),
    site('HEPG2-08_1_B02', 'test', 'negative_control', 1138),
    site('HEPG2-01_1_B03', 'train', 'treatment', 3),
    site('HEPG2-08_2_B03', 'test', 'treatment', null),
  ];
  const key = demoKey(sites, { seed: 7 })!;
  assert.deepEqual(key.ids, [...IDS].sort());
  assert.equal(
    key.usage!.reduce((a, b) => a + b, 0),
    4,
    'round(12 / 3) Public',
  );
  assert.deepEqual([...demoKey(sites, { seed: 7 })!.usage!], [...key.usage!], 'same seed, same split');
  assert.notDeepEqual([...demoKey(sites, { seed: 8 })!.usage!], [...key.usage!], 'another seed, another split');
  assert.equal(keyFingerprint(key), keyFingerprint(KEY));
  assert.equal(demoKey([site('HEPG2-08_1_B03', 'test', 'treatment', null)]), null, 'no labels, no key');
});

test('keys round-trip through CSV, Kaggle solution files included', () => {
  const text = formatKey(KEY);
  assert.equal(text.split('\n')[0], 'id_code,sirna,Usage');
  const back = parseKey(text);
  assert.deepEqual(back.ids, KEY.ids);
  assert.deepEqual([...back.sirna], [...KEY.sirna]);
  assert.deepEqual([...back.usage!], [...KEY.usage!]);
  const kaggle = parseKey('Usage,sirna,id_code,extra\r\nPublic,5,A_1_B02,x\r\nPrivate,6,A_1_B03,y\r\n');
  assert.deepEqual([...kaggle.usage!], [1, 0]);
  assert.equal(parseKey('id_code,sirna\nA_1_B02,5\n').usage, null);
  assert.throws(
    () => parseKey('id_code,sirna,Usage\nA_1_B02,5,Hidden\n', 'k.csv'),
    /k\.csv:2: Usage="Hidden": expected Public or Private/,
  );
  assert.throws(() => parseKey('id,label\n'), /expected columns id_code,sirna/);
});
