/**
 * Folders served by other storages, as one read-only Storage: how a Kaggle-layout dataset whose images are still in
 * train.zip and test.zip reads `train/HEPG2-01/Plate1/B02_s1_w1.png` from train.zip's `HEPG2-01/Plate1/...`.
 */
import { folderPrefix, type ObjectInfo, type Storage, StorageError } from './storage.js';

export interface Mount {
  /** Folder prefix ('train/'), ending in '/'. */
  prefix: string;
  storage: Storage;
}

export class MountStorage implements Storage {
  readonly writable = false;

  constructor(
    readonly location: string,
    private readonly mounts: readonly Mount[],
  ) {}

  localPath(): null {
    return null;
  }

  #route(key: string): { storage: Storage; key: string } {
    for (const mount of this.mounts)
      if (key.startsWith(mount.prefix)) return { storage: mount.storage, key: key.slice(mount.prefix.length) };
    throw new StorageError(
      'not_found',
      this.location,
      key,
      `not below any mounted folder (${this.mounts.map((m) => m.prefix).join(', ')})`,
    );
  }

  read(key: string): Promise<Uint8Array> {
    const route = this.#route(key);
    return route.storage.read(route.key);
  }

  readRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const route = this.#route(key);
    return route.storage.readRange(route.key, start, end);
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const mount = this.mounts.find((m) => key.startsWith(m.prefix));
    if (!mount) return null;
    const info = await mount.storage.stat(key.slice(mount.prefix.length));
    return info ? { ...info, key } : null;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const folder = folderPrefix(prefix);
    const found: ObjectInfo[] = [];
    for (const mount of this.mounts) {
      if (folder.startsWith(mount.prefix)) {
        for (const info of await mount.storage.list(folder.slice(mount.prefix.length)))
          found.push({ ...info, key: mount.prefix + info.key });
      } else if (mount.prefix.startsWith(folder)) {
        for (const info of await mount.storage.list('')) found.push({ ...info, key: mount.prefix + info.key });
      }
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async folders(prefix: string): Promise<string[]> {
    const folder = folderPrefix(prefix);
    const names = new Set<string>();
    for (const mount of this.mounts) {
      if (folder.startsWith(mount.prefix))
        for (const name of await mount.storage.folders(folder.slice(mount.prefix.length))) names.add(name);
      else if (mount.prefix.startsWith(folder)) names.add(mount.prefix.slice(folder.length).split('/')[0]);
    }
    return [...names].sort();
  }

  write(key: string): Promise<void> {
    return Promise.reject(new StorageError('read_only', this.location, key, 'mounted archives are read-only'));
  }

  remove(key: string): Promise<void> {
    return this.write(key);
  }
}
