import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { decodeGray8, encodePng, readPngHeader, readPngStructure } from '../../src/codec/png.js';
import { SHARED_RXRX1, needsSample } from '../helpers.js';

const REAL = path.join(SHARED_RXRX1, 'images/train/HEPG2-01/Plate1/B02_s1_w1.png');

test('decodes a real RxRx1 channel to the values PIL gives', { skip: needsSample() }, () => {
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

test('rejects wrong sizes, non-gray images and garbage with clear messages', { skip: needsSample() }, () => {
  const png = fs.readFileSync(REAL);
  assert.throws(() => decodeGray8(png, { width: 256, height: 256 }), /image is 512x512, expected 256x256/);
  assert.throws(() => decodeGray8(encodePng(new Uint8Array(12), 2, 2, 3)), /expected 8-bit grayscale/);
  assert.throws(() => decodeGray8(Buffer.from('hello world, not a png at all....')), /bad signature/);
  assert.throws(() => decodeGray8(png.subarray(0, 5000)), /truncated|inflate/);
});

/** Deterministic pseudo-random bytes (mulberry32). */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    out[i] = (t ^ (t >>> 14)) >>> 24;
  }
  return out;
}

/** PNG spec Paeth predictor, written the textbook way (independent of the decoder's table). */
function paethPredictor(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Forward-filters gray rows with the given filter type per row (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth). */
function filterRows(pixels: Uint8Array, width: number, height: number, filters: number[]): Buffer {
  const raw = Buffer.alloc((width + 1) * height);
  const at = (x: number, y: number) => (x < 0 || y < 0 ? 0 : pixels[y * width + x]);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = filters[y];
    for (let x = 0; x < width; x++) {
      const a = at(x - 1, y);
      const b = at(x, y - 1);
      const c = at(x - 1, y - 1);
      const predictor = [0, a, b, (a + b) >> 1, paethPredictor(a, b, c)][filters[y]];
      raw[y * (width + 1) + 1 + x] = (pixels[y * width + x] - predictor) & 255;
    }
  }
  return raw;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit gray PNG whose zlib stream is split over IDAT chunks of `idatSize` bytes (plus an empty one and a tEXt). */
function grayPng(pixels: Uint8Array, width: number, height: number, filters: number[], idatSize = Infinity): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  const stream = zlib.deflateSync(filterRows(pixels, width, height, filters));
  const idats: Buffer[] = [];
  for (let start = 0; start < stream.length; start += idatSize)
    idats.push(pngChunk('IDAT', stream.subarray(start, start + idatSize)));
  if (idats.length > 1) idats.splice(1, 0, pngChunk('IDAT', new Uint8Array(0)));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', ihdr),
    pngChunk('tEXt', Buffer.from('Comment\0filter test')),
    ...idats,
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

test('decodes every filter type, on the first row and below, including runs of Paeth rows', () => {
  const width = 37;
  const height = 23;
  const pixels = randomBytes(width * height, 7);
  const patterns: [string, (y: number) => number][] = [
    ...[0, 1, 2, 3, 4].map((k): [string, (y: number) => number] => [`cycle from ${k}`, (y) => (y + k) % 5]),
    ['all Paeth (odd height: pairs then a single row)', () => 4],
    ['Paeth runs of 3 between Sub rows', (y) => (y % 4 === 3 ? 1 : 4)],
    ['Paeth then Average alternating', (y) => (y % 2 ? 3 : 4)],
  ];
  for (const [name, filterOf] of patterns) {
    const filters = Array.from({ length: height }, (_, y) => filterOf(y));
    const decoded = decodeGray8(grayPng(pixels, width, height, filters));
    assert.deepEqual(decoded.pixels, pixels, name);
  }
});

test('Paeth decoding matches the spec predictor on noise, flat and saturated images, and one-pixel-wide ones', () => {
  const cases: [string, Uint8Array, number, number][] = [
    ['512x512 noise', randomBytes(512 * 512, 11), 512, 512],
    ['noise on 0/255 only', randomBytes(64 * 64, 3).map((v) => (v & 1 ? 255 : 0)), 64, 64],
    ['gradient', new Uint8Array(128 * 65).map((_, i) => ((i % 128) * 2 + Math.floor(i / 128)) & 255), 128, 65],
    ['width 1', randomBytes(9, 5), 1, 9],
  ];
  for (const [name, pixels, width, height] of cases) {
    const decoded = decodeGray8(grayPng(pixels, width, height, new Array(height).fill(4)));
    assert.deepEqual(decoded.pixels, pixels, name);
  }
});

test('Paeth decoding is exact for every reachable (up - upLeft, left - upLeft) pair', () => {
  // The predictor minus upLeft depends only on these two differences: one representative of each, in
  // independent 2x2 blocks (upLeft, up / left, pixel) of a two-row image.
  const row0: number[] = [];
  const row1: number[] = [];
  for (let da = -255; da <= 255; da++) {
    for (let db = -255; db <= 255; db++) {
      const c = Math.max(0, -da, -db);
      if (c + da > 255 || c + db > 255) continue;
      row0.push(c, c + da);
      row1.push(c + db, (da * 7 + db) & 255);
    }
  }
  const width = row0.length;
  const pixels = Uint8Array.from([...row0, ...row1]);
  assert.deepEqual(decodeGray8(grayPng(pixels, width, 2, [0, 4])).pixels, pixels);
});

test('decodes image data split over many IDAT chunks, into an offset of a larger buffer', () => {
  const width = 50;
  const height = 40;
  const pixels = randomBytes(width * height, 13);
  const filters = Array.from({ length: height }, (_, y) => y % 5);
  const png = grayPng(pixels, width, height, filters, 97);
  assert.ok(png.toString('latin1').split('IDAT').length - 1 > 10, 'the stream spans more than ten IDAT chunks');
  const out = new Uint8Array(10 + width * height + 10).fill(0xee);
  decodeGray8(png, { width, height }, out, 10);
  assert.deepEqual(out.subarray(10, 10 + width * height), pixels);
  assert.equal(out[9], 0xee);
  assert.equal(out[10 + width * height], 0xee);
});

test('rejects an unknown filter type naming the row', () => {
  const pixels = randomBytes(8 * 4, 1);
  const good = grayPng(pixels, 8, 4, [0, 1, 0, 3]);
  const raw = filterRows(pixels, 8, 4, [0, 1, 0, 3]);
  raw[2 * 9] = 7;
  const idatStart = good.indexOf('IDAT') - 4;
  const bad = Buffer.concat([
    good.subarray(0, idatStart),
    pngChunk('IDAT', zlib.deflateSync(raw)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
  assert.throws(() => decodeGray8(bad), /unknown filter type 7 on row 2/);
});

test('readPngStructure finds truncated files from the chunk lengths alone, without inflating', {
  skip: needsSample(),
}, () => {
  const png = fs.readFileSync(REAL);
  assert.deepEqual(readPngStructure(png), { width: 512, height: 512, bitDepth: 8, colorType: 0, interlace: 0 });
  // Cut inside the image data (the first chunk, IHDR, is intact: readPngHeader alone sees nothing wrong).
  for (const size of [png.length >> 1, 60, png.length - 13]) {
    const cut = png.subarray(0, size);
    assert.deepEqual(readPngHeader(cut).width, 512);
    assert.throws(
      () => readPngStructure(cut),
      new RegExp(
        `^PngError: truncated PNG: chunk "IDAT" at byte \\d+ holds \\d+ bytes, past the end of the file \\(${size} bytes\\)$`,
      ),
    );
  }
  // Cut after the last IDAT, before IEND.
  const withoutEnd = png.subarray(0, png.length - 12);
  assert.throws(
    () => readPngStructure(withoutEnd),
    new RegExp(`^PngError: truncated PNG: the file ends after ${withoutEnd.length} bytes without an IEND chunk$`),
  );
  assert.throws(() => decodeGray8(withoutEnd), /without an IEND chunk/);
  const header = png.subarray(0, 33);
  assert.throws(() => readPngStructure(Buffer.concat([header, png.subarray(-12)])), /^PngError: corrupt PNG: no IDAT/);
});
