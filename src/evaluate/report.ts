/**
 * The evaluation report: metrics.json (schema in METRICS.md) and report.html, one self-contained page (inline
 * SVG and CSS, no scripts, no network) with the metric table, accuracy per experiment, PCA and UMAP of well
 * profiles before and after each correction, and plate heatmaps of a feature.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EvaluationResult, MethodEvaluation, MethodPlots } from './types.js';
import { writeFileAtomic } from '../util/files.js';
import { comparisonSectionHtml, type Comparison } from './compare.js';
import { barChartSvg, escapeXml, heatmapSvg, scatterSvg, type LegendEntry } from './svg.js';
import { quantileSorted } from '../numerics/index.js';
import { CATEGORICAL, categoricalColor, MUTED, PLATE_COLUMNS, PLATE_ROWS, ROW_LETTERS } from '../rxrx1/index.js';

/** Writes `dir`/metrics.json and `dir`/report.html (each to a temporary name, then renamed). Returns their paths. */
export function writeReport(
  result: EvaluationResult,
  dir: string,
  options: { comparison?: Comparison } = {},
): { metrics: string; report: string } {
  fs.mkdirSync(dir, { recursive: true });
  const metrics = path.join(dir, 'metrics.json');
  const report = path.join(dir, 'report.html');
  writeFileAtomic(metrics, `${JSON.stringify(result.metrics, null, 2)}\n`);
  writeFileAtomic(report, renderReportHtml(result, options.comparison));
  return { metrics, report };
}

interface Row {
  key: string;
  label: string;
  /** +1 higher is better, -1 lower is better, 0 neither. */
  better: number;
  value: (m: EvaluationResult['metrics'], method: string) => number | null | undefined;
}

function metricRows(result: EvaluationResult): Row[] {
  const m = result.metrics;
  const rows: Row[] = [
    {
      key: 'heldout_accuracy',
      label: 'held-out siRNA accuracy (logistic regression)',
      better: 1,
      value: (x, k) => x.heldout_accuracy[k],
    },
    {
      key: 'heldout_accuracy_plate_constrained',
      label: 'held-out accuracy, plate-constrained assignment',
      better: 1,
      value: (x, k) => x.heldout_accuracy_plate_constrained[k],
    },
    {
      key: 'plate_group_accuracy',
      label: 'held-out plates whose siRNA group was inferred right',
      better: 1,
      value: (x, k) => x.plate_group_accuracy[k],
    },
    { key: 'knn_accuracy', label: 'held-out accuracy, cosine kNN', better: 1, value: (x, k) => x.knn_accuracy[k] },
  ];
  const shots = Object.keys(Object.values(m.kshot_accuracy)[0] ?? {});
  for (const k of shots)
    rows.push({
      key: `kshot_accuracy.${k}`,
      label: `${k}-shot accuracy (nearest class mean)`,
      better: 1,
      value: (x, method) => x.kshot_accuracy[method]?.[k],
    });
  if (m.kshot_novel_accuracy)
    for (const k of shots)
      rows.push({
        key: `kshot_novel_accuracy.${k}`,
        label: `${k}-shot accuracy among siRNAs the model never saw`,
        better: 1,
        value: (x, method) => x.kshot_novel_accuracy?.[method]?.[k],
      });
  rows.push(
    { key: 'map', label: 'replicate retrieval mAP', better: 1, value: (x, k) => x.map[k] },
    {
      key: 'fraction_retrieved',
      label: 'fraction of siRNAs retrieved (q < 0.05)',
      better: 1,
      value: (x, k) => x.fraction_retrieved[k],
    },
    {
      key: 'activity_map',
      label: 'phenotypic activity mAP (vs negative controls)',
      better: 1,
      value: (x, k) => x.activity_map[k],
    },
    {
      key: 'fraction_active',
      label: 'fraction of siRNAs active (q < 0.05)',
      better: 1,
      value: (x, k) => x.fraction_active[k],
    },
    {
      key: 'silhouette_batch',
      label: 'silhouette by batch (lower: batches mixed)',
      better: -1,
      value: (x, k) => x.silhouette_batch[k],
    },
    { key: 'silhouette_sirna', label: 'silhouette by siRNA', better: 1, value: (x, k) => x.silhouette_sirna[k] },
    { key: 'ilisi', label: 'iLISI, batch (median; higher: mixed)', better: 1, value: (x, k) => x.ilisi[k] },
    { key: 'clisi', label: 'cLISI, siRNA (median; lower: siRNAs kept apart)', better: -1, value: (x, k) => x.clisi[k] },
    {
      key: 'graph_connectivity',
      label: 'graph connectivity (cell type)',
      better: 1,
      value: (x, k) => x.graph_connectivity[k],
    },
  );
  if (m.ground_truth) {
    rows.push(
      {
        key: 'ground_truth.rank_correlation',
        label: 'ground truth: Spearman of siRNA distances',
        better: 1,
        value: (x, k) => x.ground_truth?.[k]?.rank_correlation,
      },
      {
        key: 'ground_truth.fraction_detected',
        label: 'ground truth: true-effect siRNAs detected',
        better: 1,
        value: (x, k) => x.ground_truth?.[k]?.fraction_detected,
      },
    );
  }
  return rows;
}

function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}

/** Header cells of the methods. */
const methodHeads = (methods: string[]) => methods.map((k) => `<th>${escapeXml(k)}</th>`).join('');

function metricTable(result: EvaluationResult): string {
  const methods = result.metrics.methods;
  const head = `<tr><th>metric</th>${methodHeads(methods)}</tr>`;
  const body = metricRows(result).map((row) => {
    const values = methods.map((k) => row.value(result.metrics, k));
    const finiteValues = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const best =
      row.better === 0 || finiteValues.length < 2
        ? null
        : row.better > 0
          ? Math.max(...finiteValues)
          : Math.min(...finiteValues);
    const cells = values
      .map((v) => `<td${best !== null && v === best ? ' class="best"' : ''}>${formatNumber(v)}</td>`)
      .join('');
    const key = escapeXml(row.key);
    return `<tr><td title="${key}">${escapeXml(row.label)} <code>${key}</code></td>${cells}</tr>`;
  });
  return `<table class="metrics" id="metric-table">${head}${body.join('')}</table>`;
}

function cellTypeTable(result: EvaluationResult): string {
  const methods = result.metrics.methods;
  const types = [
    ...new Set(methods.flatMap((k) => Object.keys(result.metrics.heldout_accuracy_by_cell_type[k] ?? {}))),
  ].sort();
  if (!types.length) return '';
  const head = `<tr><th>cell type</th>${methodHeads(methods)}</tr>`;
  const body = types.map((t) => {
    const cells = methods.map((k) => `<td>${formatNumber(result.metrics.heldout_accuracy_by_cell_type[k]?.[t])}</td>`);
    return `<tr><td>${escapeXml(t)}</td>${cells.join('')}</tr>`;
  });
  return (
    '<h3>Held-out accuracy by cell type (logistic regression, no plate constraint)</h3>' +
    `<table class="metrics">${head}${body.join('')}</table>`
  );
}

function accuracyChart(result: EvaluationResult): string {
  const experiments = result.split.testExperiments;
  if (!experiments.length) return '';
  const series = result.metrics.methods.map((method, s) => ({
    name: method,
    color: CATEGORICAL[s % CATEGORICAL.length],
    values: experiments.map((e) => result.metrics.heldout_accuracy_by_experiment[method]?.[e] ?? NaN),
  }));
  return barChartSvg({
    title: 'Held-out siRNA accuracy per experiment (logistic regression)',
    categories: experiments,
    series,
    yLabel: 'accuracy',
    yMax: Math.max(0.05, ...series.flatMap((s) => s.values).filter(Number.isFinite)),
  });
}

function scatterSet(
  method: string,
  kind: 'PCA' | 'UMAP',
  coords: Float32Array,
  plots: MethodPlots,
  experiments: string[],
  cellTypes: string[],
): string {
  const n = plots.experiment.length;
  const x = Float32Array.from({ length: n }, (_, i) => coords[i * 2]);
  const y = Float32Array.from({ length: n }, (_, i) => coords[i * 2 + 1]);
  const axis =
    kind === 'PCA'
      ? ['PC1', 'PC2'].map((a, t) =>
          plots.pcaVariance[t] !== undefined ? `${a} (var ${plots.pcaVariance[t].toPrecision(3)})` : a,
        )
      : ['UMAP1', 'UMAP2'];
  const expIndex = new Map(experiments.map((e, i) => [e, i]));
  const typeIndex = new Map(cellTypes.map((e, i) => [e, i]));
  const byExperiment = plots.experiment.map((e) => categoricalColor(expIndex.get(e) ?? 0));
  const byCellType = plots.cellType.map((t) => categoricalColor(typeIndex.get(t) ?? 0));
  const highlight = new Map(plots.highlighted.map((id, i) => [id, CATEGORICAL[i % CATEGORICAL.length]]));
  const bySirna = plots.sirna.map((id, i) =>
    plots.wellType[i] === 'treatment' && highlight.has(id)
      ? highlight.get(id)!
      : plots.wellType[i] === 'negative_control'
        ? '#444'
        : MUTED,
  );
  const emphasis = plots.sirna.map((id, i) => (plots.wellType[i] === 'treatment' && highlight.has(id) ? 1 : 0));
  const present = (values: string[], all: string[]) => all.filter((v) => values.includes(v));
  const expLegend: LegendEntry[] = present(plots.experiment, experiments).map((e) => ({
    label: e,
    color: categoricalColor(expIndex.get(e)!),
  }));
  const typeLegend: LegendEntry[] = present(plots.cellType, cellTypes).map((t) => ({
    label: t,
    color: categoricalColor(typeIndex.get(t)!),
  }));
  const sirnaLegend: LegendEntry[] = [
    ...plots.highlighted.map((id) => ({ label: `siRNA ${id}`, color: highlight.get(id)! })),
    { label: 'negative control', color: '#444' },
    { label: 'other', color: MUTED },
  ];
  const common = { x, y, xLabel: axis[0], yLabel: axis[1] };
  return [
    scatterSvg({ ...common, title: `${kind}, ${method}: by experiment`, colors: byExperiment, legend: expLegend }),
    scatterSvg({ ...common, title: `${kind}, ${method}: by cell type`, colors: byCellType, legend: typeLegend }),
    scatterSvg({
      ...common,
      title: `${kind}, ${method}: top siRNAs by activity`,
      colors: bySirna,
      emphasis,
      legend: sirnaLegend,
    }),
  ].join('\n');
}

function heatmaps(method: string, plots: MethodPlots): string {
  if (!plots.heatmaps.length) return '';
  const values = Float64Array.from(plots.heatmaps.flatMap((h) => Array.from(h.grid).filter(Number.isFinite))).sort();
  const min = quantileSorted(values, 0.02);
  const max = quantileSorted(values, 0.98);
  const rowLabels = ROW_LETTERS.split('');
  const colLabels = Array.from({ length: PLATE_COLUMNS }, (_, c) => String(c + 1).padStart(2, '0'));
  const svgs = plots.heatmaps.map((h) =>
    heatmapSvg({
      title: `${h.plate} (${method})`,
      values: h.grid,
      rows: PLATE_ROWS,
      cols: PLATE_COLUMNS,
      rowLabels,
      colLabels,
      min: Number.isFinite(min) ? min : 0,
      max: Number.isFinite(max) ? max : 1,
    }),
  );
  const feature = escapeXml(plots.heatmaps[0].feature);
  return (
    `<h4>Plate heatmaps of <code>${feature}</code> ` +
    "(colour scale shared across this method's plates: 2nd..98th percentile)</h4>" +
    `<div class="grid">${svgs.join('\n')}</div>`
  );
}

function methodSection(e: MethodEvaluation, experiments: string[], cellTypes: string[]): string {
  const title = escapeXml(e.method === 'none' ? 'none (uncorrected)' : e.method);
  const parts = [`<section class="method"><h2 id="method-${escapeXml(e.method)}">${title}</h2>`];
  if (e.error) parts.push(`<p class="error">${escapeXml(e.error)}</p>`);
  const plots = e.plots;
  if (plots) {
    const scatter = (kind: 'PCA' | 'UMAP', coords: Float32Array) =>
      `<div class="grid">${scatterSet(e.method, kind, coords, plots, experiments, cellTypes)}</div>`;
    if (plots.pca)
      parts.push(`<h4>PCA of well profiles (${plots.experiment.length} wells)</h4>${scatter('PCA', plots.pca)}`);
    if (plots.umap)
      parts.push(`<h4>UMAP of well profiles (top principal components, seeded)</h4>${scatter('UMAP', plots.umap)}`);
    parts.push(heatmaps(e.method, plots));
  }
  const seconds = Object.entries(e.seconds)
    .map(([k, v]) => `${escapeXml(k)} ${v.toFixed(2)} s`)
    .join(', ');
  const fit = e.logistic;
  const logistic = fit
    ? `; logistic regression: ${fit.iterations} L-BFGS iterations, ` +
      `${fit.converged ? 'converged' : 'not converged'}, loss ${fit.loss.toFixed(4)}`
    : '';
  if (seconds) parts.push(`<p class="small">time: ${seconds}${logistic}</p>`);
  parts.push('</section>');
  return parts.join('\n');
}

/** The report's stylesheet: one line per group of rules. */
const REPORT_STYLE = [
  'body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}',
  'table.metrics{border-collapse:collapse;margin:8px 0 16px}' +
    'table.metrics td,table.metrics th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}',
  'table.metrics td:first-child{text-align:left}td.best{font-weight:bold;background:#eef7ee}' +
    'code{font-size:11px;color:#666}',
  'table.compare{border-collapse:collapse}' +
    'table.compare td,table.compare th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}' +
    'table.compare td:nth-child(-n+2){text-align:left}',
  '.grid{display:flex;flex-wrap:wrap;gap:8px}.small{font-size:12px;color:#555}.error{color:#a00}' +
    'section.method{border-top:2px solid #ddd;margin-top:20px}',
].join('\n');

/** The paragraphs that say what was run: sizes, split and the classification problem. */
function runSummary(result: EvaluationResult): string {
  const m = result.metrics;
  const { wells, input_rows: inputRows, features, batch } = m.parameters as Record<string, number | string>;
  const list = (experiments: string[]) => escapeXml(experiments.join(', ') || '–');
  return [
    `<p>${wells} wells (${inputRows} input rows, ${features} features). ` +
      `Batch unit: ${escapeXml(String(batch))}. Methods: ${m.methods.map(escapeXml).join(', ')}.</p>`,
    `<p>Split: ${escapeXml(result.split.description)}.<br>Train: ${list(result.split.trainExperiments)}.` +
      `<br>Held out: ${list(result.split.testExperiments)}.</p>`,
    `<p>Classification: ${m.n_classes} treatment siRNAs, ${m.n_train_wells} training wells, ` +
      `${m.n_test_wells} held-out wells; chance accuracy ${formatNumber(m.chance_accuracy)}. ` +
      "Accuracy <i>with</i> the plate constraint assigns each held-out plate's wells to its inferred siRNA group " +
      'one-to-one (see METRICS.md); all other accuracies are unconstrained.</p>',
  ].join('\n');
}

/** The report page; with `comparison`, a section comparing this run with other representations' runs. */
export function renderReportHtml(result: EvaluationResult, comparison?: Comparison): string {
  const m = result.metrics;
  const experiments = [...new Set(result.methods.flatMap((e) => e.plots?.experiment ?? []))].sort();
  const cellTypes = [...new Set(result.methods.flatMap((e) => e.plots?.cellType ?? []))].sort();
  const errors = m.errors
    ? `<div class="error"><b>Errors:</b><ul>${Object.entries(m.errors)
        .map(([k, v]) => `<li>${escapeXml(k)}: ${escapeXml(v)}</li>`)
        .join('')}</ul></div>`
    : '';
  const compared = comparison
    ? '<section class="method"><h2>Compared with other representations</h2>' +
      `${comparisonSectionHtml(comparison)}</section>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>phenomap evaluation</title><style>${REPORT_STYLE}</style></head>
<body>
<h1>phenomap evaluation</h1>
${runSummary(result)}
${errors}
<h2>Metrics per method</h2>
${metricTable(result)}
${cellTypeTable(result)}
<h3>Accuracy per held-out experiment</h3>
${accuracyChart(result)}
${result.methods.map((e) => methodSection(e, experiments, cellTypes)).join('\n')}
${compared}
</body></html>
`;
}
