import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeGray8, encodePng, readPngHeader } from '../src/image/png.js';
import { SHARED_RXRX1 } from './helpers.js';

const REAL = path.join(SHARED_RXRX1, 'images/train/HEPG2-01/Plate1/B02_s1_w1.png');

test('decodes a real RxRx1 channel to the values PIL gives', () => {
  const { width, height, pixels } = decodeGray8(fs.readFileSync(REAL));
  assert.equal(width, 512);
  assert.equal(height, 512);
  // numpy: np.array(Image.open(path)).astype(np.int64).sum(), .flat[1000]
  let sum = 0;
  for (const value of pixels) sum += value;
  assert.equal(sum, 18628944);
  assert.equal(pixels[1000], 16);
});

test('encode then decode is lossless for gray and keeps the header for RGB', () => {
  const gray = new Uint8Array(37 * 11).map((_, i) => (i * 97 + (i >> 3) * 13) & 255);
  assert.deepEqual(decodeGray8(encodePng(gray, 37, 11, 1)).pixels, gray);
  const rgb = encodePng(new Uint8Array(5 * 4 * 3), 5, 4, 3);
  assert.deepEqual(readPngHeader(rgb), { width: 5, height: 4, bitDepth: 8, colorType: 2, interlace: 0 });
});

test('rejects wrong sizes, non-gray images and garbage with clear messages', () => {
  const png = fs.readFileSync(REAL);
  assert.throws(() => decodeGray8(png, { width: 256, height: 256 }), /image is 512x512, expected 256x256/);
  assert.throws(() => decodeGray8(encodePng(new Uint8Array(12), 2, 2, 3)), /expected 8-bit grayscale/);
  assert.throws(() => decodeGray8(Buffer.from('hello world, not a png at all....')), /bad signature/);
  assert.throws(() => decodeGray8(png.subarray(0, 5000)), /truncated|inflate/);
});
