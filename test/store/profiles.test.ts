import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fromColumns } from '../../src/numerics/index.js';
import { concatTables, readProfiles, selectRows, writeProfiles, type ProfileTable } from '../../src/store/profiles.js';
import { tempDir } from '../helpers.js';

function table(plate: number, rows: number): ProfileTable {
  return {
    rows,
    metadata: {
      Metadata_plate: new Array(rows).fill(plate),
      Metadata_well: Array.from({ length: rows }, (_, i) => `B${String(i + 2).padStart(2, '0')}`),
      Metadata_sirna: Array.from({ length: rows }, (_, i) => (i === 0 ? null : i)),
    },
    features: ['Cells_AreaShape_Area', 'Nuclei_Intensity_MeanIntensity_w1'],
    columns: [
      Float32Array.from({ length: rows }, (_, i) => plate * 100 + i + 0.25),
      Float32Array.from({ length: rows }, (_, i) => 1 - i / 3),
    ],
  };
}

test('writes and reads back a profile table and a folder of plate parts exactly', () => {
  const dir = tempDir();
  writeProfiles(path.join(dir, 'parts', 'plate-1.parquet'), table(1, 3));
  writeProfiles(path.join(dir, 'parts', 'plate-2.parquet'), table(2, 2));
  const back = readProfiles(path.join(dir, 'parts'));
  assert.equal(back.rows, 5);
  assert.deepEqual(back.metadata.Metadata_plate, [1, 1, 1, 2, 2]);
  assert.deepEqual(back.metadata.Metadata_well, ['B02', 'B03', 'B04', 'B02', 'B03']);
  assert.deepEqual(back.metadata.Metadata_sirna, [null, 1, 2, null, 1]);
  assert.deepEqual([...back.columns[0]], [100.25, 101.25, 102.25, 200.25, 201.25]);
  assert.deepEqual(back.columns[1], Float32Array.from([1, 1 - 1 / 3, 1 - 2 / 3, 1, 1 - 1 / 3]));
  assert.deepEqual(
    fs.readdirSync(path.join(dir, 'parts')).sort(),
    ['plate-1.parquet', 'plate-2.parquet'],
    'no temporary files left',
  );
  const only = readProfiles(path.join(dir, 'parts', 'plate-2.parquet'), {
    features: ['Nuclei_Intensity_MeanIntensity_w1'],
  });
  assert.deepEqual(only.features, ['Nuclei_Intensity_MeanIntensity_w1']);
});

test('an embedding folder reads as its site table (EMB/sites), the well table stays EMB/wells', () => {
  const emb = path.join(tempDir(), 'emb');
  writeProfiles(path.join(emb, 'sites', 'E-1_1.parquet'), table(1, 3));
  writeProfiles(path.join(emb, 'wells', 'E-1_1.parquet'), table(1, 2));
  assert.equal(readProfiles(emb).rows, 3);
  assert.equal(readProfiles(path.join(emb, 'wells')).rows, 2);
  assert.throws(() => readProfiles(path.join(emb, 'wells', '..', '..')), /holds no \.parquet parts/);
});

test('row selection, concatenation and row-major layout', () => {
  const t = concatTables([table(1, 3), table(2, 2)]);
  const picked = selectRows(t, [4, 0]);
  assert.deepEqual(picked.metadata.Metadata_plate, [2, 1]);
  assert.deepEqual([...fromColumns(picked.columns).data], [201.25, 1 - 1 / 3, 100.25, 1].map(Math.fround));
});

test('bad tables and files fail with a message naming the column or file', () => {
  const bad = table(1, 2);
  bad.columns[1] = new Float32Array(5);
  assert.throws(
    () => writeProfiles(path.join(tempDir(), 'x.parquet'), bad),
    /feature column "Nuclei_Intensity_MeanIntensity_w1" has 5 values, expected 2/,
  );
  const file = path.join(tempDir(), 'junk.parquet');
  fs.writeFileSync(file, 'not parquet');
  assert.throws(() => readProfiles(file), /junk\.parquet: cannot be read as a profile table/);
});
