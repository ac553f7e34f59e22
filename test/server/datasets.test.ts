/** The server over other datasets: the real RxRx1 files (Kaggle layout, read-only) and a simulated one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { decode } from 'fast-png';
import { createServer } from '../../src/server/index.js';
import { loadSite } from '../../src/image/site.js';
import { compositeRgb } from '../../src/image/rgb.js';
import { SHARED_RXRX1, tempDir, needsSample } from '../helpers.js';
import { loadRxrx1Structure } from '../../src/data/rxrx1Structure.js';

const structure = loadRxrx1Structure();

test('the real RxRx1 files (Kaggle layout, read-only folder): dataset, composites, no demo competition', {
  skip: needsSample(),
}, async () => {
  const server = await createServer({
    datasetDir: SHARED_RXRX1,
    db: path.join(tempDir('phenomap-db-'), 'real.sqlite'),
    threads: 1,
  });
  try {
    const body = (await server.inject('/api/dataset')).json();
    assert.equal(body.layout, 'kaggle');
    assert.equal(body.experiments.length, 51);
    assert.equal(body.sites, 125510);
    const wells = (await server.inject('/api/wells?experiment=HEPG2-08&plate=1')).json();
    assert.equal(wells.length, 308);
    const groups = new Set(
      wells
        .filter((w: { wellType: string }) => w.wellType === 'treatment')
        .map((w: { sirnaGroup: number }) => w.sirnaGroup),
    );
    assert.deepEqual(
      [...groups],
      [structure.experiments.find((e) => e.name === 'HEPG2-08')!.plateGroups[0]],
      'unlabelled test wells get their plate group',
    );
    const id = 'U2OS-01_2_B02_1';
    const response = await server.inject(`/api/sites/${id}/composite.png`);
    const [experiment, plate] = id.split('_');
    const tensor = await loadSite(path.join(SHARED_RXRX1, 'images'), {
      dataset: 'train',
      experiment,
      plate: Number(plate),
      well: 'B02',
      site: 1,
    });
    assert.ok(Buffer.from(decode(response.rawPayload).data as Uint8Array).equals(Buffer.from(compositeRgb(tensor))));
    const incomplete = (await server.inject('/api/sites/U2OS-01_2_B02_2')).json();
    assert.deepEqual(
      incomplete.channels.map((c: { present: boolean }) => c.present),
      [true, true, true, true, false, false],
    );
    assert.equal((await server.inject('/api/competition')).statusCode, 404);
  } finally {
    await server.close();
  }
});

test('a simulated dataset gets its demo competition by default', { skip: needsSample() }, async () => {
  const simulator = (await import(['..', '..', 'src', 'data', 'simulate', 'index.js'].join('/')).catch(() => null)) as
    | typeof import('../../src/data/simulate/index.js')
    | null;
  if (!simulator) return;
  const out = path.join(tempDir('phenomap-sim-'), 'data');
  await simulator.simulate({
    out,
    preset: {
      experiments: ['HEPG2-01', 'HUVEC-17'],
      groups: [0],
      sirnasPerGroup: 3,
      replicates: 1,
      positiveControls: 1,
    },
    seed: 1,
    threads: 1,
  });
  const server = await createServer({
    datasetDir: out,
    db: path.join(tempDir('phenomap-db-'), 'sim.sqlite'),
    threads: 1,
  });
  try {
    const wells = (await server.inject('/api/wells?dataset=test&wellType=treatment')).json();
    assert.ok(wells.length > 0);
    const info = (await server.inject('/api/competition')).json();
    assert.equal(info.ids, wells.length);
    const sample = [
      'id_code,sirna',
      ...wells.map((w: { wellId: string; sirnaId: number }) => `${w.wellId},${w.sirnaId}`),
    ].join('\n');
    const { token } = (
      await server.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'sim' } })
    ).json();
    const result = await server.inject({
      method: 'POST',
      url: '/api/competition/submissions',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: sample,
    });
    assert.equal(result.json().submission.publicScore, 1);
  } finally {
    await server.close();
  }
});
