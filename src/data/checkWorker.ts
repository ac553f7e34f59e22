import { decodeGray8, readPngStructure } from '../codec/png.js';
import { SITE_SIZE } from '../rxrx1/index.js';
import { openStorage, type Storage, StorageError } from '../storage/index.js';

export type FileProblemKind = 'bad_format' | 'undecodable';
export interface FileProblem {
  file: string;
  kind: FileProblemKind;
  message: string;
}
export interface ValidateTask {
  /** Location of the images (src/storage). */
  imageRoot: string;
  /** Keys below it. */
  files: string[];
  /**
   * 'full' inflates every image (finds corrupt data); 'header' reads the PNG header and walks the chunk lengths
   * (finds truncated files, not corrupt compressed data).
   */
  mode: 'full' | 'header';
}

const EXPECTED = { width: SITE_SIZE, height: SITE_SIZE };

async function validate(images: Storage, file: string, mode: ValidateTask['mode']): Promise<FileProblem | null> {
  let png: Uint8Array;
  try {
    png = await images.read(file);
  } catch (error) {
    const reason = error instanceof StorageError ? error.message : (error as Error).message;
    return { file, kind: 'undecodable', message: `cannot be read (${reason})` };
  }
  let header: ReturnType<typeof readPngStructure>;
  try {
    // The chunk walk costs no inflate and finds truncated files even in header mode.
    header = readPngStructure(png);
  } catch (error) {
    return { file, kind: 'undecodable', message: (error as Error).message };
  }
  if (header.width !== SITE_SIZE || header.height !== SITE_SIZE || header.bitDepth !== 8 || header.colorType !== 0) {
    const colour = header.colorType === 0 ? 'grayscale' : `colour type ${header.colorType}`;
    return {
      file,
      kind: 'bad_format',
      message:
        `${header.width}x${header.height} ${header.bitDepth}-bit ${colour}, expected ${SITE_SIZE}x${SITE_SIZE} ` +
        `8-bit grayscale`,
    };
  }
  if (mode === 'full') {
    try {
      decodeGray8(png, EXPECTED);
    } catch (error) {
      return { file, kind: 'undecodable', message: (error as Error).message };
    }
  }
  return null;
}

/**
 * Worker entry (piscina, by name: a default export makes piscina fall back to an import() that intermittently crashes
 * Node 20): validates a batch of PNG files, returns only the problems.
 */
export async function validateFiles(task: ValidateTask): Promise<FileProblem[]> {
  const images = openStorage(task.imageRoot);
  const problems: FileProblem[] = [];
  for (const file of task.files) {
    const problem = await validate(images, file, task.mode);
    if (problem) problems.push(problem);
  }
  return problems;
}
