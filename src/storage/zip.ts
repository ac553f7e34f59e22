/**
 * A zip archive read in place as a read-only Storage (RxRx1's rxrx1.zip, Kaggle's train.zip / test.zip): yauzl
 * reads the central directory once, then every read is a random-access read of one entry's bytes through the
 * storage that holds the archive (a local file or an S3 object, with ranged GETs), inflated when deflated and
 * checked against the entry's CRC-32. Nothing is extracted. The directory is held compactly (a key -> index map
 * and typed arrays): about 100 bytes an entry, some 75 MB for the 753,060 images of the full RxRx1 archive.
 */
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { folderPrefix, type ObjectInfo, type Storage, StorageError, subfolders } from './storage.js';

/** yauzl's random access through a Storage's ranged reads. */
class StorageReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly storage: Storage,
    private readonly key: string,
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const { storage, key } = this;
    return Readable.from(
      (async function* () {
        yield Buffer.from(await storage.readRange(key, start, end));
      })(),
    );
  }
}

interface Directory {
  zip: yauzl.ZipFile;
  /** Entry name below the inner prefix -> index into the arrays. */
  index: Map<string, number>;
  /** Sorted entry names (for listings). */
  names: string[];
  headerOffset: Float64Array;
  compressedSize: Float64Array;
  size: Float64Array;
  method: Uint8Array;
  crc: Uint32Array;
  modifiedMs: Float64Array;
}

export class ZipStorage implements Storage {
  readonly writable = false;
  #directory: Promise<Directory> | null = null;

  /**
   * @param archive the storage holding the archive file, @param archiveKey its key there, @param inner the folder
   * inside the archive this storage shows ('' for the whole archive, 'rxrx1/' for one folder)
   */
  constructor(
    readonly location: string,
    private readonly archive: Storage,
    private readonly archiveKey: string,
    private readonly inner: string,
  ) {}

  localPath(): null {
    return null;
  }

  #fail(key: string, reason: string, code: 'not_found' | 'io' = 'io'): never {
    throw new StorageError(code, this.location, key, reason);
  }

  async #open(): Promise<Directory> {
    const info = await this.archive.stat(this.archiveKey);
    if (!info) this.#fail('', `no archive at ${this.archive.location}/${this.archiveKey}`, 'not_found');
    const zip = await yauzl.fromRandomAccessReaderPromise(new StorageReader(this.archive, this.archiveKey), info.size, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: true,
      validateEntrySizes: true,
    });
    const found: { name: string; entry: yauzl.Entry }[] = [];
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/') && entry.fileName.startsWith(this.inner))
          found.push({ name: entry.fileName.slice(this.inner.length), entry });
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    }).catch((error: Error) => this.#fail('', `cannot read the zip's central directory (${error.message})`));
    found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const n = found.length;
    const directory: Directory = {
      zip,
      index: new Map(),
      names: found.map(({ name }) => name),
      headerOffset: new Float64Array(n),
      compressedSize: new Float64Array(n),
      size: new Float64Array(n),
      method: new Uint8Array(n),
      crc: new Uint32Array(n),
      modifiedMs: new Float64Array(n),
    };
    found.forEach(({ name, entry }, i) => {
      directory.index.set(name, i);
      directory.headerOffset[i] = entry.relativeOffsetOfLocalHeader;
      directory.compressedSize[i] = entry.compressedSize;
      directory.size[i] = entry.uncompressedSize;
      directory.method[i] = entry.isEncrypted() ? 255 : entry.compressionMethod;
      directory.crc[i] = entry.crc32;
      directory.modifiedMs[i] = entry.getLastModDate().getTime();
    });
    return directory;
  }

  #dir(): Promise<Directory> {
    this.#directory ??= this.#open();
    return this.#directory;
  }

  async read(key: string): Promise<Uint8Array> {
    const dir = await this.#dir();
    const i = dir.index.get(key);
    if (i === undefined) this.#fail(key, 'not in the archive', 'not_found');
    const method = dir.method[i];
    if (method !== 0 && method !== 8)
      this.#fail(key, method === 255 ? 'encrypted entry' : `unsupported compression method ${method}`);
    const compressedSize = dir.compressedSize[i];
    const entry = { relativeOffsetOfLocalHeader: dir.headerOffset[i], compressedSize } as yauzl.Entry;
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      dir.zip.readLocalFileHeader(entry, { minimal: true }, (error, header) => {
        if (error) return reject(error);
        dir.zip.openReadStreamLowLevel(
          header.fileDataStart,
          compressedSize,
          0,
          compressedSize,
          method === 8,
          dir.size[i],
          (streamError, stream) => {
            if (streamError) return reject(streamError);
            const chunks: Buffer[] = [];
            stream.on('data', (chunk: Buffer) => chunks.push(chunk));
            stream.on('error', reject);
            stream.on('end', () => resolve(Buffer.concat(chunks)));
          },
        );
      });
    }).catch((error: Error) => this.#fail(key, `cannot read the entry (${error.message})`));
    if (zlib.crc32(bytes) !== dir.crc[i]) this.#fail(key, 'CRC-32 mismatch: the archive is corrupt');
    return bytes;
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array> {
    return (await this.read(key)).subarray(start, end);
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const dir = await this.#dir();
    const i = dir.index.get(key);
    return i === undefined ? null : { key, size: dir.size[i], modifiedMs: dir.modifiedMs[i] };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const dir = await this.#dir();
    const folder = folderPrefix(prefix);
    // Names are sorted: binary search for the first one in the folder.
    let low = 0;
    let high = dir.names.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (dir.names[mid] < folder) low = mid + 1;
      else high = mid;
    }
    const found: ObjectInfo[] = [];
    for (let i = low; i < dir.names.length && dir.names[i].startsWith(folder); i++)
      found.push({ key: dir.names[i], size: dir.size[i], modifiedMs: dir.modifiedMs[i] });
    return found;
  }

  async folders(prefix: string): Promise<string[]> {
    const keys = (await this.list(prefix)).map((info) => info.key);
    return subfolders(keys, folderPrefix(prefix));
  }

  write(key: string): Promise<void> {
    return Promise.reject(new StorageError('read_only', this.location, key, 'a zip archive is read-only'));
  }

  remove(key: string): Promise<void> {
    return this.write(key);
  }
}
