/**
 * Opening a storage from its location, the one string that names it in any thread, process or machine:
 *   /data/rxrx1 or data/rxrx1     a local folder
 *   s3://bucket/prefix            an S3 prefix (src/storage/s3.ts: endpoint and credentials from AWS_* variables)
 *   /data/rxrx1.zip               a zip archive read in place (also s3://bucket/rxrx1.zip)
 *   zip:/data/rxrx1.zip!/rxrx1/   a folder inside an archive
 *   mount:{"train/":"zip:/d/train.zip!/","test/":"zip:/d/test.zip!/"}   folders served by other storages
 * A storage is opened once per thread and location, and reused.
 */
import path from 'node:path';
import { LocalStorage } from './local.js';
import { MountStorage } from './mount.js';
import { S3Storage } from './s3.js';
import { folderPrefix, type Storage, StorageError } from './storage.js';
import { ZipStorage } from './zip.js';

export { type ObjectInfo, type Storage, StorageError, type StorageErrorCode, joinKey } from './storage.js';

const opened = new Map<string, Storage>();

function isS3(location: string): boolean {
  return location.startsWith('s3://');
}

/** The storage holding a file location and the file's key in it (for archives). */
function parentOf(fileLocation: string): { parent: Storage; key: string } {
  if (isS3(fileLocation)) {
    const slash = fileLocation.lastIndexOf('/');
    if (slash < 'S3://x'.length) throw new StorageError('bad_location', fileLocation, '', 'expected s3://bucket/key');
    return { parent: openStorage(fileLocation.slice(0, slash)), key: fileLocation.slice(slash + 1) };
  }
  const file = path.resolve(fileLocation);
  return { parent: openStorage(path.dirname(file)), key: path.basename(file) };
}

function create(location: string): Storage {
  if (location.startsWith('mount:')) {
    let mounts: Record<string, string>;
    try {
      mounts = JSON.parse(location.slice('mount:'.length)) as Record<string, string>;
    } catch (error) {
      throw new StorageError('bad_location', location, '', `expected mount:{JSON} (${(error as Error).message})`);
    }
    return new MountStorage(
      location,
      Object.entries(mounts).map(([prefix, target]) => ({
        prefix: folderPrefix(prefix),
        storage: openStorage(target),
      })),
    );
  }
  if (location.startsWith('zip:')) {
    const bang = location.indexOf('!/');
    const archive = bang < 0 ? location.slice(4) : location.slice(4, bang);
    const inner = bang < 0 ? '' : folderPrefix(location.slice(bang + 2));
    const { parent, key } = parentOf(archive);
    return new ZipStorage(location, parent, key, inner);
  }
  if (/\.zip$/i.test(location)) return openStorage(`zip:${location}!/`);
  if (isS3(location)) return new S3Storage(location.replace(/\/+$/, ''));
  return new LocalStorage(location);
}

/** The storage at `location` (see the module comment), opened once per thread. */
export function openStorage(location: string): Storage {
  const key = location.startsWith('s3://') || location.includes(':') ? location : path.resolve(location);
  let storage = opened.get(key);
  if (!storage) {
    storage = create(location);
    opened.set(key, storage);
    if (storage.location !== key) opened.set(storage.location, storage);
  }
  return storage;
}

/** The location of a folder below another location (`sub` is a '/'-separated key prefix). */
export function subLocation(location: string, sub: string): string {
  if (sub === '') return location;
  if (location.startsWith('zip:')) {
    const bang = location.indexOf('!/');
    return bang < 0
      ? `${location}!/${folderPrefix(sub)}`
      : `${location.slice(0, bang + 2)}${folderPrefix(location.slice(bang + 2))}${folderPrefix(sub)}`.replace(
          /!\/\//,
          '!/',
        );
  }
  if (/\.zip$/i.test(location) && !isS3(location)) return subLocation(`zip:${location}!/`, sub);
  if (isS3(location)) return `${location.replace(/\/+$/, '')}/${sub.replace(/\/+$/, '')}`;
  return path.join(location, ...sub.split('/').filter(Boolean));
}

/** True for a location that is a plain local folder (no archive, no S3). */
export function isLocalFolder(location: string): boolean {
  return !isS3(location) && !location.startsWith('zip:') && !location.startsWith('mount:') && !/\.zip$/i.test(location);
}
