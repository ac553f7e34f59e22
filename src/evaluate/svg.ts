/**
 * Small SVG chart writers for the self-contained report (scatter, plate heatmap, grouped bars). Hand-written
 * because none of the installed packages draws charts, and a report must open offline with no scripts.
 */
import { viridis } from '../rxrx1/index.js';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

type Attributes = Record<string, string | number>;

/** ` a="1" b="2"`: attribute values are not escaped. */
function attributes(values: Attributes): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${value}"`)
    .join('');
}

/** `<name a="1">content</name>`, or self-closed without content. */
function element(name: string, values: Attributes, content?: string): string {
  const text = attributes(values);
  return content === undefined ? `<${name}${text}/>` : `<${name}${text}>${content}</${name}>`;
}

/** The opening tag of a chart: its size, viewBox and classes. */
function svgOpen(width: number, height: number, className: string): string {
  const size = { width, height, viewBox: `0 0 ${width} ${height}`, class: className };
  return `<svg${attributes({ xmlns: 'http://www.w3.org/2000/svg', ...size })}>`;
}

/** A centred bold title. */
function titleText(x: number, y: number, fontSize: number, title: string): string {
  return element(
    'text',
    { x, y, 'text-anchor': 'middle', 'font-size': fontSize, 'font-weight': 'bold' },
    escapeXml(title),
  );
}

/** A label centred on (x, y) and turned 90° counter-clockwise (a y-axis label). */
function verticalLabel(x: number, y: number, label: string): string {
  return element(
    'text',
    { x, y, 'text-anchor': 'middle', 'font-size': 10, transform: `rotate(-90 ${x} ${y})` },
    escapeXml(label),
  );
}

export interface LegendEntry {
  label: string;
  color: string;
}

export interface ScatterSpec {
  title: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  colors: string[];
  /** Points drawn last and larger (e.g. highlighted siRNAs). */
  emphasis?: ArrayLike<boolean | number>;
  legend?: LegendEntry[];
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

/** A scatter plot with a legend column (at most 16 entries are listed). */
export function scatterSvg(spec: ScatterSpec): string {
  const width = spec.width ?? 420;
  const height = spec.height ?? 320;
  const legendWidth = spec.legend?.length ? 110 : 0;
  const plot = { left: 36, top: 26, right: width - legendWidth - 10, bottom: height - 30 };
  const n = spec.x.length;
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(spec.x[i]) || !Number.isFinite(spec.y[i])) continue;
    xmin = Math.min(xmin, spec.x[i]);
    xmax = Math.max(xmax, spec.x[i]);
    ymin = Math.min(ymin, spec.y[i]);
    ymax = Math.max(ymax, spec.y[i]);
  }
  if (!(xmax > xmin)) [xmin, xmax] = [xmin - 1 || -1, xmax + 1 || 1];
  if (!(ymax > ymin)) [ymin, ymax] = [ymin - 1 || -1, ymax + 1 || 1];
  const sx = (v: number) => plot.left + ((v - xmin) / (xmax - xmin)) * (plot.right - plot.left);
  const sy = (v: number) => plot.bottom - ((v - ymin) / (ymax - ymin)) * (plot.bottom - plot.top);
  const parts: string[] = [svgOpen(width, height, 'plot scatter'), titleText(width / 2, 16, 12, spec.title)];
  parts.push(
    element('rect', {
      x: plot.left,
      y: plot.top,
      width: plot.right - plot.left,
      height: plot.bottom - plot.top,
      fill: 'none',
      stroke: '#999',
    }),
  );
  if (spec.xLabel)
    parts.push(
      element(
        'text',
        { x: (plot.left + plot.right) / 2, y: height - 8, 'text-anchor': 'middle', 'font-size': 10 },
        escapeXml(spec.xLabel),
      ),
    );
  if (spec.yLabel) parts.push(verticalLabel(12, (plot.top + plot.bottom) / 2, spec.yLabel));
  const emphasized = (i: number) => Boolean(spec.emphasis?.[i]);
  for (const pass of [false, true]) {
    for (let i = 0; i < n; i++) {
      if (emphasized(i) !== pass || !Number.isFinite(spec.x[i]) || !Number.isFinite(spec.y[i])) continue;
      const point = { cx: sx(spec.x[i]).toFixed(1), cy: sy(spec.y[i]).toFixed(1), r: pass ? 3.2 : 1.8 };
      const style: Attributes = pass ? { stroke: '#000', 'stroke-width': 0.4 } : { 'fill-opacity': 0.75 };
      parts.push(element('circle', { ...point, fill: spec.colors[i], ...style }));
    }
  }
  if (spec.legend?.length) parts.push(scatterLegend(spec.legend, plot.right, plot.top));
  parts.push('</svg>');
  return parts.join('');
}

/** The legend column right of a scatter plot: at most 16 entries, then a count of the others. */
function scatterLegend(legend: LegendEntry[], right: number, top: number): string {
  const shown = legend.slice(0, 16);
  const parts = shown.map((entry, k) => {
    const y = top + 6 + k * 14;
    return (
      element('circle', { cx: right + 16, cy: y, r: 4, fill: entry.color }) +
      element('text', { x: right + 24, y: y + 4, 'font-size': 10 }, escapeXml(entry.label))
    );
  });
  if (legend.length > shown.length)
    parts.push(
      element(
        'text',
        { x: right + 10, y: top + 6 + shown.length * 14 + 4, 'font-size': 10 },
        `+${legend.length - shown.length} more`,
      ),
    );
  return parts.join('');
}

export interface HeatmapSpec {
  title: string;
  /** rows x cols values, row-major; NaN cells are drawn empty. */
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  rowLabels?: string[];
  colLabels?: string[];
  /** Colour scale limits (values are clipped). */
  min: number;
  max: number;
  cell?: number;
}

/** A grid heatmap (a 16 x 24 plate: rows A..P, columns 01..24) with a min/max colour key. */
export function heatmapSvg(spec: HeatmapSpec): string {
  const cell = spec.cell ?? 11;
  const left = 18;
  const top = 30;
  const width = left + spec.cols * cell + 10;
  const height = top + spec.rows * cell + 26;
  const parts: string[] = [svgOpen(width, height, 'plot heatmap'), titleText(width / 2, 12, 11, spec.title)];
  const range = spec.max > spec.min ? spec.max - spec.min : 1;
  for (let r = 0; r < spec.rows; r++) {
    const y = top + r * cell;
    if (spec.rowLabels)
      parts.push(
        element(
          'text',
          { x: left - 3, y: y + cell - 2, 'text-anchor': 'end', 'font-size': 7 },
          escapeXml(spec.rowLabels[r]),
        ),
      );
    for (let c = 0; c < spec.cols; c++) {
      const v = spec.values[r * spec.cols + c];
      const fill = Number.isFinite(v) ? viridis((v - spec.min) / range) : '#f4f4f4';
      const at = { x: left + c * cell, y, width: cell, height: cell };
      parts.push(element('rect', { ...at, fill, stroke: '#fff', 'stroke-width': 0.5 }));
    }
  }
  spec.colLabels?.forEach((label, c) => {
    if (c % 2 === 1)
      parts.push(
        element(
          'text',
          { x: left + c * cell + cell / 2, y: top - 3, 'text-anchor': 'middle', 'font-size': 7 },
          escapeXml(label),
        ),
      );
  });
  const keyY = top + spec.rows * cell + 8;
  for (let t = 0; t < 20; t++)
    parts.push(element('rect', { x: left + t * 6, y: keyY, width: 6, height: 8, fill: viridis(t / 19) }));
  const limits = `${escapeXml(spec.min.toPrecision(3))} .. ${escapeXml(spec.max.toPrecision(3))}`;
  parts.push(element('text', { x: left + 124, y: keyY + 8, 'font-size': 8 }, limits));
  parts.push('</svg>');
  return parts.join('');
}

export interface BarSeries {
  name: string;
  values: number[];
  color: string;
}

export interface BarChartSpec {
  title: string;
  categories: string[];
  series: BarSeries[];
  yLabel?: string;
  /** Top of the y axis; default the largest value (at least 1e-9). */
  yMax?: number;
  height?: number;
}

/** Grouped vertical bars: one group per category, one bar per series; NaN values are left out. */
export function barChartSvg(spec: BarChartSpec): string {
  const height = spec.height ?? 280;
  const groupWidth = Math.max(14, spec.series.length * 9 + 6);
  const left = 44;
  const top = 26;
  const bottom = height - 70;
  const width = Math.max(left + spec.categories.length * groupWidth + 130, spec.title.length * 7 + 20);
  const all = spec.series.flatMap((s) => s.values).filter(Number.isFinite);
  const yMax = spec.yMax ?? Math.max(1e-9, ...all);
  const sy = (v: number) => bottom - (Math.min(v, yMax) / yMax) * (bottom - top);
  const right = left + spec.categories.length * groupWidth;
  const parts: string[] = [svgOpen(width, height, 'plot bars'), titleText(width / 2, 16, 12, spec.title)];
  for (let t = 0; t <= 4; t++) {
    const v = (yMax * t) / 4;
    parts.push(
      element('line', { x1: left, x2: right, y1: sy(v), y2: sy(v), stroke: '#e4e4e4' }) +
        element(
          'text',
          { x: left - 4, y: sy(v) + 3, 'text-anchor': 'end', 'font-size': 9 },
          String(Number(v.toPrecision(3))),
        ),
    );
  }
  if (spec.yLabel) parts.push(verticalLabel(10, (top + bottom) / 2, spec.yLabel));
  spec.categories.forEach((category, g) => {
    const x0 = left + g * groupWidth + 3;
    spec.series.forEach((series, s) => {
      const v = series.values[g];
      if (!Number.isFinite(v)) return;
      const bar = { x: x0 + s * 9, y: sy(v).toFixed(1), width: 8, height: (bottom - sy(v)).toFixed(1) };
      const tip = element('title', {}, escapeXml(`${series.name} ${category}: ${v.toFixed(3)}`));
      parts.push(element('rect', { ...bar, fill: series.color }, tip));
    });
    const cx = x0 + (spec.series.length * 9) / 2;
    const y = bottom + 8;
    parts.push(
      element(
        'text',
        { x: cx, y, 'font-size': 9, 'text-anchor': 'end', transform: `rotate(-60 ${cx} ${y})` },
        escapeXml(category),
      ),
    );
  });
  parts.push(
    element('line', { x1: left, x2: left, y1: top, y2: bottom, stroke: '#999' }) +
      element('line', { x1: left, x2: right, y1: bottom, y2: bottom, stroke: '#999' }),
  );
  spec.series.forEach((series, s) => {
    const x = right + 12;
    const y = top + 6 + s * 14;
    parts.push(
      element('rect', { x, y: y - 7, width: 9, height: 9, fill: series.color }) +
        element('text', { x: x + 13, y: y + 1, 'font-size': 10 }, escapeXml(series.name)),
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
