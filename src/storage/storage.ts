/**
 * The one interface through which datasets and outputs are read and written: a local folder, an S3 prefix or a zip
 * archive read in place all look like a flat set of keys ('train/HEPG2-01/Plate1/B02_s1_w1.png') below a location.
 * Keys use '/' whatever the platform; a write becomes visible only when complete (rename, or one S3 PUT).
 */

/** What a listing or a stat says about one object. */
export interface ObjectInfo {
  /** Key relative to the storage's location. */
  key: string;
  size: number;
  /** Last modification, ms since the epoch (0 when the backend does not know). */
  modifiedMs: number;
}

export interface Storage {
  /** The location this storage was opened from: `openStorage(location)` in any thread or process reopens it. */
  readonly location: string;
  readonly writable: boolean;
  /** The whole object; throws StorageError with code 'not_found' when absent. */
  read(key: string): Promise<Uint8Array>;
  /** Bytes [start, end) of an object (what the zip reader needs for random access). */
  readRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** Size and time of an object, or null when it does not exist. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** Every object below a folder prefix ('' for all, 'a/b/' for one folder), recursively, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** The names of the direct subfolders of a folder prefix, sorted. */
  folders(prefix: string): Promise<string[]>;
  /** Writes an object atomically: readers see the old object or the whole new one, never a part. */
  write(key: string, data: Uint8Array | string): Promise<void>;
  /** Removes an object; no error when it is absent. */
  remove(key: string): Promise<void>;
  /** The local file of a key when this storage is a local folder (for tools that need a path), else null. */
  localPath(key: string): string | null;
}

export type StorageErrorCode = 'not_found' | 'read_only' | 'bad_location' | 'io';

/** A storage operation failed; the message names the location and the key. */
export class StorageError extends Error {
  override name = 'StorageError';

  constructor(
    readonly code: StorageErrorCode,
    readonly location: string,
    readonly key: string,
    reason: string,
  ) {
    super(`${joinKey(location, key)}: ${reason}`);
  }
}

/** `location` and `key` as one printable name (a path, s3://bucket/key, or archive.zip!/entry). */
export function joinKey(location: string, key: string): string {
  if (key === '') return location;
  return location.endsWith('/') || location.endsWith('!') ? `${location}${key}` : `${location}/${key}`;
}

/** Checks a key: relative, '/'-separated, no '..' or empty segments (so no key can leave its location). */
export function checkKey(location: string, key: string): string {
  if (key === '') return key;
  const segments = key.split('/');
  if (key.startsWith('/') || segments.some((s, i) => s === '..' || s === '.' || (s === '' && i < segments.length - 1)))
    throw new StorageError('bad_location', location, key, 'expected a relative key without "." or ".." segments');
  return key;
}

/** A folder prefix: '' or ending with '/'. */
export function folderPrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** The direct subfolders of `prefix` among a sorted list of keys. */
export function subfolders(keys: Iterable<string>, prefix: string): string[] {
  const names = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const slash = key.indexOf('/', prefix.length);
    if (slash > prefix.length) names.add(key.slice(prefix.length, slash));
  }
  return [...names].sort();
}
