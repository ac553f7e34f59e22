/**
 * The package as a user imports it: `phenomap` and its subpath entry points, resolved by package name through
 * package.json `exports` (Node's self-reference), and something real called from each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  compositeRgb,
  decodeGray8,
  encodePng,
  featurizeSite,
  parseSiteId,
  scoreSubmission,
  trainModel,
  RGB_MAP,
} from 'phenomap';
import { label, thresholdOtsu } from 'phenomap/features';
import { embedDataset, parseTrainConfig } from 'phenomap/embed';
import { correctProfiles } from 'phenomap/correct';
import { accuracy, parseSplit } from 'phenomap/evaluate';
import { formatKey, makeKey, parseKey, scoreSubmission as scoreFromCompetition } from 'phenomap/competition';
import { teamBody, wellsQuery } from 'phenomap/api';
import { CHANNELS, wellId } from 'phenomap/rxrx1';
import { REPO_ROOT } from './helpers.js';

test('package.json exports every entry point this test imports, each built', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  assert.equal(manifest.name, 'phenomap');
  for (const entry of ['.', './features', './embed', './correct', './evaluate', './competition', './api', './rxrx1']) {
    const target = manifest.exports[entry];
    assert.ok(target, `package.json exports ${entry}`);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, target.default)), `${entry} -> ${target.default} is built`);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, target.types)), `${entry} -> ${target.types} is built`);
  }
});

test('phenomap: ids, the PNG codec and the RGB composite', () => {
  assert.deepEqual(parseSiteId('HEPG2-01_1_B02_2'), { experiment: 'HEPG2-01', plate: 1, well: 'B02', site: 2 });
  const pixels = Uint8Array.from({ length: 6 }, (_, i) => i * 40);
  const decoded = decodeGray8(encodePng(pixels, 3, 2, 1));
  assert.deepEqual([decoded.width, decoded.height, [...decoded.pixels]], [3, 2, [0, 40, 80, 120, 160, 200]]);
  // One pixel per channel, all at 255: channel 1 alone (Hoechst, rxrx1-utils colour [19, 0, 249]) over its range.
  const tensor = new Uint8Array(6);
  tensor[0] = 255;
  const rgb = compositeRgb(tensor, { width: 1, height: 1, channels: [1], ranges: { 1: [0, 255] } });
  assert.deepEqual([...rgb], [...RGB_MAP[1].rgb]);
  assert.equal(typeof featurizeSite, 'function');
  assert.equal(typeof trainModel, 'function');
});

test('phenomap/features: Otsu threshold and connected components', () => {
  // Two flat classes 10 and 200: Otsu's threshold falls between them (skimage.filters.threshold_otsu).
  const image = Float32Array.from({ length: 100 }, (_, i) => (i < 60 ? 10 : 200));
  const t = thresholdOtsu(image);
  assert.ok(t >= 10 && t < 200, `threshold ${t}`);
  // Two separate blobs in a 5x3 mask.
  const mask = Uint8Array.from([1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1]);
  const { labels, count } = label(mask, 5, 3);
  assert.equal(count, 2);
  assert.deepEqual([...labels], [1, 1, 0, 0, 2, 1, 1, 0, 0, 2, 0, 0, 0, 0, 2]);
});

test('phenomap/embed: a training configuration with its defaults', () => {
  const config = parseTrainConfig({ epochs: 3 });
  assert.equal(config.epochs, 3);
  assert.throws(() => parseTrainConfig({ epochs: -1 }, 'train.json'), /train\.json: epochs/);
  assert.equal(typeof embedDataset, 'function');
});

test('phenomap/correct: centre-scale on the negative controls of each experiment', () => {
  const table = {
    rows: 4,
    metadata: {
      Metadata_experiment: ['E1', 'E1', 'E1', 'E1'],
      Metadata_plate: [1, 1, 1, 1],
      Metadata_well: ['B02', 'B03', 'B04', 'B05'],
      Metadata_well_type: ['negative_control', 'negative_control', 'treatment', 'treatment'],
    },
    features: ['f'],
    columns: [Float32Array.from([1, 3, 5, 2])],
  };
  // Controls 1 and 3: mean 2, population std 1.
  const corrected = correctProfiles(table, { method: 'center_scale', batch: 'experiment' });
  assert.deepEqual([...corrected.columns[0]], [-1, 1, 3, 0]);
});

test('phenomap/evaluate: accuracy and split parsing', () => {
  assert.equal(accuracy([1, 2, 3, 4], [1, 2, 0, 0]), 0.5);
  assert.deepEqual(parseSplit('leave-out:HEPG2-07, U2OS-03'), { leaveOut: ['HEPG2-07', 'U2OS-03'] });
});

test('phenomap/competition: a key written and read back, a submission scored', () => {
  const key = makeKey([
    { id: wellId('HEPG2-08', 1, 'B03'), sirna: 5, usage: 'Public' },
    { id: wellId('HEPG2-08', 1, 'B04'), sirna: 7, usage: 'Private' },
  ]);
  assert.deepEqual(parseKey(formatKey(key)), key);
  const submission = 'id_code,sirna\nHEPG2-08_1_B03,5\nHEPG2-08_1_B04,8\n';
  const scored = scoreFromCompetition(submission, key);
  assert.ok(scored.valid);
  assert.deepEqual([scored.scores.public, scored.scores.private], [1, 0]);
  assert.deepEqual(scoreSubmission(submission, key), scored);
});

test('phenomap/api and phenomap/rxrx1: the request schemas and the constants', () => {
  assert.deepEqual(wellsQuery.parse({ plate: '1,3', wellType: 'treatment' }), {
    plate: [1, 3],
    wellType: ['treatment'],
  });
  assert.equal(teamBody.safeParse({ name: 7 }).success, false);
  assert.deepEqual(
    CHANNELS.map((c) => c.stain),
    ['Hoechst', 'Concanavalin A', 'Phalloidin', 'Syto14', 'MitoTracker', 'Wheat germ agglutinin'],
  );
});
