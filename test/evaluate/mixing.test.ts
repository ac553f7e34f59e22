/**
 * src/evaluate/mixing.ts: silhouette (scikit-learn), LISI (harmony compute_lisi) and graph connectivity
 * (hand-made graph).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graphConnectivity, lisi, silhouetteSamples, silhouetteScore } from '../../src/evaluate/mixing.js';
import { matrix } from '../../src/numerics/index.js';
import { close, f32, readFixture } from '../helpers.js';

test('silhouette equals scikit-learn (euclidean and cosine, singleton label)', () => {
  const fx = readFixture<{
    n: number;
    p: number;
    X: number[];
    labels: number[];
    euclidean: number;
    cosine: number;
    samples_euclidean: number[];
  }>('evaluate-silhouette.json');
  const X = matrix(f32(fx.X), fx.n, fx.p);
  close(silhouetteScore(X, fx.labels, 'euclidean'), fx.euclidean, 1e-6, 'euclidean silhouette');
  close(silhouetteScore(X, fx.labels, 'cosine'), fx.cosine, 1e-6, 'cosine silhouette');
  silhouetteSamples(X, fx.labels).forEach((v, i) => {
    close(v, fx.samples_euclidean[i], 1e-6, `sample ${i}`);
  });
  assert.ok(Number.isNaN(silhouetteScore(X, new Array(fx.n).fill(0))), 'one label: undefined');
});

test('LISI equals the numpy transcription of harmony compute_lisi', () => {
  const fx = readFixture<{
    n: number;
    p: number;
    X: number[];
    batch: number[];
    cluster: number[];
    ilisi: number[];
    clisi: number[];
    ilisi_p10: number[];
  }>('evaluate-lisi.json');
  const X = matrix(f32(fx.X), fx.n, fx.p);
  lisi(X, fx.batch).forEach((v, i) => {
    close(v, fx.ilisi[i], 1e-6, `iLISI ${i}`);
  });
  lisi(X, fx.cluster).forEach((v, i) => {
    close(v, fx.clisi[i], 1e-6, `cLISI ${i}`);
  });
  lisi(X, fx.batch, { perplexity: 10 }).forEach((v, i) => {
    close(v, fx.ilisi_p10[i], 1e-6, `iLISI perplexity 10 ${i}`);
  });
});

test('graph connectivity on a hand-made kNN graph', () => {
  // Label 0 at 0, 1, 10, 11 (two pieces of 2 with k = 1); label 1 at 100, 101 (one piece): (2/4 + 1) / 2.
  const X = matrix(f32([0, 1, 10, 11, 100, 101]), 6, 1);
  close(graphConnectivity(X, [0, 0, 0, 0, 1, 1], { k: 1 }), 0.75, 1e-12, 'graph connectivity');
  close(graphConnectivity(X, [0, 0, 0, 0, 1, 1], { k: 2 }), 1, 1e-12, 'k = 2: 0 -> 10 joins the two pieces');
  close(graphConnectivity(X, [0, 1, 0, 1, 0, 1], { k: 1 }), (1 / 3 + 1 / 3) / 2, 1e-12, 'no kNN edge inside a label');
});
