import fs from 'node:fs';
import path from 'node:path';
import type { LayoutKind } from '../rxrx1/index.js';

/**
 * The two ways RxRx1 was published. `official`: metadata.csv + images/{dataset}/... (rxrx.ai release).
 * `kaggle`: train.csv, test.csv, train_controls.csv, test_controls.csv + {train,test}/... (the 2019
 * competition). Metadata may sit in the dataset folder itself or in its metadata/ subfolder, images in
 * images/ or directly beside the metadata.
 */
export interface DatasetLayout {
  root: string;
  kind: LayoutKind;
  /** Metadata files that exist, absolute paths. */
  metadataFiles: string[];
  /** Folder holding {dataset}/{experiment}/Plate{p}/... */
  imageRoot: string;
}

export const KAGGLE_FILES = ['train.csv', 'test.csv', 'train_controls.csv', 'test_controls.csv'] as const;

/** Raised when a folder is not a readable dataset at all (check exits 2 on it). */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

function isFile(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(dir: string): boolean {
  return fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

export function detectLayout(dir: string): DatasetLayout {
  const root = path.resolve(dir);
  if (!isDirectory(root)) throw new DatasetError(`${root}: not a folder (expected an RxRx1 dataset folder)`);
  const imageRoot = isDirectory(path.join(root, 'images')) ? path.join(root, 'images') : root;
  for (const metadataDir of [root, path.join(root, 'metadata')]) {
    const official = path.join(metadataDir, 'metadata.csv');
    if (isFile(official)) return { root, kind: 'official', metadataFiles: [official], imageRoot };
    const kaggle = KAGGLE_FILES.map((name) => path.join(metadataDir, name)).filter(isFile);
    if (kaggle.length > 0) return { root, kind: 'kaggle', metadataFiles: kaggle, imageRoot };
  }
  throw new DatasetError(
    `${root}: no RxRx1 metadata found (expected metadata.csv, or Kaggle's ` +
      `train.csv/test.csv/train_controls.csv/test_controls.csv, in the folder or its metadata/ subfolder)`,
  );
}
