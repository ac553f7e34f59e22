/**
 * PNG codec for microscopy channels. Hand-written fast path because no npm decoder reaches PIL's speed on
 * 8-bit grayscale (measured per 6-channel site: fast-png 28 ms, sharp 15-29 ms, @napi-rs/image 15 ms,
 * PIL 16 ms); this one inflates with Node's native zlib and unfilters in a typed-array loop (~6 ms).
 * Anything other than non-interlaced 8-bit grayscale/RGB falls back to the fast-png library.
 */
import zlib from 'node:zlib';
import { decode as decodeWithFastPng } from 'fast-png';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOR_GRAY = 0;
const COLOR_RGB = 2;

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
  interlace: number;
}

export class PngError extends Error {
  override name = 'PngError';
}

/** Throws unless `buf` starts with the PNG signature and holds at least the signature and an IHDR. */
function checkSignature(buf: Buffer): void {
  if (buf.length < 33 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new PngError('not a PNG file (bad signature)');
}

/**
 * Walks the chunks from the signature to IEND, checking from the chunk lengths alone that each fits in the file, and
 * calls `visit` with each chunk's type, data and offset. Throws PngError for a truncated file (a chunk running past
 * the end, or no IEND) or one without IHDR first or without IDAT.
 */
function walkChunks(buf: Buffer, visit: (type: string, data: Buffer, offset: number) => void): void {
  checkSignature(buf);
  let offset = 8;
  let sawData = false;
  while (offset + 8 <= buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const dataEnd = offset + 8 + length;
    if (dataEnd + 4 > buf.length)
      throw new PngError(
        `truncated PNG: chunk ${JSON.stringify(type)} at byte ${offset} holds ${length} bytes, past the end of the ` +
          `file (${buf.length} bytes)`,
      );
    if (offset === 8 && type !== 'IHDR') throw new PngError('corrupt PNG: the first chunk is not a 13-byte IHDR');
    if (type === 'IEND') {
      if (!sawData) throw new PngError('corrupt PNG: no IDAT chunk');
      return;
    }
    sawData ||= type === 'IDAT';
    visit(type, buf.subarray(offset + 8, dataEnd), offset);
    offset = dataEnd + 4;
  }
  throw new PngError(
    sawData
      ? `truncated PNG: the file ends after ${buf.length} bytes without an IEND chunk`
      : 'corrupt PNG: no IDAT chunk',
  );
}

function readChunks(png: Uint8Array): { header: PngHeader; idat: Uint8Array[] } {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  let header: PngHeader | null = null;
  const idat: Uint8Array[] = [];
  walkChunks(buf, (type, data, offset) => {
    if (type === 'IHDR') header = parseHeader(buf, offset);
    else if (type === 'IDAT') idat.push(data);
  });
  return { header: header!, idat };
}

/** Reads only the IHDR of a PNG (the first chunk): no inflate, no walk over the image data. */
export function readPngHeader(png: Uint8Array): PngHeader {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  checkSignature(buf);
  return parseHeader(buf, 8);
}

/**
 * The IHDR of a PNG, after checking the file's structure without inflating anything: every chunk's length fits in
 * the file, IDAT is there and IEND ends it. Catches truncated files (what `check --decode header` needs); corrupt
 * compressed data still needs a full decode.
 */
export function readPngStructure(png: Uint8Array): PngHeader {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const header = readPngHeader(buf);
  walkChunks(buf, () => undefined);
  return header;
}

function parseHeader(buf: Buffer, offset: number): PngHeader {
  if (buf.toString('latin1', offset + 4, offset + 8) !== 'IHDR' || buf.readUInt32BE(offset) !== 13)
    throw new PngError('corrupt PNG: the first chunk is not a 13-byte IHDR');
  if (zlib.crc32(buf.subarray(offset + 4, offset + 21)) !== buf.readUInt32BE(offset + 21))
    throw new PngError('corrupt PNG: IHDR CRC mismatch');
  const data = buf.subarray(offset + 8, offset + 21);
  return {
    width: data.readUInt32BE(0),
    height: data.readUInt32BE(4),
    bitDepth: data[8],
    colorType: data[9],
    interlace: data[12],
  };
}

/**
 * Paeth predictor minus upLeft, indexed by `((up - upLeft) & 511) << 9 | ((left - upLeft) & 511)`: one table
 * load replaces the three absolute values and two comparisons (microscopy rows are noisy, so branches would
 * mispredict) and halves the per-pixel work. 512 KiB, built once per process.
 */
const PAETH_OFFSET = (() => {
  const table = new Int16Array(512 * 512);
  for (let da = -255; da <= 255; da++) {
    for (let db = -255; db <= 255; db++) {
      // PNG spec: pa = |b - c|, pb = |a - c|, pc = |a + b - 2c|; ties prefer a (left), then b (up).
      const pa = Math.abs(da);
      const pb = Math.abs(db);
      const pc = Math.abs(da + db);
      table[((da & 511) << 9) | (db & 511)] = pa <= pb && pa <= pc ? db : pb <= pc ? da : 0;
    }
  }
  return table;
})();

function paeth(filtered: number, left: number, up: number, upLeft: number): number {
  return (filtered + upLeft + PAETH_OFFSET[(((up - upLeft) & 511) << 9) | ((left - upLeft) & 511)]) & 255;
}

function unfilterPaethRow(raw: Uint8Array, src: number, out: Uint8Array, dst: number, width: number): void {
  const prev = dst - width;
  let upLeft = out[prev];
  let left = (raw[src] + upLeft) & 255;
  out[dst] = left;
  for (let x = 1; x < width; x++) {
    const up = out[prev + x];
    left = paeth(raw[src + x], left, up, upLeft);
    out[dst + x] = left;
    upLeft = up;
  }
}

/**
 * Two consecutive Paeth rows in one pass: each row's left-to-right dependency chain is serial, so running the
 * second row one pixel behind the first (its "up" is the value just computed) doubles instruction-level
 * parallelism (~2x on real RxRx1 channels, where nearly every row is Paeth-filtered).
 */
function unfilterPaethRowPair(raw: Uint8Array, src: number, out: Uint8Array, dst: number, width: number): void {
  const prev = dst - width;
  const src2 = src + width + 1;
  const dst2 = dst + width;
  let upLeft = out[prev];
  let left = (raw[src] + upLeft) & 255;
  out[dst] = left;
  let upLeft2 = left;
  let left2 = (raw[src2] + left) & 255;
  out[dst2] = left2;
  for (let x = 1; x < width; x++) {
    const up = out[prev + x];
    left = paeth(raw[src + x], left, up, upLeft);
    out[dst + x] = left;
    upLeft = up;
    left2 = paeth(raw[src2 + x], left2, left, upLeft2);
    out[dst2 + x] = left2;
    upLeft2 = left;
  }
}

/** Reverses PNG scanline filters of 8-bit grayscale rows from `raw` (filter byte + row) into `out` at `outOffset`. */
function unfilterGray8(raw: Uint8Array, out: Uint8Array, outOffset: number, width: number, height: number): void {
  const stride = width + 1;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * stride];
    const src = y * stride + 1;
    const dst = outOffset + y * width;
    const prev = dst - width;
    // With no row above, Up is None, Average halves Sub, and Paeth is Sub.
    const effective = y > 0 ? filter : filter === 2 ? 0 : filter === 4 ? 1 : filter;
    switch (effective) {
      case 0:
        out.set(raw.subarray(src, src + width), dst);
        break;
      case 1: {
        let left = 0;
        for (let x = 0; x < width; x++) out[dst + x] = left = (raw[src + x] + left) & 255;
        break;
      }
      case 2:
        for (let x = 0; x < width; x++) out[dst + x] = (raw[src + x] + out[prev + x]) & 255;
        break;
      case 3: {
        let left = 0;
        for (let x = 0; x < width; x++)
          out[dst + x] = left = (raw[src + x] + ((left + (y > 0 ? out[prev + x] : 0)) >> 1)) & 255;
        break;
      }
      case 4:
        if (y + 1 < height && raw[(y + 1) * stride] === 4) {
          unfilterPaethRowPair(raw, src, out, dst, width);
          y++;
        } else {
          unfilterPaethRow(raw, src, out, dst, width);
        }
        break;
      default:
        throw new PngError(`corrupt PNG: unknown filter type ${filter} on row ${y}`);
    }
  }
}

/**
 * Decodes an 8-bit grayscale PNG into `out` (width*height bytes at `outOffset`), or into a new array.
 * Throws PngError when the file is not `expected` size or not 8-bit grayscale.
 */
export function decodeGray8(
  png: Uint8Array,
  expected?: { width: number; height: number },
  out?: Uint8Array,
  outOffset = 0,
): { width: number; height: number; pixels: Uint8Array } {
  const { header, idat } = readChunks(png);
  const { width, height } = header;
  if (expected && (width !== expected.width || height !== expected.height)) {
    throw new PngError(`image is ${width}x${height}, expected ${expected.width}x${expected.height}`);
  }
  const target = out ?? new Uint8Array(width * height);
  if (target.length < outOffset + width * height)
    throw new PngError(`output buffer too small for a ${width}x${height} image`);
  if (header.bitDepth === 8 && header.colorType === COLOR_GRAY && header.interlace === 0) {
    let raw: Uint8Array;
    try {
      // One output chunk of the expected size spares zlib's 16 KiB chunking and the final concatenation.
      const chunkSize = Math.max(zlib.constants.Z_MIN_CHUNK, (width + 1) * height);
      const inflated = zlib.inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { chunkSize });
      // A plain Uint8Array view keeps the unfilter loops monomorphic (Buffer is a subclass).
      raw = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length);
    } catch (error) {
      throw new PngError(`corrupt PNG: image data does not inflate (${(error as Error).message})`);
    }
    if (raw.length < (width + 1) * height)
      throw new PngError(`truncated PNG: image data holds ${raw.length} bytes, expected ${(width + 1) * height}`);
    unfilterGray8(raw, target, outOffset, width, height);
    return { width, height, pixels: target.subarray(outOffset, outOffset + width * height) };
  }
  let decoded: ReturnType<typeof decodeWithFastPng>;
  try {
    decoded = decodeWithFastPng(png);
  } catch (error) {
    throw new PngError(`corrupt PNG: ${(error as Error).message}`);
  }
  if (decoded.channels !== 1 || decoded.depth !== 8) {
    throw new PngError(`image is ${decoded.depth}-bit with ${decoded.channels} channel(s), expected 8-bit grayscale`);
  }
  target.set(decoded.data as Uint8Array, outOffset);
  return { width, height, pixels: target.subarray(outOffset, outOffset + width * height) };
}

/** Encodes 8-bit gray (channels 1) or RGB (channels 3) pixels, row-major interleaved, as a PNG with the Up filter. */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3, level = 6): Buffer {
  const rowBytes = width * channels;
  if (pixels.length !== rowBytes * height)
    throw new PngError(
      `encodePng: ${pixels.length} bytes given, expected ${rowBytes * height} for ${width}x${height}x${channels}`,
    );
  const raw = Buffer.allocUnsafe((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const dst = y * (rowBytes + 1);
    const src = y * rowBytes;
    if (y === 0) {
      raw[dst] = 0;
      raw.set(pixels.subarray(0, rowBytes), 1);
    } else {
      raw[dst] = 2;
      for (let x = 0; x < rowBytes; x++) raw[dst + 1 + x] = (pixels[src + x] - pixels[src - rowBytes + x]) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 1 ? COLOR_GRAY : COLOR_RGB;
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(zlib.crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
