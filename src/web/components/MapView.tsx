import { useCallback, useMemo, useState } from 'react';
import { type Embedding, type EmbeddingPoint, PROJECTIONS, type RunInfo } from '../../api/types.js';
import { api } from '../api';
import { type AsyncState, navigate, useAsync, type Route } from '../hooks';
import {
  categoricalColor,
  FIRST_POSITIVE_CONTROL,
  parseWellId,
  sirnaColor,
  WELL_TYPE_COLORS,
  WELL_TYPE_LABELS,
} from '../../rxrx1/index.js';
import { Scatter } from './Scatter';
import { Empty, ErrorMessage, Loading, SelectField } from './Status';

const COLOR_FIELDS = [
  { value: 'experiment', label: 'Experiment' },
  { value: 'cellType', label: 'Cell type' },
  { value: 'sirnaId', label: 'siRNA' },
  { value: 'wellType', label: 'Well type' },
] as const;
type ColorField = (typeof COLOR_FIELDS)[number]['value'];

const METHOD_LABELS: Record<string, string> = { none: 'none (raw)', tvn: 'TVN (typical variation normalization)' };

function axisLabel(projection: string, axis: number, explained: number | undefined): string {
  const name = projection === 'pca' ? `PC${axis}` : `${projection.toUpperCase()} ${axis}`;
  return explained === undefined ? name : `${name} (${(explained * 100).toFixed(1)}% of variance)`;
}

function keyOf(field: ColorField) {
  return (p: EmbeddingPoint) => String(p[field] ?? '—');
}

/** What the map shows, from the route: run, the two methods, projection and colour field. */
function useMapRoute(route: Route, runs: RunInfo[] | undefined) {
  const usable = (runs ?? []).filter((r) => r.methods.length > 0);
  const run: RunInfo | undefined = usable.find((r) => r.name === route.params.get('run')) ?? usable[0];
  const methods = run?.methods ?? [];
  const left = methods.includes(route.params.get('left') ?? '')
    ? route.params.get('left')!
    : methods.includes('none')
      ? 'none'
      : methods[0];
  const rightDefault = methods.includes('tvn') && left !== 'tvn' ? 'tvn' : (methods.find((m) => m !== left) ?? left);
  const right = methods.includes(route.params.get('right') ?? '') ? route.params.get('right')! : rightDefault;
  const projection = PROJECTIONS.find((p) => p === route.params.get('projection')) ?? PROJECTIONS[0];
  const colorField = (COLOR_FIELDS.find((f) => f.value === route.params.get('color'))?.value ??
    'experiment') as ColorField;
  const update = (changes: Record<string, string>) =>
    navigate('map', undefined, { run: run?.name, left, right, projection, color: colorField, ...changes }, true);
  return { usable, run, methods, left, right, projection, colorField, update };
}

type MapRoute = ReturnType<typeof useMapRoute>;

/** The categories of the colour field over both plots, and the colour of a point. */
function useMapColors(colorField: ColorField, embeddings: (Embedding | undefined)[]) {
  const getKey = useMemo(() => keyOf(colorField), [colorField]);
  const [leftData, rightData] = embeddings;
  const categories = useMemo(() => {
    const counts = new Map<string, number>();
    for (const p of [...(leftData?.points ?? []), ...(rightData?.points ?? [])])
      counts.set(getKey(p), (counts.get(getKey(p)) ?? 0) + 1);
    return [...counts.keys()].sort((a, b) => (colorField === 'sirnaId' ? Number(a) - Number(b) : a.localeCompare(b)));
  }, [leftData, rightData, getKey, colorField]);
  const colorOf = useCallback(
    (p: EmbeddingPoint) => {
      if (colorField === 'sirnaId')
        return p.sirnaId === null || p.sirnaId === undefined ? '#999' : sirnaColor(p.sirnaId);
      if (colorField === 'wellType') return WELL_TYPE_COLORS[p.wellType ?? ''] ?? '#999';
      return categoricalColor(Math.max(0, categories.indexOf(getKey(p))));
    },
    [colorField, categories, getKey],
  );
  return { getKey, categories, colorOf };
}

type Hover = { point: EmbeddingPoint; x: number; y: number };

export function MapView({ route }: { route: Route }) {
  const runs = useAsync(() => api.runs(), []);
  const selection = useMapRoute(route, runs.data);
  const { run, left, right, projection, colorField } = selection;
  const runName = run?.name;
  const leftData = useAsync(
    () => (runName && left ? api.embedding(runName, left, projection) : undefined),
    [runName, left, projection],
  );
  const rightData = useAsync(
    () => (runName && right ? api.embedding(runName, right, projection) : undefined),
    [runName, right, projection],
  );
  const [hover, setHover] = useState<Hover | null>(null);
  const [focusKey, setFocusKey] = useState<string | null>(null);
  const { getKey, categories, colorOf } = useMapColors(colorField, [leftData.data, rightData.data]);
  const onHover = useCallback(
    (point: EmbeddingPoint | null, x: number, y: number) => setHover(point ? { point, x, y } : null),
    [],
  );
  const onSelect = useCallback((point: EmbeddingPoint) => {
    const parts = parseWellId(point.wellId);
    if (parts) navigate('plate', undefined, { experiment: parts.experiment, plate: parts.plate, well: parts.well });
  }, []);

  if (runs.loading && !runs.data) return <Loading label="Loading runs…" />;
  if (runs.error) return <ErrorMessage title="Runs" error={runs.error} onRetry={runs.reload} />;
  if (!run) return <NoMapRun />;
  const sides = [
    { key: 'left', method: left, data: leftData, title: 'Before' },
    { key: 'right', method: right, data: rightData, title: 'After' },
  ] as const;
  const plot = { runName: run.name, projection, colorField, colorOf, getKey, focusKey, onHover, onSelect };
  return (
    <div className="view map-view">
      <MapToolbar selection={selection} onColor={() => setFocusKey(null)} />
      <div className="map-grid">
        {sides.map(({ key, method, data, title }) => (
          <MapSide key={key} side={key} method={method} title={title} data={data} hover={hover} plot={plot} />
        ))}
      </div>
      <MapLegend
        field={colorField}
        categories={categories}
        colorOf={(key) =>
          colorOf({ [colorField]: colorField === 'sirnaId' ? Number(key) : key } as unknown as EmbeddingPoint)
        }
        focusKey={focusKey}
        onFocus={setFocusKey}
      />
      <p className="hint">
        Hover a point to see its well (and the same well in the other plot); click it to open the well on its plate.
      </p>
      {hover && <MapTooltip hover={hover} />}
    </div>
  );
}

function NoMapRun() {
  return (
    <Empty>
      <span>No run with profiles or embeddings yet.</span>
      <span className="hint">
        The map projects a run's well profiles (a Parquet table in a folder of the server's runs folder,{' '}
        <code>serve --runs DIR</code>).
      </span>
    </Empty>
  );
}

function MapToolbar({ selection, onColor }: { selection: MapRoute; onColor: () => void }) {
  const { usable, run, methods, left, right, projection, colorField, update } = selection;
  const methodOptions = methods.map((m) => ({ value: m, label: METHOD_LABELS[m] ?? m }));
  return (
    <form className="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Map options">
      <SelectField
        id="map-run"
        label="Run"
        value={run?.name ?? ''}
        options={usable.map((r) => ({ value: r.name, label: r.name }))}
        onChange={(value) => navigate('map', undefined, { run: value, color: colorField }, true)}
      />
      <SelectField
        id="map-left"
        label="Left (before)"
        value={left}
        options={methodOptions}
        onChange={(value) => update({ left: value })}
      />
      <SelectField
        id="map-right"
        label="Right (after)"
        value={right}
        options={methodOptions}
        onChange={(value) => update({ right: value })}
      />
      <SelectField
        id="map-projection"
        label="Projection"
        value={projection}
        options={PROJECTIONS.map((p) => ({ value: p, label: p.toUpperCase() }))}
        onChange={(value) => update({ projection: value })}
      />
      <SelectField
        id="map-color"
        label="Colour by"
        value={colorField}
        options={COLOR_FIELDS}
        onChange={(value) => {
          onColor();
          update({ color: value });
        }}
      />
    </form>
  );
}

interface PlotSettings {
  runName: string;
  projection: string;
  colorField: ColorField;
  colorOf: (point: EmbeddingPoint) => string;
  getKey: (point: EmbeddingPoint) => string;
  focusKey: string | null;
  onHover: (point: EmbeddingPoint | null, x: number, y: number) => void;
  onSelect: (point: EmbeddingPoint) => void;
}

function fitLabel(data: Embedding): string {
  const fitted =
    data.fittedOn === 'negative'
      ? ' · fitted on negative controls'
      : data.fittedOn === 'all'
        ? ' · fitted on all wells'
        : '';
  const features = data.features ? ` · ${data.features.toLocaleString('en-US')} features` : '';
  return `· ${data.points.length.toLocaleString('en-US')} wells${features}${fitted}`;
}

function MapSide(props: {
  side: string;
  method: string;
  title: string;
  data: AsyncState<Embedding>;
  hover: Hover | null;
  plot: PlotSettings;
}) {
  const { side, method, title, data, hover, plot } = props;
  const { runName, projection, colorField } = plot;
  const embedding = data.data;
  return (
    <section className="panel" aria-labelledby={`map-${side}-title`}>
      <header className="panel-header">
        <h2 id={`map-${side}-title`}>
          {title}: {METHOD_LABELS[method] ?? method}
          {embedding && <span className="muted"> {fitLabel(embedding)}</span>}
        </h2>
        {data.loading && <Loading />}
      </header>
      {data.error && <ErrorMessage error={data.error} onRetry={data.reload} />}
      {embedding && embedding.points.length === 0 && <Empty>No points.</Empty>}
      {embedding && embedding.points.length > 0 && (
        <Scatter
          points={embedding.points}
          colorOf={plot.colorOf}
          highlighted={hover?.point.wellId ?? null}
          focusKey={plot.focusKey}
          keyOf={plot.getKey}
          label={
            `${projection.toUpperCase()} of run ${runName}, correction ${method}: ${embedding.points.length} wells ` +
            `coloured by ${colorField}`
          }
          xLabel={axisLabel(projection, 1, embedding.explained?.[0])}
          yLabel={axisLabel(projection, 2, embedding.explained?.[1])}
          onHover={plot.onHover}
          onSelect={plot.onSelect}
        />
      )}
    </section>
  );
}

function MapTooltip({ hover }: { hover: Hover }) {
  const { point } = hover;
  return (
    <div
      className="tooltip"
      role="tooltip"
      data-testid="map-tooltip"
      style={{
        left: Math.min(hover.x + 14, window.innerWidth - 260),
        top: Math.min(hover.y + 14, window.innerHeight - 140),
      }}
    >
      <div className="tooltip-title mono">{point.wellId}</div>
      <dl>
        <dt>Experiment</dt>
        <dd>{point.experiment}</dd>
        <dt>Cell type</dt>
        <dd>{point.cellType}</dd>
        <dt>siRNA id</dt>
        <dd>{point.sirnaId ?? '—'}</dd>
        <dt>Well type</dt>
        <dd>{WELL_TYPE_LABELS[point.wellType ?? ''] ?? point.wellType}</dd>
      </dl>
    </div>
  );
}

function MapLegend({
  field,
  categories,
  colorOf,
  focusKey,
  onFocus,
}: {
  field: ColorField;
  categories: string[];
  colorOf: (key: string) => string;
  focusKey: string | null;
  onFocus: (key: string | null) => void;
}) {
  if (categories.length === 0) return null;
  const many = categories.length > 40;
  const shown = many ? categories.filter((k) => Number(k) >= FIRST_POSITIVE_CONTROL) : categories;
  return (
    <section className="legend" aria-label="Legend" data-testid="map-legend">
      <span className="legend-title">{COLOR_FIELDS.find((f) => f.value === field)?.label}</span>
      {many && (
        <span className="muted">
          {categories.length.toLocaleString('en-US')} values, a colour each{shown.length ? '; controls:' : ''}
        </span>
      )}
      {shown.slice(0, 60).map((key) => (
        <button
          type="button"
          key={key}
          className={`legend-item${focusKey === key ? ' active' : ''}`}
          aria-pressed={focusKey === key}
          onClick={() => onFocus(focusKey === key ? null : key)}
          title="Show this group on top"
        >
          <span className="swatch" style={{ backgroundColor: colorOf(key) }} aria-hidden="true" />
          {field === 'wellType' ? (WELL_TYPE_LABELS[key] ?? key) : key}
        </button>
      ))}
    </section>
  );
}
