/**
 * The solution key of a competition: id_code -> siRNA label, each id marked Public or Private, as Kaggle's
 * solution files are (`id_code,sirna,Usage`). The demo key comes from a labelled dataset (the simulator writes
 * sirna_id for test wells too): its test treatment wells, split Public/Private by a seeded shuffle.
 *
 * The split: the key's id_codes sorted, then shuffled with the seeded stream `rngFor(seed, 'competition-split')`
 * (mulberry32, Fisher-Yates); the first round(n x publicFraction) ids are Public, the rest Private. The default
 * fraction, 1/3, follows Kaggle's habit of scoring the public board on a minority of the test set; the RxRx1
 * competition split its test set likewise at random by well. Same ids + same seed = the same split, always.
 */
import crypto from 'node:crypto';
import { rngFor } from '../util/random.js';
import type { SiteRecord } from '../data/site.js';

export type Usage = 'Public' | 'Private';

export interface SolutionKey {
  /** id_codes `{experiment}_{plate}_{well}`, in key order (sorted). */
  ids: string[];
  /** Label of ids[i]. */
  sirna: Int32Array;
  /** 1 = Public, 0 = Private for ids[i]; null when the key has no Usage column (everything is one board). */
  usage: Uint8Array | null;
  /** id_code -> index in ids. */
  index: Map<string, number>;
}

export const DEFAULT_PUBLIC_FRACTION = 1 / 3;
export const DEFAULT_SPLIT_SEED = 2019;
export const KEY_HEADER = 'id_code,sirna,Usage';

/** Builds a key from entries (sorted by id_code); throws on a duplicate id. */
export function makeKey(entries: readonly { id: string; sirna: number; usage?: Usage | null }[]): SolutionKey {
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const withUsage = sorted.length > 0 && sorted.every((e) => e.usage === 'Public' || e.usage === 'Private');
  const key: SolutionKey = {
    ids: sorted.map((e) => e.id),
    sirna: Int32Array.from(sorted, (e) => e.sirna),
    usage: withUsage ? Uint8Array.from(sorted, (e) => (e.usage === 'Public' ? 1 : 0)) : null,
    index: new Map(),
  };
  key.ids.forEach((id, i) => {
    if (key.index.has(id)) throw new Error(`solution key: duplicate id_code "${id}"`);
    key.index.set(id, i);
  });
  return key;
}

/** Marks round(n x publicFraction) ids Public by the seeded shuffle described above; returns a new key. */
export function splitKey(key: SolutionKey, options: { seed?: number; publicFraction?: number } = {}): SolutionKey {
  const fraction = options.publicFraction ?? DEFAULT_PUBLIC_FRACTION;
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`publicFraction ${fraction}: expected a number in 0..1`);
  const order = rngFor(options.seed ?? DEFAULT_SPLIT_SEED, 'competition-split').shuffle(key.ids.map((_, i) => i));
  const usage = new Uint8Array(key.ids.length);
  const publicCount = Math.round(key.ids.length * fraction);
  for (let k = 0; k < publicCount; k++) usage[order[k]] = 1;
  return { ...key, usage };
}

/**
 * The demo key of a labelled dataset: one entry per test treatment well with a known sirna_id, split by
 * splitKey. Returns null when the dataset has no such wells (e.g. the real Kaggle-layout RxRx1, whose test
 * labels were never published).
 */
export function demoKey(
  sites: Iterable<SiteRecord>,
  options: { seed?: number; publicFraction?: number } = {},
): SolutionKey | null {
  const wells = new Map<string, number>();
  for (const site of sites) {
    if (site.dataset !== 'test' || site.wellType !== 'treatment' || site.sirnaId === null) continue;
    const known = wells.get(site.wellId);
    if (known !== undefined && known !== site.sirnaId)
      throw new Error(`dataset: well ${site.wellId} has sites with different sirna_id (${known}, ${site.sirnaId})`);
    wells.set(site.wellId, site.sirnaId);
  }
  if (wells.size === 0) return null;
  return splitKey(makeKey([...wells].map(([id, sirna]) => ({ id, sirna }))), options);
}

/** The key as CSV: `id_code,sirna,Usage` (or `id_code,sirna` without usage), one row per id, sorted. */
export function formatKey(key: SolutionKey): string {
  const lines = [key.usage ? KEY_HEADER : 'id_code,sirna'];
  key.ids.forEach((id, i) => {
    lines.push(key.usage ? `${id},${key.sirna[i]},${key.usage[i] ? 'Public' : 'Private'}` : `${id},${key.sirna[i]}`);
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Reads a key CSV: columns id_code and sirna, optionally Usage (Public/Private), in any order, other columns
 * ignored (Kaggle solution files). Throws naming the line and field of the first bad row.
 */
export function parseKey(text: string, source = 'solution key'): SolutionKey {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0].split(',').map((h) => h.trim());
  const column = (name: string) => header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  const idColumn = column('id_code');
  const sirnaColumn = column('sirna');
  const usageColumn = column('Usage');
  if (idColumn < 0 || sirnaColumn < 0)
    throw new Error(`${source}: header "${lines[0]}": expected columns id_code,sirna[,Usage]`);
  const entries: { id: string; sirna: number; usage: Usage | null }[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const fields = lines[i].split(',').map((f) => f.trim());
    const sirna = Number(fields[sirnaColumn]);
    if (!/^\d+$/.test(fields[sirnaColumn] ?? '') || !Number.isSafeInteger(sirna))
      throw new Error(`${source}:${i + 1}: sirna="${fields[sirnaColumn] ?? ''}": expected a non-negative integer`);
    let usage: Usage | null = null;
    if (usageColumn >= 0) {
      const value = fields[usageColumn] ?? '';
      if (value !== 'Public' && value !== 'Private')
        throw new Error(`${source}:${i + 1}: Usage="${value}": expected Public or Private`);
      usage = value;
    }
    const id = fields[idColumn] ?? '';
    if (id === '') throw new Error(`${source}:${i + 1}: id_code is empty`);
    entries.push({ id, sirna, usage });
  }
  if (entries.length === 0) throw new Error(`${source}: no rows (expected one row per test id_code)`);
  return makeKey(entries);
}

/** A short hash of the key (ids, labels, usage): stored with the competition, so a changed key triggers a rescore. */
export function keyFingerprint(key: SolutionKey): string {
  return crypto.createHash('sha256').update(formatKey(key)).digest('hex').slice(0, 32);
}
