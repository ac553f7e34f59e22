/**
 * Correlation of two samples: Pearson over the pairs where both values are present (pandas' pairwise-complete
 * `corr`), ranks with ties averaged (scipy.stats.rankdata 'average') and Spearman's rank correlation.
 */

/**
 * Pearson correlation of a and b at the positions `rows` (all positions when omitted) where neither is NaN;
 * NaN when fewer than two pairs remain or either side is constant there.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>, rows?: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`pearson: ${a.length} vs ${b.length} values`);
  const m = rows ? rows.length : a.length;
  let n = 0;
  let ma = 0;
  let mb = 0;
  for (let r = 0; r < m; r++) {
    const i = rows ? rows[r] : r;
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    n++;
    ma += a[i];
    mb += b[i];
  }
  if (n < 2) return NaN;
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let r = 0; r < m; r++) {
    const i = rows ? rows[r] : r;
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** Ranks 1..n with ties given their average rank (scipy.stats.rankdata 'average'). */
export function rankData(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2;
    for (let t = start; t < end; t++) ranks[order[t]] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman rank correlation: Pearson correlation of average ranks (scipy.stats.spearmanr). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`spearman: ${a.length} vs ${b.length} values`);
  return pearson(rankData(a), rankData(b));
}
