import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { detectLayout } from '../../src/data/layout.js';
import { ensureSiteIndex, findSite, querySiteIndex } from '../../src/data/siteIndex.js';
import { SHARED_RXRX1, tempDir, needsSample } from '../helpers.js';
import { officialRow, realOfficialDataset } from '../datasetFixtures.js';

test('indexes the real metadata once and answers filtered queries', { skip: needsSample() }, async () => {
  const file = path.join(tempDir(), 'sites.parquet');
  const layout = await detectLayout(SHARED_RXRX1);
  const built = await ensureSiteIndex(layout, { file });
  assert.equal(built.built, true);
  assert.equal(built.sites, 125510);
  assert.equal((await ensureSiteIndex(layout, { file })).built, false, 'an up-to-date index is reused');

  const negatives = await querySiteIndex(file, { cellType: ['U2OS'], wellType: ['negative_control'], plate: [1] });
  assert.deepEqual(
    negatives.map((s) => s.siteId),
    [
      'U2OS-01_1_B02_1',
      'U2OS-01_1_B02_2',
      'U2OS-02_1_B02_1',
      'U2OS-02_1_B02_2',
      'U2OS-03_1_B02_1',
      'U2OS-03_1_B02_2',
      'U2OS-04_1_B02_1',
      'U2OS-04_1_B02_2',
      'U2OS-05_1_B02_1',
      'U2OS-05_1_B02_2',
    ],
  );
  assert.equal((await querySiteIndex(file, { sirnaId: [513], cellType: ['HEPG2'] })).length, 7 * 2);
  assert.equal(
    (await querySiteIndex(file, { wellType: ['positive_control'], cellType: ['HUVEC'], plate: [3] })).length,
    718 * 2,
  );
  const site = await findSite(file, 'HEPG2-01_1_G05_2');
  assert.equal(site.sirnaId, 884);
  await assert.rejects(findSite(file, 'HEPG2-01_1_Z99_1'), /site "HEPG2-01_1_Z99_1" is not in the metadata/);
});

test('rebuilds when the metadata is newer, and keeps the official sirna names', { skip: needsSample() }, async () => {
  const dir = realOfficialDataset([
    officialRow({
      dataset: 'train',
      experiment: 'HUVEC-02',
      plate: 1,
      well: 'B02',
      site: 1,
      wellType: 'negative_control',
      sirnaId: 1138,
    }),
  ]);
  const layout = await detectLayout(dir);
  const first = await ensureSiteIndex(layout);
  assert.equal(first.file, path.join(dir, '.phenomap', 'sites.parquet'));
  const future = new Date(Date.now() + 60_000);
  fs.utimesSync(layout.metadataFiles[0], future, future);
  assert.equal((await ensureSiteIndex(layout)).built, true);
  const [site] = await querySiteIndex(first.file);
  assert.equal(site.sirna, 'EMPTY');
  assert.equal(site.wellType, 'negative_control');
});
