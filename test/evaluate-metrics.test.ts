/** Unit tests of the evaluate/ metrics against hand-computed numbers and scikit-learn/scipy/numpy fixtures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFixture } from './helpers.js';
import { aggregateToWells } from '../src/store/wells.js';
import { argmaxRows, logisticLogProba, trainLogistic } from '../src/evaluate/logistic.js';
import {
  assignmentCost,
  classGroups,
  linearAssignment,
  plateConstrainedPredictions,
} from '../src/evaluate/assignment.js';
import {
  averagePrecision,
  benjaminiHochberg,
  meanAveragePrecision,
  phenotypicActivity,
  randomAveragePrecisions,
  replicateRetrieval,
  similarityAveragePrecision,
} from '../src/evaluate/retrieval.js';
import { graphConnectivity, lisi, median, silhouetteSamples, silhouetteScore } from '../src/evaluate/mixing.js';
import {
  distanceRankCorrelation,
  fractionDetected,
  parseGroundTruth,
  rankData,
  spearman,
} from '../src/evaluate/groundTruth.js';
import { knnPredict, nearestClassMean, sampleShots } from '../src/evaluate/classify.js';
import { nearestNeighbours, pca, standardize } from '../src/evaluate/linalg.js';
import { Rng } from '../src/util/random.js';
import type { ProfileTable } from '../src/store/profiles.js';

const f32 = (values: number[]) => Float32Array.from(values);

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs expected ${expected} (tolerance ${tolerance})`,
  );
}

test('site rows average into wells; metadata keeps the first site, site columns are dropped', () => {
  const table: ProfileTable = {
    rows: 4,
    metadata: {
      Metadata_experiment: ['E-1', 'E-1', 'E-1', 'E-1'],
      Metadata_plate: [1, 1, 1, 1],
      Metadata_well: ['B02', 'B03', 'B02', 'B03'],
      Metadata_site: [1, 1, 2, 2],
      Metadata_site_id: ['E-1_1_B02_1', 'E-1_1_B03_1', 'E-1_1_B02_2', 'E-1_1_B03_2'],
      Metadata_sirna_id: [1138, 5, 1138, 5],
    },
    features: ['a', 'b'],
    columns: [f32([1, 10, 3, 20]), f32([NaN, 1, 4, 1])],
  };
  const wells = aggregateToWells(table);
  assert.equal(wells.rows, 2);
  assert.deepEqual(wells.metadata.Metadata_well_id, ['E-1_1_B02', 'E-1_1_B03']);
  assert.deepEqual(wells.metadata.Metadata_sirna_id, [1138, 5]);
  assert.equal(wells.metadata.Metadata_site, undefined);
  assert.equal(wells.metadata.Metadata_site_id, undefined);
  assert.deepEqual([...wells.columns[0]], [2, 15]);
  assert.deepEqual([...wells.columns[1]], [4, 1], 'NaN sites are skipped');
});

test('logistic regression learns a separable problem and matches scikit-learn probabilities', () => {
  // Separable: class = which of 3 well-separated clusters.
  const X = f32([0, 0, 0.2, 0.1, 5, 5, 5.2, 4.9, -5, 5, -4.8, 5.1]);
  const y = Int32Array.from([0, 0, 1, 1, 2, 2]);
  const model = trainLogistic(standardize(X, 6, 2), y, 6, 2, 3, { l2: 1e-4 });
  assert.deepEqual([...argmaxRows(logisticLogProba(model, standardize(X, 6, 2), 6), 6, 3)], [0, 0, 1, 1, 2, 2]);

  const fx = readFixture<{
    l2: number;
    n: number;
    p: number;
    classes: number;
    X: number[];
    y: number[];
    query: number[];
    proba: number[];
    exact_proba: number[];
    train_proba: number[];
  }>('evaluate-logistic.json');
  const fit = trainLogistic(f32(fx.X), Int32Array.from(fx.y), fx.n, fx.p, fx.classes, {
    l2: fx.l2,
    tolerance: 1e-9,
    maxIterations: 1000,
  });
  assert.ok(fit.converged, `L-BFGS converged (${fit.iterations} iterations)`);
  const proba = logisticLogProba(fit, f32(fx.query), fx.query.length / fx.p).map(Math.exp);
  proba.forEach((v, t) => {
    close(v, fx.exact_proba[t], 1e-7, `query probability ${t} (exact optimum)`);
  });
  proba.forEach((v, t) => {
    close(v, fx.proba[t], 1e-4, `query probability ${t} (scikit-learn)`);
  });
  const train = logisticLogProba(fit, f32(fx.X), fx.n).map(Math.exp);
  train.forEach((v, t) => {
    close(v, fx.train_proba[t], 1e-4, `training probability ${t} (scikit-learn)`);
  });
});

test('linear assignment finds the known optimum and scipy optima, square and rectangular', () => {
  // A 4x4 example whose optimum (13, rows -> columns 1, 0, 2, 3) is checked by enumerating all 24 permutations.
  const cost = [9, 2, 7, 8, 6, 4, 3, 7, 5, 8, 1, 8, 7, 6, 9, 4];
  const assignment = linearAssignment(cost, 4, 4);
  assert.deepEqual([...assignment], [1, 0, 2, 3]);
  assert.equal(assignmentCost(cost, 4, assignment), 13);
  const permutations = (items: number[]): number[][] =>
    items.length <= 1
      ? [items]
      : items.flatMap((x, i) =>
          permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]),
        );
  assert.equal(
    Math.min(...permutations([0, 1, 2, 3]).map((perm) => perm.reduce((s, col, row) => s + cost[row * 4 + col], 0))),
    13,
  );
  const fx = readFixture<{ cases: { rows: number; cols: number; cost: number[]; optimum: number }[] }>(
    'evaluate-assignment.json',
  );
  for (const c of fx.cases) {
    const a = linearAssignment(c.cost, c.rows, c.cols);
    const assigned = [...a].filter((col) => col >= 0);
    assert.equal(assigned.length, Math.min(c.rows, c.cols));
    assert.equal(new Set(assigned).size, assigned.length, 'columns are distinct');
    close(assignmentCost(c.cost, c.cols, a), c.optimum, 1e-9, `${c.rows}x${c.cols} optimum`);
  }
});

test('plate constraint: groups from training plates, one-to-one assignment within the inferred group', () => {
  const { groupOf, groups } = classGroups(
    [
      [0, 1],
      [2, 3],
      [1, 0],
      [3, 2],
    ],
    5,
  );
  assert.deepEqual(groups, [[0, 1], [2, 3], [4]]);
  assert.deepEqual([...groupOf], [0, 0, 1, 1, 2]);
  // Two wells of one plate both prefer class 0 a little; the plate is group 0, so one must take class 1.
  const p = (values: number[]) => values.map(Math.log);
  const logProba = Float64Array.from([
    ...p([0.5, 0.3, 0.1, 0.05, 0.05]),
    ...p([0.6, 0.2, 0.1, 0.05, 0.05]),
    ...p([0.1, 0.1, 0.2, 0.5, 0.1]),
  ]);
  const result = plateConstrainedPredictions(logProba, 5, ['P1', 'P1', 'P2'], groups);
  assert.deepEqual([...result.predictions], [1, 0, 3]);
  assert.equal(result.plateGroup.get('P1'), 0);
  assert.equal(result.plateGroup.get('P2'), 1);
  // Replicate wells: 4 wells, 2 classes -> each class takes 2.
  const rep = plateConstrainedPredictions(
    Float64Array.from([...p([0.9, 0.1]), ...p([0.8, 0.2]), ...p([0.7, 0.3]), ...p([0.6, 0.4])]),
    2,
    ['P', 'P', 'P', 'P'],
    [[0, 1]],
  );
  assert.deepEqual([...rep.predictions].sort(), [0, 0, 1, 1]);
});

test('average precision and mAP equal hand-computed values', () => {
  close(averagePrecision([1, 0, 1, 0, 0, 1]), (1 + 2 / 3 + 3 / 6) / 3, 1e-12, 'AP of a ranked list');
  close(
    similarityAveragePrecision(Float64Array.from([0.9, 0.5, 0.1]), Float64Array.from([0.7, 0.3, 0.2])),
    13 / 18,
    1e-12,
    'AP from similarities',
  );
  close(
    similarityAveragePrecision(Float64Array.from([0.5]), Float64Array.from([0.5])),
    0.5,
    1e-12,
    'ties rank negatives first',
  );
  // Replicate retrieval on 5 wells (cosine similarities worked out by hand, see the comment of each query).
  const X = f32([1, 0, 0.8, 0.6, 0.6, 0.8, 0, 1, -1, 0]);
  const labels = [0, 0, 1, 1, 0];
  const plates = ['p1', 'p2', 'p1', 'p2', 'p1'];
  const queries = replicateRetrieval(X, 5, 2, labels, plates);
  // w0: pos {w1 .8}, neg {w2 .6, w3 0} -> 1; w4 (same plate as w0) is not a candidate.
  // w1: pos {w0 .8, w4 -.8}, neg {w2 .96, w3 .6} -> (1/2 + 2/4) / 2 = 0.5
  // w2: pos {w3 .8}, neg {w0 .6, w1 .96, w4 -.6} -> 1/2; w3: pos {w2 .8}, neg {w0 0, w1 .6, w4 0} -> 1
  // w4: pos {w1 -.8}, neg {w2 -.6, w3 0} -> 1/3
  assert.deepEqual(
    queries.map((q) => [q.label, Number(q.ap.toFixed(6)), q.positives, q.total]),
    [
      [0, 1, 1, 3],
      [0, 0.5, 2, 4],
      [1, 0.5, 1, 4],
      [1, 1, 1, 4],
      [0, Number((1 / 3).toFixed(6)), 1, 3],
    ],
  );
  const summary = meanAveragePrecision(queries, { nullSize: 1000, seed: 1 });
  close(summary.groups[0].map, (1 + 0.5 + 1 / 3) / 3, 1e-12, 'mAP of siRNA 0');
  close(summary.groups[1].map, 0.75, 1e-12, 'mAP of siRNA 1');
  close(summary.meanMap, ((1 + 0.5 + 1 / 3) / 3 + 0.75) / 2, 1e-12, 'mean mAP');
  // Activity: positives = replicates, negatives = controls.
  const A = f32([1, 0, 0.8, 0.6, 0, 1, 0.6, 0.8]);
  const activity = phenotypicActivity(A, 4, 2, [7, 7, -1, -1], [1, 1, 0, 0], [0, 0, 1, 1]);
  assert.deepEqual(
    activity.map((q) => Number(q.ap.toFixed(6))),
    [1, 0.5],
  );
});

test('permutation nulls, p-values and Benjamini-Hochberg', () => {
  // One positive among two candidates: AP is 1 or 1/2 with probability 1/2 each.
  const nulls = randomAveragePrecisions(1, 2, 4000, new Rng(3));
  const ones = nulls.filter((v) => v === 1).length;
  assert.ok(Math.abs(ones / 4000 - 0.5) < 0.03, `P(AP = 1) = ${ones / 4000}`);
  assert.ok(nulls.every((v) => v === 1 || v === 0.5));
  // Mean of random AP with 1 positive among N is H_N / N.
  const n = 10;
  const mean = randomAveragePrecisions(1, n, 20000, new Rng(4)).reduce((a, b) => a + b, 0) / 20000;
  const harmonic = Array.from({ length: n }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b, 0) / n;
  close(mean, harmonic, 0.01, 'mean random AP');
  const summary = meanAveragePrecision(
    [
      { label: 1, ap: 1, positives: 1, total: 2 },
      { label: 2, ap: 0.5, positives: 1, total: 2 },
    ],
    { nullSize: 999, seed: 0 },
  );
  close(summary.groups[0].pValue, 1 / 1000, 1e-12, 'p of a perfect AP');
  assert.ok(Math.abs(summary.groups[1].pValue - 0.5) < 0.06, `p of AP 1/2: ${summary.groups[1].pValue}`);
  const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.2]);
  [0.04, 0.16 / 3, 0.16 / 3, 0.2].forEach((v, i) => {
    close(q[i], v, 1e-12, `BH q ${i}`);
  });
});

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
  const X = f32(fx.X);
  close(silhouetteScore(X, fx.n, fx.p, fx.labels, 'euclidean'), fx.euclidean, 1e-6, 'euclidean silhouette');
  close(silhouetteScore(X, fx.n, fx.p, fx.labels, 'cosine'), fx.cosine, 1e-6, 'cosine silhouette');
  silhouetteSamples(X, fx.n, fx.p, fx.labels).forEach((v, i) => {
    close(v, fx.samples_euclidean[i], 1e-6, `sample ${i}`);
  });
  assert.ok(Number.isNaN(silhouetteScore(X, fx.n, fx.p, new Array(fx.n).fill(0))), 'one label: undefined');
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
  const X = f32(fx.X);
  lisi(X, fx.n, fx.p, fx.batch).forEach((v, i) => {
    close(v, fx.ilisi[i], 1e-6, `iLISI ${i}`);
  });
  lisi(X, fx.n, fx.p, fx.cluster).forEach((v, i) => {
    close(v, fx.clisi[i], 1e-6, `cLISI ${i}`);
  });
  lisi(X, fx.n, fx.p, fx.batch, 10).forEach((v, i) => {
    close(v, fx.ilisi_p10[i], 1e-6, `iLISI perplexity 10 ${i}`);
  });
  close(median([3, 1, 2, NaN, 10]), 2.5, 0, 'median skips NaN');
});

test('graph connectivity on a hand-made kNN graph', () => {
  // Label 0 at 0, 1, 10, 11 (two pieces of 2 with k = 1); label 1 at 100, 101 (one piece): (2/4 + 1) / 2.
  const X = f32([0, 1, 10, 11, 100, 101]);
  close(graphConnectivity(X, 6, 1, [0, 0, 0, 0, 1, 1], 1), 0.75, 1e-12, 'graph connectivity');
  close(graphConnectivity(X, 6, 1, [0, 0, 0, 0, 1, 1], 2), 1, 1e-12, 'k = 2: 0 -> 10 joins the two pieces');
  close(graphConnectivity(X, 6, 1, [0, 1, 0, 1, 0, 1], 1), (1 / 3 + 1 / 3) / 2, 1e-12, 'no kNN edge inside a label');
});

test('Spearman with ties equals scipy; PCA equals scikit-learn up to sign', () => {
  const fx = readFixture<{
    a: number[];
    b: number[];
    spearman: number;
    pca_X: number[];
    pca_n: number;
    pca_p: number;
    pca_explained_variance: number[];
    pca_abs_scores: number[];
  }>('evaluate-stats.json');
  close(spearman(fx.a, fx.b), fx.spearman, 1e-12, 'spearman');
  assert.deepEqual([...rankData([3, 1, 3, 2])], [3.5, 1, 3.5, 2]);
  const result = pca(f32(fx.pca_X), fx.pca_n, fx.pca_p, 3, 0);
  result.explainedVariance.forEach((v, c) => {
    close(v, fx.pca_explained_variance[c], 1e-4 * fx.pca_explained_variance[0], `variance ${c}`);
  });
  result.scores.forEach((v, t) => {
    close(Math.abs(v), fx.pca_abs_scores[t], 1e-3, `score ${t}`);
  });
});

test('ground truth: parsing the simulator format, distance rank correlation, fraction detected', () => {
  const truth = parseGroundTruth({
    version: 1,
    sirnas: {
      '1': {
        sirnaId: 1,
        wellType: 'treatment',
        hasEffect: true,
        phenotype: {
          cellCount: 1,
          nucleusSize: 0,
          eccentricity: 0,
          intensity: [0, 0, 0, 0, 0, 0],
          texture: [0, 0, 0, 0, 0, 0],
        },
      },
      '2': {
        sirnaId: 2,
        wellType: 'treatment',
        hasEffect: false,
        phenotype: {
          cellCount: 0,
          nucleusSize: 0,
          eccentricity: 0,
          intensity: [0, 0, 0, 0, 0, 0],
          texture: [0, 0, 0, 0, 0, 0],
        },
      },
      '3': {
        sirnaId: 3,
        wellType: 'treatment',
        hasEffect: true,
        phenotype: {
          cellCount: 0,
          nucleusSize: 3,
          eccentricity: 0,
          intensity: [0, 0, 0, 0, 0, 0],
          texture: [0, 0, 0, 0, 0, 0],
        },
      },
      '1138': {
        sirnaId: 1138,
        wellType: 'negative_control',
        hasEffect: false,
        phenotype: {
          cellCount: 0,
          nucleusSize: 0,
          eccentricity: 0,
          intensity: [0, 0, 0, 0, 0, 0],
          texture: [0, 0, 0, 0, 0, 0],
        },
      },
    },
  });
  assert.deepEqual([...truth.keys()], [1, 2, 3]);
  assert.equal(truth.get(3)!.phenotype.length, 15);
  // Recovered means scaled copies of the truth: distances rank identically.
  const means = f32([2, 0, 0, 0, 0, 6]);
  close(
    distanceRankCorrelation(
      means,
      2,
      [1, 2, 3],
      new Map([...truth].map(([id, t]) => [id, { ...t, phenotype: t.phenotype.slice(0, 2) }])),
    ),
    1,
    1e-12,
    'rank correlation',
  );
  close(
    fractionDetected(
      new Map([
        [1, 0.01],
        [2, 0.01],
        [3, 0.2],
      ]),
      truth,
    ),
    0.5,
    0,
    'fraction detected',
  );
  assert.throws(() => parseGroundTruth({ sirnas: {} }), /no usable/);
});

test('kNN, nearest class mean, k-shot draws and exact neighbours', () => {
  const ref = f32([1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9]);
  const predicted = knnPredict(ref, Int32Array.from([0, 0, 1, 1]), 4, f32([0.95, 0.05, 0.2, 0.8]), 2, 2, 2, 3);
  assert.deepEqual([...predicted], [0, 1]);
  const X = f32([1, 0, 0, 1, 0.8, 0.2, 0.3, 0.7]);
  assert.deepEqual([...nearestClassMean(X, 2, [[0], [1]], [2, 3])], [0, 1]);
  const shots = sampleShots([[1, 2, 3, 4, 5], [6]], 2, 9);
  assert.equal(shots[0].length, 2);
  assert.deepEqual(shots[1], [6]);
  assert.deepEqual(sampleShots([[1, 2, 3, 4, 5], [6]], 2, 9), shots, 'seeded');
  const nn = nearestNeighbours(f32([0, 1, 3, 6]), 4, f32([0, 1, 3, 6]), 4, 1, 2, 'euclidean', true);
  assert.deepEqual([...nn.indices], [1, 2, 0, 2, 1, 0, 2, 1]);
});
