import type { LayoutKind } from '../rxrx1/index.js';
import { isLocalFolder, joinKey, openStorage, type Storage, StorageError, subLocation } from '../storage/index.js';

/**
 * The two ways RxRx1 was published. `official`: metadata.csv + images/{dataset}/... (rxrx.ai release).
 * `kaggle`: train.csv, test.csv, train_controls.csv, test_controls.csv + {train,test}/... (the 2019
 * competition). Metadata may sit in the dataset folder itself or in its metadata/ subfolder, images in
 * images/ or directly beside the metadata. The dataset may be a local folder, an s3:// prefix, or the archive as
 * released, read in place: rxrx1.zip (its one top folder holds the dataset), or Kaggle's CSVs beside train.zip and
 * test.zip (src/storage).
 */
export interface DatasetLayout {
  /** Where the dataset is (src/storage location): the absolute path of a local folder, s3://..., or a .zip. */
  root: string;
  kind: LayoutKind;
  /** Printable names of the metadata files found (absolute paths for a local folder). */
  metadataFiles: string[];
  /** The same files as keys below `root`. */
  metadataKeys: string[];
  /** Location of the folder holding {dataset}/{experiment}/Plate{p}/... */
  imageRoot: string;
}

export const KAGGLE_FILES = ['train.csv', 'test.csv', 'train_controls.csv', 'test_controls.csv'] as const;

/** Raised when a location is not a readable dataset at all (check exits 2 on it). */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

interface Found {
  kind: LayoutKind;
  base: string;
  keys: string[];
}

/** The metadata below `base` ('' or 'folder/'): metadata.csv or the Kaggle CSVs, there or in its metadata/. */
async function findMetadata(storage: Storage, base: string): Promise<Found | null> {
  for (const metadataDir of [base, `${base}metadata/`]) {
    if (await storage.stat(`${metadataDir}metadata.csv`))
      return { kind: 'official', base, keys: [`${metadataDir}metadata.csv`] };
    const kaggle: string[] = [];
    for (const name of KAGGLE_FILES)
      if (await storage.stat(`${metadataDir}${name}`)) kaggle.push(`${metadataDir}${name}`);
    if (kaggle.length > 0) return { kind: 'kaggle', base, keys: kaggle };
  }
  return null;
}

/** Kaggle's images still zipped: train.zip / test.zip beside the CSVs, mounted as the train/ and test/ folders. */
async function kaggleZips(storage: Storage, root: string, base: string): Promise<string | null> {
  const mounts: Record<string, string> = {};
  for (const dataset of ['train', 'test']) {
    if (!(await storage.stat(`${base}${dataset}.zip`))) continue;
    const archive = subLocation(root, `${base}${dataset}.zip`).replace(/\/$/, '');
    const zip = openStorage(archive);
    // The archive holds the experiment folders, or one train/ (test/) folder holding them.
    const top = await zip.folders('');
    mounts[`${dataset}/`] = top.length === 1 && top[0] === dataset ? subLocation(archive, `${dataset}/`) : archive;
  }
  return Object.keys(mounts).length > 0 ? `mount:${JSON.stringify(mounts)}` : null;
}

async function locate(root: string, storage: Storage): Promise<DatasetLayout> {
  let found = await findMetadata(storage, '');
  // An archive as released holds the dataset in one top folder (rxrx1.zip: rxrx1/).
  if (!found) for (const folder of await storage.folders('')) found ??= await findMetadata(storage, `${folder}/`);
  if (!found)
    throw new DatasetError(
      `${root}: no RxRx1 metadata found (expected metadata.csv, or Kaggle's ` +
        `train.csv/test.csv/train_controls.csv/test_controls.csv, in the folder or its metadata/ subfolder)`,
    );
  const folders = await storage.folders(found.base);
  let imageRoot = subLocation(root, folders.includes('images') ? `${found.base}images` : found.base);
  if (found.kind === 'kaggle' && !folders.includes('images') && !folders.includes('train') && !folders.includes('test'))
    imageRoot = (await kaggleZips(storage, root, found.base)) ?? imageRoot;
  return {
    root,
    kind: found.kind,
    metadataFiles: found.keys.map((key) => (isLocalFolder(root) ? storage.localPath(key)! : joinKey(root, key))),
    metadataKeys: found.keys,
    imageRoot,
  };
}

/** Finds a dataset's metadata and images at a location (a folder, an s3:// prefix or a .zip archive). */
export async function detectLayout(location: string): Promise<DatasetLayout> {
  const storage = openStorage(location);
  const root = storage.location;
  try {
    return await locate(root, storage);
  } catch (error) {
    if (error instanceof StorageError) throw new DatasetError(`${root}: not a readable dataset (${error.message})`);
    throw error;
  }
}
