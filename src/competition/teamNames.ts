/**
 * Team names as people see them. A name is NFKC-normalized (fullwidth "ａlpha" is "alpha", ligatures split) with its
 * spaces collapsed, and two names are one when their confusable skeletons agree (Unicode TS #39 section 4: Cyrillic
 * "аlpha" and Latin "alpha" look the same). The skeleton's mapping is unhomoglyph's (Unicode's confusables.txt),
 * lower-cased so that it also ignores case.
 */
import unhomoglyph from 'unhomoglyph';

/** NFKC, trimmed, inner runs of whitespace as one space. */
export function normalizeTeamName(raw: string): string {
  return raw.normalize('NFKC').trim().replace(/\s+/gu, ' ');
}

/** The UTS #39 skeleton of a name (NFD, confusables mapped, NFD again), lower-cased. */
export function nameSkeleton(name: string): string {
  return unhomoglyph(name.normalize('NFD')).normalize('NFD').toLowerCase();
}
