/**
 * Plate manifests: a plate's outputs count as complete only when they verify against the manifest written after
 * them, `{out}/manifests/{experiment}_{plate}.json`: the configuration hash that made them, and for each part its
 * key, row count, size and SHA-256. A part cut short, emptied or rewritten by anything else, a missing part, or a
 * manifest of another configuration makes the plate incomplete, and a rerun redoes it. The manifest also carries the
 * plate's record and its site problems, so a run's report can be assembled from manifests alone (which is how a
 * queued run, whose plates were done by workers elsewhere, reports).
 */
import crypto from 'node:crypto';
import type { Storage } from '../storage/index.js';

/** One site that could not be featurized. */
export interface SiteProblem {
  siteId: string;
  /** The plate part the site belongs to, `{experiment}_{plate}`. */
  plate: string;
  problem: string;
  files?: { file: string; reason: string }[];
}

export interface PartRecord {
  /** Key below the output location, e.g. sites/HEPG2-01_1.parquet. */
  key: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface PlateManifest {
  /** Manifest format. */
  format: 1;
  step: string;
  plate: string;
  configHash: string;
  parts: PartRecord[];
  /** Feature columns of the site part. */
  features: number;
  /** Sites of the plate in the selection. */
  sites: number;
  featurized: number;
  /** Sites with no image at all at the dataset's location (not featurized, not listed one by one). */
  absent: number;
  failed: number;
  problems: SiteProblem[];
  seconds: number;
  finishedAt: string;
  /** Who wrote it (host and process), for the record of a queued run. */
  worker: string;
}

export const MANIFEST_FOLDER = 'manifests';

export function manifestKey(plate: string): string {
  return `${MANIFEST_FOLDER}/${plate}.json`;
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** A part's record for the manifest. */
export function partRecord(key: string, bytes: Uint8Array, rows: number): PartRecord {
  return { key, rows, bytes: bytes.length, sha256: sha256(bytes) };
}

/** Writes the manifest: call it only after every part it names is written. */
export async function writeManifest(out: Storage, manifest: PlateManifest): Promise<void> {
  await out.write(manifestKey(manifest.plate), `${JSON.stringify(manifest, null, 2)}\n`);
}

export type Verification =
  | { complete: true; manifest: PlateManifest }
  | { complete: false; reason: string | null; manifest: PlateManifest | null };

/** Reads a plate's manifest, or null when it has none (or one that does not parse). */
export async function readManifest(out: Storage, plate: string): Promise<PlateManifest | null> {
  const info = await out.stat(manifestKey(plate));
  if (!info) return null;
  try {
    const manifest = JSON.parse(new TextDecoder().decode(await out.read(manifestKey(plate)))) as PlateManifest;
    return manifest.format === 1 && Array.isArray(manifest.parts) ? manifest : null;
  } catch {
    return null;
  }
}

/**
 * Whether a plate's outputs are complete for `configHash`: its manifest exists and every part it names has the
 * recorded size and checksum. `reason` says why not (null when there is simply no manifest yet).
 */
export async function verifyPlate(out: Storage, plate: string, configHash: string): Promise<Verification> {
  const manifest = await readManifest(out, plate);
  if (!manifest) {
    const stray = await out.stat(manifestKey(plate));
    return { complete: false, reason: stray ? `${manifestKey(plate)} cannot be read` : null, manifest: null };
  }
  if (manifest.configHash !== configHash)
    return { complete: false, reason: 'made with another configuration', manifest };
  for (const part of manifest.parts) {
    const info = await out.stat(part.key);
    if (!info) return { complete: false, reason: `${part.key} is missing`, manifest };
    if (info.size !== part.bytes)
      return {
        complete: false,
        reason: `${part.key} has ${info.size} bytes, the manifest says ${part.bytes}`,
        manifest,
      };
    if (sha256(await out.read(part.key)) !== part.sha256)
      return { complete: false, reason: `${part.key} does not match its checksum`, manifest };
  }
  return { complete: true, manifest };
}

/** JSON with object keys sorted, so equal configurations give equal text whatever order built them. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The hash that names a configuration: the step and everything that changes its outputs. */
export function configHash(step: string, configuration: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson({ step, configuration })).digest('hex').slice(0, 16);
}
