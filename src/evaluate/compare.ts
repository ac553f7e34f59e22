/**
 * Comparison of representations evaluated on the same held-out experiments (e.g. classical profiles and CNN
 * embeddings), each before and after batch correction: reads the metrics.json of each run and writes
 * compare.json and compare.html (a table and a grouped bar chart of held-out accuracy).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/files.js';
import { barChartSvg, escapeXml } from './svg.js';
import { categoricalColor } from '../rxrx1/index.js';

/**
 * The metrics compared, by metrics.json key (each keyed by correction method; `key.k` reads metrics[key][method][k]).
 */
export const COMPARED_METRICS = [
  'heldout_accuracy',
  'heldout_accuracy_plate_constrained',
  'knn_accuracy',
  'kshot_accuracy.1',
  'kshot_accuracy.10',
  'kshot_novel_accuracy.1',
  'kshot_novel_accuracy.10',
  'map',
  'silhouette_batch',
  'ilisi',
] as const;
type ComparedMetric = (typeof COMPARED_METRICS)[number];

export interface ComparedRun {
  /** Name of the representation, e.g. "classical" or "cnn". */
  name: string;
  /** Folder holding metrics.json. */
  dir: string;
  /** The run's metrics when already in memory (a run being written); otherwise read from `dir`. */
  metrics?: object;
}

export interface Comparison {
  runs: {
    name: string;
    dir: string;
    testExperiments: string[];
    chanceAccuracy: number | null;
    nTestWells: number | null;
  }[];
  methods: string[];
  /** values[metric][run name][method], null where the run lacks it. */
  values: Record<ComparedMetric, Record<string, Record<string, number | null>>>;
  /** Whether every run held out the same experiments (the comparison is only fair when true). */
  sameSplit: boolean;
}

function readMetrics(run: ComparedRun): Record<string, unknown> {
  if (run.metrics) return run.metrics as Record<string, unknown>;
  const file = path.join(run.dir, 'metrics.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${file}: cannot read the metrics of run "${run.name}" (${(error as Error).message})`);
  }
}

export function compareRuns(runs: readonly ComparedRun[]): Comparison {
  if (runs.length < 2) throw new Error(`compare: expected at least two runs, got ${runs.length}`);
  const metrics = runs.map(readMetrics);
  const methods = [
    ...new Set(metrics.flatMap((m) => Object.keys((m.heldout_accuracy as Record<string, unknown>) ?? {}))),
  ];
  const values = Object.fromEntries(
    COMPARED_METRICS.map((key) => {
      const [name, sub] = key.split('.');
      return [
        key,
        Object.fromEntries(
          runs.map((run, r) => {
            const byMethod = (metrics[r][name] as Record<string, unknown> | undefined) ?? {};
            const at = (method: string): number | null => {
              const value =
                sub === undefined ? byMethod[method] : (byMethod[method] as Record<string, unknown> | undefined)?.[sub];
              return typeof value === 'number' ? value : null;
            };
            return [run.name, Object.fromEntries(methods.map((method) => [method, at(method)]))];
          }),
        ),
      ];
    }),
  ) as Comparison['values'];
  const tests = metrics.map((m) =>
    ((m.split as { test_experiments?: string[] } | undefined)?.test_experiments ?? []).slice().sort(),
  );
  return {
    runs: runs.map((run, r) => ({
      name: run.name,
      dir: path.resolve(run.dir),
      testExperiments: tests[r],
      chanceAccuracy: (metrics[r].chance_accuracy as number) ?? null,
      nTestWells: (metrics[r].n_test_wells as number) ?? null,
    })),
    methods,
    values,
    sameSplit: tests.every((t) => t.join() === tests[0].join()),
  };
}

/** The comparison as an HTML fragment (note on the split, bar chart, table), for compare.html and report.html. */
export function comparisonSectionHtml(comparison: Comparison): string {
  const format = (v: number | null) => (v === null ? '–' : v.toFixed(3));
  const cells = (values: string[], tag = 'td') => values.map((v) => `<${tag}>${v}</${tag}>`).join('');
  const rows = COMPARED_METRICS.flatMap((key) =>
    comparison.runs.map((run) => {
      const values = comparison.methods.map((m) => format(comparison.values[key][run.name][m]));
      return `<tr><td>${key}</td><td>${escapeXml(run.name)}</td>${cells(values)}</tr>`;
    }),
  );
  const chart = barChartSvg({
    title: 'Held-out siRNA accuracy by representation and correction method',
    categories: comparison.methods,
    series: comparison.runs.map((run, r) => ({
      name: run.name,
      color: categoricalColor(r),
      values: comparison.methods.map((m) => comparison.values.heldout_accuracy[run.name][m] ?? NaN),
    })),
    yLabel: 'accuracy',
  });
  const split = comparison.sameSplit
    ? `All runs held out the same experiments: ${escapeXml(comparison.runs[0].testExperiments.join(', '))}.`
    : '<strong>The runs held out different experiments: their numbers are not comparable.</strong>';
  const chance = comparison.runs.map((r) => `${escapeXml(r.name)} ${format(r.chanceAccuracy)}`).join(', ');
  const methods = cells(
    comparison.methods.map((m) => escapeXml(m)),
    'th',
  );
  const head = `<tr><th>metric</th><th>representation</th>${methods}</tr>`;
  const runs = comparison.runs.map((r) => `${escapeXml(r.name)} = ${escapeXml(r.dir)}`).join('; ');
  return [
    `<p>${split} Chance accuracy ${chance}.</p>`,
    chart,
    `<table class="compare">${head}${rows.join('\n')}</table>`,
    `<p>Runs: ${runs}. Metric definitions: src/evaluate/METRICS.md.</p>`,
  ].join('\n');
}

const COMPARE_STYLE = [
  'body{font-family:system-ui,sans-serif;margin:24px;color:#222}',
  'table{border-collapse:collapse}',
  'td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}',
  'td:nth-child(-n+2){text-align:left}',
].join('');

function renderHtml(comparison: Comparison): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>phenomap comparison</title>
<style>${COMPARE_STYLE}</style></head><body>
<h1>Representations compared</h1>${comparisonSectionHtml(comparison)}
</body></html>\n`;
}

/** Writes `dir`/compare.json and `dir`/compare.html. */
export function writeComparison(comparison: Comparison, dir: string): { json: string; html: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'compare.json');
  const html = path.join(dir, 'compare.html');
  writeFileAtomic(json, `${JSON.stringify(comparison, null, 2)}\n`);
  writeFileAtomic(html, renderHtml(comparison));
  return { json, html };
}
