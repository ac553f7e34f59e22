import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { detectLayout } from './layout.js';
import { readSites } from './metadata.js';
import { channelPath, type SiteRecord } from './site.js';
import { CHANNEL_COUNT, type LayoutKind } from '../rxrx1/index.js';
import type { FileProblem, ValidateTask } from './checkWorker.js';
import { openStorage, type Storage } from '../storage/index.js';

export const PROBLEM_KINDS = [
  'missing_channel',
  'extra_file',
  'bad_format',
  'undecodable',
  'bad_field',
  'bad_row',
  'duplicate_id',
  'conflicting_id',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface ProblemSummary {
  count: number;
  /** The first examples, each naming the file (and line/field for metadata). */
  examples: string[];
}

export interface CheckReport {
  root: string;
  layout: LayoutKind;
  metadataFiles: string[];
  imageRoot: string;
  sites: number;
  expectedFiles: number;
  foundFiles: number;
  /** Sites with none of their channel files. */
  absentSites: number;
  /** Sites with some but not all channel files. */
  incompleteSites: number;
  decode: 'full' | 'header';
  problems: Record<ProblemKind, ProblemSummary>;
  ok: boolean;
  seconds: number;
}

export interface CheckOptions {
  /** 'full' (default) decodes every image; 'header' only reads PNG headers (fast, misses corrupt pixel data). */
  decode?: 'full' | 'header';
  threads?: number;
  maxExamples?: number;
  onProgress?: (done: number, total: number) => void;
}

const DATASETS = ['train', 'test'];
const CHANNEL_FILE = /^[A-P]\d{2}_s\d+_w\d+\.png$/;

class ProblemCollector {
  readonly problems = Object.fromEntries(
    PROBLEM_KINDS.map((kind) => [kind, { count: 0, examples: [] as string[] }]),
  ) as Record<ProblemKind, ProblemSummary>;
  constructor(private readonly maxExamples: number) {}
  add(kind: ProblemKind, example: string): void {
    const summary = this.problems[kind];
    summary.count++;
    if (summary.examples.length < this.maxExamples) summary.examples.push(example);
  }
  addCount(kind: ProblemKind, count: number, example: () => string[]): void {
    if (count === 0) return;
    const summary = this.problems[kind];
    summary.count += count;
    for (const line of example()) if (summary.examples.length < this.maxExamples) summary.examples.push(line);
  }
}

/** The names of the files directly in a folder of the images. */
async function listDirectory(images: Storage, folder: string): Promise<string[]> {
  return (await images.list(folder))
    .map((info) => info.key.slice(folder.length + 1))
    .filter((name) => !name.includes('/'));
}

/** Plate folders present below {imageRoot}/{train,test}/{experiment}/, relative to imageRoot. */
async function plateFoldersOnDisk(images: Storage): Promise<string[]> {
  const folders: string[] = [];
  for (const dataset of DATASETS) {
    for (const experiment of await images.folders(dataset)) {
      for (const plate of await images.folders(`${dataset}/${experiment}`))
        folders.push(`${dataset}/${experiment}/${plate}`);
    }
  }
  return folders;
}

/** The channel file names the metadata implies, by plate folder (relative to the image root). */
function expectedFiles(sites: readonly SiteRecord[]): Map<string, Set<string>> {
  const expectedByFolder = new Map<string, Set<string>>();
  for (const site of sites) {
    for (let channel = 1; channel <= CHANNEL_COUNT; channel++) {
      const relative = channelPath(site, channel);
      const folder = path.posix.dirname(relative);
      let names = expectedByFolder.get(folder);
      if (!names) {
        names = new Set();
        expectedByFolder.set(folder, names);
      }
      names.add(path.posix.basename(relative));
    }
  }
  return expectedByFolder;
}

interface FolderScan {
  /** The files to validate, one list per plate folder. */
  toValidate: string[][];
  foundFiles: number;
  absentSites: number;
  incompleteSites: number;
}

/**
 * Compares each plate folder with what the metadata names: missing channels (examples from incomplete sites
 * first: a whole absent plate says less than a site missing w5) and files the metadata does not name.
 */
async function scanFolders(
  images: Storage,
  expectedByFolder: Map<string, Set<string>>,
  collector: ProblemCollector,
  maxExamples: number,
): Promise<FolderScan> {
  const folders = new Set([...expectedByFolder.keys(), ...(await plateFoldersOnDisk(images))]);
  const scan: FolderScan = { toValidate: [], foundFiles: 0, absentSites: 0, incompleteSites: 0 };
  const absentExamples: string[] = [];
  let absentSiteFiles = 0;
  for (const folder of [...folders].sort()) {
    const expected = expectedByFolder.get(folder) ?? new Set<string>();
    const onDisk = await listDirectory(images, folder);
    const present = new Set(onDisk);
    const missing = [...expected].filter((name) => !present.has(name));
    const missingPerSite = new Map<string, number>();
    const siteOf = (name: string) => name.slice(0, name.lastIndexOf('_w'));
    for (const name of missing) missingPerSite.set(siteOf(name), (missingPerSite.get(siteOf(name)) ?? 0) + 1);
    for (const name of missing) {
      if (missingPerSite.get(siteOf(name))! < CHANNEL_COUNT) {
        collector.add('missing_channel', `${`${folder}/${name}`}: missing (the site has its other channels)`);
      } else {
        absentSiteFiles++;
        if (absentExamples.length < maxExamples) absentExamples.push(`${`${folder}/${name}`}: missing`);
      }
    }
    for (const count of missingPerSite.values()) {
      if (count === CHANNEL_COUNT) scan.absentSites++;
      else scan.incompleteSites++;
    }
    const files: string[] = [];
    for (const name of onDisk) {
      if (expected.has(name)) files.push(`${folder}/${name}`);
      else if (CHANNEL_FILE.test(name) || name.endsWith('.png'))
        collector.add('extra_file', `${`${folder}/${name}`}: not in the metadata`);
    }
    scan.foundFiles += files.length;
    if (files.length > 0) scan.toValidate.push(files);
  }
  collector.addCount('missing_channel', absentSiteFiles, () => absentExamples);
  return scan;
}

/** Every image's format and decodability, one worker task per plate folder. */
async function validateImages(
  imageRoot: string,
  toValidate: string[][],
  decode: 'full' | 'header',
  collector: ProblemCollector,
  options: CheckOptions,
): Promise<void> {
  const pool = new Piscina({
    filename: new URL('./checkWorker.js', import.meta.url).href,
    name: 'validateFiles',
    maxThreads: Math.max(1, options.threads ?? os.availableParallelism()),
    minThreads: 0,
  });
  let done = 0;
  options.onProgress?.(0, toValidate.length);
  try {
    await Promise.all(
      toValidate.map(async (files) => {
        const task: ValidateTask = { imageRoot, files, mode: decode };
        const fileProblems: FileProblem[] = await pool.run(task);
        for (const problem of fileProblems) collector.add(problem.kind, `${problem.file}: ${problem.message}`);
        options.onProgress?.(++done, toValidate.length);
      }),
    );
  } finally {
    await pool.destroy();
  }
}

/**
 * Validates a dataset without stopping at the first problem: metadata rows, missing channel files, files the
 * metadata does not name, and every image's format (512x512 8-bit grayscale) and decodability.
 * Throws DatasetError when the folder is not a readable dataset at all.
 */
export async function checkDataset(dir: string, options: CheckOptions = {}): Promise<CheckReport> {
  const started = performance.now();
  const decode = options.decode ?? 'full';
  const layout = await detectLayout(dir);
  const { sites, problems: metadataProblems } = await readSites(layout);
  const maxExamples = options.maxExamples ?? 5;
  const collector = new ProblemCollector(maxExamples);
  for (const problem of metadataProblems)
    collector.add(problem.kind, `${problem.file}:${problem.line}: ${problem.message}`);
  const scan = await scanFolders(openStorage(layout.imageRoot), expectedFiles(sites), collector, maxExamples);
  const { foundFiles, absentSites, incompleteSites } = scan;
  await validateImages(layout.imageRoot, scan.toValidate, decode, collector, options);
  const report: CheckReport = {
    root: layout.root,
    layout: layout.kind,
    metadataFiles: layout.metadataFiles,
    imageRoot: layout.imageRoot,
    sites: sites.length,
    expectedFiles: sites.length * CHANNEL_COUNT,
    foundFiles,
    absentSites,
    incompleteSites,
    decode,
    problems: collector.problems,
    ok: PROBLEM_KINDS.every((kind) => collector.problems[kind].count === 0),
    seconds: (performance.now() - started) / 1000,
  };
  return report;
}
