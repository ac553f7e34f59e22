import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { channelPath } from '../../src/data/site.js';
import { decodeGray8, encodePng } from '../../src/codec/png.js';
import { loadSites, SiteLoaderPool } from '../../src/image/pool.js';
import { loadSite, PLANE_SIZE, SITE_TENSOR_SIZE, SiteLoadError, type SiteLocation } from '../../src/image/site.js';
import { SHARED_RXRX1, tempDir, needsSample } from '../helpers.js';

const IMAGES = path.join(SHARED_RXRX1, 'images');
const site = (
  experiment: string,
  plate: number,
  siteNumber: number,
  dataset: 'train' | 'test' = 'train',
): SiteLocation => ({ dataset, experiment, plate, well: 'B02', site: siteNumber });
const HEPG2 = site('HEPG2-01', 1, 1);
/** The real incomplete site: w1..w4 only. */
const INCOMPLETE = site('HEPG2-01', 1, 2);

function plane(tensor: Uint8Array, channel: number): Uint8Array {
  return tensor.subarray((channel - 1) * PLANE_SIZE, channel * PLANE_SIZE);
}

function decodeFile(location: SiteLocation, channel: number): Uint8Array {
  return decodeGray8(fs.readFileSync(path.join(IMAGES, channelPath(location, channel)))).pixels;
}

test('loadSite puts channel w1..w6 of a real site at planes 0..5, as decoded one by one', {
  skip: needsSample(),
}, async () => {
  const tensor = await loadSite(IMAGES, HEPG2);
  assert.equal(tensor.length, 6 * 512 * 512);
  for (let channel = 1; channel <= 6; channel++)
    assert.deepEqual(plane(tensor, channel), decodeFile(HEPG2, channel), `w${channel}`);
  // numpy: np.array(Image.open(B02_s1_w1.png)).astype(np.int64).sum() and .flat[1000]
  assert.equal(
    plane(tensor, 1).reduce((sum, v) => sum + v, 0),
    18628944,
  );
  assert.equal(tensor[1000], 16);
});

test('loadSite fills a given tensor in place and rejects one of the wrong size', { skip: needsSample() }, async () => {
  const out = new Uint8Array(SITE_TENSOR_SIZE).fill(7);
  assert.equal(await loadSite(IMAGES, site('RPE-01', 2, 1), out), out);
  assert.deepEqual(plane(out, 6), decodeFile(site('RPE-01', 2, 1), 6));
  await assert.rejects(loadSite(IMAGES, HEPG2, new Uint8Array(100)), /holds 100 bytes, expected 1572864/);
});

test('an incomplete site fails naming the site and each missing file', { skip: needsSample() }, async () => {
  await assert.rejects(loadSite(IMAGES, INCOMPLETE), (error: unknown) => {
    assert.ok(error instanceof SiteLoadError);
    assert.equal(error.siteId, 'HEPG2-01_1_B02_2');
    assert.deepEqual(
      error.problems.map((p) => [path.basename(p.file), p.reason]),
      [
        ['B02_s2_w5.png', 'missing file'],
        ['B02_s2_w6.png', 'missing file'],
      ],
    );
    assert.match(
      error.message,
      /^site HEPG2-01_1_B02_2: .*train\/HEPG2-01\/Plate1\/B02_s2_w5\.png: missing file; .*B02_s2_w6\.png: missing file$/,
    );
    return true;
  });
});

test('a channel subset loads an incomplete site and zero-fills the planes not read', {
  skip: needsSample(),
}, async () => {
  const dirty = new Uint8Array(SITE_TENSOR_SIZE).fill(9);
  const tensor = await loadSite(IMAGES, INCOMPLETE, { out: dirty, channels: [1, 2, 3, 4] });
  for (let channel = 1; channel <= 4; channel++)
    assert.deepEqual(plane(tensor, channel), decodeFile(INCOMPLETE, channel));
  assert.ok(plane(tensor, 5).every((v) => v === 0) && plane(tensor, 6).every((v) => v === 0));
  await assert.rejects(loadSite(IMAGES, HEPG2, { channels: [1, 7] }), /channel 7: expected an integer 1..6/);
  await assert.rejects(loadSite(IMAGES, HEPG2, { channels: [2, 2] }), /each channel may appear once/);
});

/** An image root holding one site whose w4..w6 are wrong in three different ways. */
function brokenSiteRoot(): { root: string; location: SiteLocation } {
  const root = tempDir();
  const location = site('HUVEC-01', 1, 1);
  const dir = path.join(root, 'train/HUVEC-01/Plate1');
  fs.mkdirSync(dir, { recursive: true });
  for (const channel of [1, 2, 3])
    fs.copyFileSync(path.join(IMAGES, channelPath(location, channel)), path.join(root, channelPath(location, channel)));
  fs.writeFileSync(path.join(dir, 'B02_s1_w4.png'), encodePng(new Uint8Array(256 * 256), 256, 256, 1));
  fs.writeFileSync(path.join(dir, 'B02_s1_w5.png'), encodePng(new Uint8Array(512 * 512 * 3), 512, 512, 3));
  fs.writeFileSync(
    path.join(dir, 'B02_s1_w6.png'),
    fs.readFileSync(path.join(IMAGES, channelPath(location, 6))).subarray(0, 20000),
  );
  return { root, location };
}

test('wrong size, non-gray and corrupt files are each named with what is wrong', { skip: needsSample() }, async () => {
  const { root, location } = brokenSiteRoot();
  await assert.rejects(loadSite(root, location), (error: unknown) => {
    assert.ok(error instanceof SiteLoadError);
    assert.equal(error.siteId, 'HUVEC-01_1_B02_1');
    const reasons = Object.fromEntries(error.problems.map((p) => [path.basename(p.file), p.reason]));
    assert.deepEqual(Object.keys(reasons), ['B02_s1_w4.png', 'B02_s1_w5.png', 'B02_s1_w6.png']);
    assert.equal(reasons['B02_s1_w4.png'], 'image is 256x256, expected 512x512');
    assert.match(reasons['B02_s1_w5.png'], /expected 8-bit grayscale/);
    assert.match(reasons['B02_s1_w6.png'], /truncated|inflate/);
    return true;
  });
});

test('SiteLoaderPool loads the same tensor on a worker thread, as a whole transferred buffer', {
  skip: needsSample(),
}, async () => {
  const pool = new SiteLoaderPool({ threads: 2 });
  try {
    const [a, b] = await Promise.all([pool.load(IMAGES, HEPG2), pool.load(IMAGES, site('HEPG2-08', 2, 1, 'test'))]);
    assert.deepEqual(a, await loadSite(IMAGES, HEPG2));
    assert.deepEqual(b, await loadSite(IMAGES, site('HEPG2-08', 2, 1, 'test')));
    assert.equal(a.buffer.byteLength, SITE_TENSOR_SIZE);
    const subset = await pool.load(IMAGES, INCOMPLETE, { channels: [1, 2, 3, 4] });
    assert.deepEqual(subset, await loadSite(IMAGES, INCOMPLETE, { channels: [1, 2, 3, 4] }));
    await assert.rejects(pool.load(IMAGES, INCOMPLETE), (error: unknown) => {
      assert.ok(error instanceof SiteLoadError, 'a worker failure arrives as a SiteLoadError');
      assert.equal(error.siteId, 'HEPG2-01_1_B02_2');
      assert.match(error.message, /B02_s2_w5\.png: missing file; .*B02_s2_w6\.png: missing file/);
      return true;
    });
  } finally {
    await pool.close();
  }
});

test('loadSites yields good sites in input order, reports bad ones and keeps going, with bounded in-flight loads', {
  skip: needsSample(),
}, async () => {
  const { root: brokenRoot } = brokenSiteRoot();
  // Bad sites first, in the middle and last; every good site is a real one.
  const experiments = ['HEPG2-01', 'HUVEC-01', 'RPE-01', 'U2OS-01'];
  const sites: (SiteLocation & { tag: string })[] = [{ ...INCOMPLETE, tag: 'incomplete' }];
  for (const experiment of experiments)
    for (const plate of [1, 2, 3, 4]) sites.push({ ...site(experiment, plate, 1), tag: `${experiment}_${plate}` });
  sites.splice(9, 0, { ...site('NOPE-01', 1, 1), tag: 'absent' });
  sites.push({ ...site('U2OS-01', 3, 2), tag: 'incomplete-2' });
  let pulled = 0;
  let settled = 0;
  let maxOutstanding = 0;
  const counted = (function* () {
    for (const s of sites) {
      pulled++;
      yield s;
    }
  })();
  const errors: [string, Error][] = [];
  const order: string[] = [];
  for await (const { site: loaded, tensor } of loadSites(IMAGES, counted, {
    threads: 2,
    maxInFlight: 3,
    onError: (bad, error) => {
      settled++;
      errors.push([bad.tag, error]);
    },
  })) {
    settled++;
    maxOutstanding = Math.max(maxOutstanding, pulled - settled);
    order.push(loaded.tag);
    if (loaded.tag === 'RPE-01_3') assert.deepEqual(tensor, await loadSite(IMAGES, loaded));
  }
  assert.deepEqual(
    order,
    sites.filter((s) => !s.tag.startsWith('incomplete') && s.tag !== 'absent').map((s) => s.tag),
  );
  assert.deepEqual(
    errors.map(([tag]) => tag),
    ['incomplete', 'absent', 'incomplete-2'],
  );
  assert.ok(errors.every(([, error]) => error instanceof SiteLoadError));
  assert.match(errors[1][1].message, /^site NOPE-01_1_B02_1: .*NOPE-01\/Plate1\/B02_s1_w1\.png: missing file/);
  assert.ok(maxOutstanding <= 3, `at most maxInFlight sites requested ahead (saw ${maxOutstanding})`);

  // A given pool is used and left open; the broken site's three problems arrive together.
  const pool = new SiteLoaderPool({ threads: 1 });
  try {
    const reported: Error[] = [];
    const loaded = [];
    for await (const item of loadSites(brokenRoot, [site('HUVEC-01', 1, 1)], {
      pool,
      onError: (_, error) => reported.push(error),
    }))
      loaded.push(item);
    assert.equal(loaded.length, 0);
    assert.equal((reported[0] as SiteLoadError).problems.length, 3);
    assert.deepEqual(await pool.load(IMAGES, HEPG2), await loadSite(IMAGES, HEPG2));
  } finally {
    await pool.close();
  }
});

test('leaving loadSites early stops its pool', { skip: needsSample() }, async () => {
  const endless = (function* () {
    for (;;) yield HEPG2;
  })();
  let count = 0;
  for await (const { tensor } of loadSites(IMAGES, endless, { threads: 1, maxInFlight: 2 })) {
    assert.equal(tensor.length, SITE_TENSOR_SIZE);
    if (++count === 3) break;
  }
  assert.equal(count, 3);
  // Were the worker left running, this test file would never exit.
});
