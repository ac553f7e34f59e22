/** A local folder as a Storage: keys are paths below it; writes go to a temporary name, then rename. */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/files.js';
import { checkKey, folderPrefix, type ObjectInfo, type Storage, StorageError } from './storage.js';

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

export class LocalStorage implements Storage {
  readonly location: string;

  constructor(folder: string) {
    this.location = path.resolve(folder);
  }

  get writable(): boolean {
    try {
      fs.accessSync(this.location, fs.constants.W_OK);
      // As root access() allows writing into a folder marked read-only: the mode bits decide.
      return (fs.statSync(this.location).mode & 0o200) !== 0;
    } catch {
      // A folder that does not exist yet is writable when its nearest existing parent is.
      const parent = path.dirname(this.location);
      return parent !== this.location && !fs.existsSync(this.location) && new LocalStorage(parent).writable;
    }
  }

  localPath(key: string): string {
    checkKey(this.location, key);
    return key === '' ? this.location : path.join(this.location, ...key.split('/'));
  }

  #fail(key: string, error: unknown): never {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR')
      throw new StorageError('not_found', this.location, key, 'missing file');
    throw new StorageError('io', this.location, key, `cannot read (${code ?? (error as Error).message})`);
  }

  async read(key: string): Promise<Uint8Array> {
    try {
      return await fs.promises.readFile(this.localPath(key));
    } catch (error) {
      if (error instanceof StorageError) throw error;
      return this.#fail(key, error);
    }
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array> {
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(this.localPath(key), 'r');
      const buffer = Buffer.alloc(Math.max(0, end - start));
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled < buffer.length)
        throw new StorageError(
          'io',
          this.location,
          key,
          `bytes ${start}..${end} requested, the file ends at ${start + filled}`,
        );
      return buffer;
    } catch (error) {
      if (error instanceof StorageError) throw error;
      return this.#fail(key, error);
    } finally {
      await handle?.close();
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const stat = await fs.promises.stat(this.localPath(key)).catch(() => null);
    return stat?.isFile() ? { key, size: stat.size, modifiedMs: stat.mtimeMs } : null;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const folder = folderPrefix(prefix);
    const found: ObjectInfo[] = [];
    const walk = async (relative: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(this.localPath(relative.replace(/\/$/, '')), { withFileTypes: true });
      } catch (error) {
        if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return;
        throw error;
      }
      const files = entries.filter((entry) => entry.isFile()).map((entry) => `${relative}${entry.name}`);
      const stats = await Promise.all(files.map((key) => fs.promises.stat(this.localPath(key)).catch(() => null)));
      files.forEach((key, i) => {
        const stat = stats[i];
        if (stat) found.push({ key, size: stat.size, modifiedMs: stat.mtimeMs });
      });
      for (const entry of entries) if (entry.isDirectory()) await walk(`${relative}${entry.name}/`);
    };
    await walk(folder);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async folders(prefix: string): Promise<string[]> {
    const folder = folderPrefix(prefix);
    try {
      const entries = await fs.promises.readdir(this.localPath(folder.replace(/\/$/, '')), { withFileTypes: true });
      return entries
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return [];
      throw error;
    }
  }

  async write(key: string, data: Uint8Array | string): Promise<void> {
    const file = this.localPath(key);
    try {
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      writeFileAtomic(file, data);
    } catch (error) {
      throw new StorageError(
        'io',
        this.location,
        key,
        `cannot write (${errorCode(error) ?? (error as Error).message})`,
      );
    }
  }

  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.localPath(key), { force: true });
  }
}
