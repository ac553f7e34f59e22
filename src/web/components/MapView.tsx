import { useCallback, useMemo, useState } from 'react';
import { type EmbeddingPoint, PROJECTIONS, type RunInfo } from '../../api/types.js';
import { api } from '../api';
import { navigate, useAsync, type Route } from '../hooks';
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

export function MapView({ route }: { route: Route }) {
  const runs = useAsync(() => api.runs(), []);
  const usable = (runs.data ?? []).filter((r) => r.methods.length > 0);
  const run: RunInfo | undefined = usable.find((r) => r.name === route.params.get('run')) ?? usable[0];
  const methods = run?.methods ?? [];
  const methodOptions = methods.map((m) => ({ value: m, label: METHOD_LABELS[m] ?? m }));
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

  const leftData = useAsync(
    () => (run && left ? api.embedding(run.name, left, projection) : undefined),
    [run?.name, left, projection],
  );
  const rightData = useAsync(
    () => (run && right ? api.embedding(run.name, right, projection) : undefined),
    [run?.name, right, projection],
  );

  const [hover, setHover] = useState<{ point: EmbeddingPoint; x: number; y: number } | null>(null);
  const [focusKey, setFocusKey] = useState<string | null>(null);

  const getKey = useMemo(() => keyOf(colorField), [colorField]);
  const categories = useMemo(() => {
    const counts = new Map<string, number>();
    for (const p of [...(leftData.data?.points ?? []), ...(rightData.data?.points ?? [])])
      counts.set(getKey(p), (counts.get(getKey(p)) ?? 0) + 1);
    return [...counts.keys()].sort((a, b) => (colorField === 'sirnaId' ? Number(a) - Number(b) : a.localeCompare(b)));
  }, [leftData.data, rightData.data, getKey, colorField]);
  const colorOf = useCallback(
    (p: EmbeddingPoint) => {
      if (colorField === 'sirnaId')
        return p.sirnaId === null || p.sirnaId === undefined ? '#999' : sirnaColor(p.sirnaId);
      if (colorField === 'wellType') return WELL_TYPE_COLORS[p.wellType ?? ''] ?? '#999';
      return categoricalColor(Math.max(0, categories.indexOf(getKey(p))));
    },
    [colorField, categories, getKey],
  );

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
  if (!run)
    return (
      <Empty>
        <span>No run with profiles or embeddings yet.</span>
        <span className="hint">
          The map projects a run's well profiles (a Parquet table in a folder of the server's runs folder,{' '}
          <code>serve --runs DIR</code>).
        </span>
      </Empty>
    );

  const sides = [
    { key: 'left', method: left, data: leftData, title: 'Before' },
    { key: 'right', method: right, data: rightData, title: 'After' },
  ] as const;

  return (
    <div className="view map-view">
      <form className="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Map options">
        <SelectField
          id="map-run"
          label="Run"
          value={run.name}
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
            setFocusKey(null);
            update({ color: value });
          }}
        />
      </form>

      <div className="map-grid">
        {sides.map(({ key, method, data, title }) => (
          <section key={key} className="panel" aria-labelledby={`map-${key}-title`}>
            <header className="panel-header">
              <h2 id={`map-${key}-title`}>
                {title}: {METHOD_LABELS[method] ?? method}
                {data.data && (
                  <span className="muted">
                    {' '}
                    · {data.data.points.length.toLocaleString('en-US')} wells
                    {data.data.features ? ` · ${data.data.features.toLocaleString('en-US')} features` : ''}
                    {data.data.fittedOn === 'negative'
                      ? ' · fitted on negative controls'
                      : data.data.fittedOn === 'all'
                        ? ' · fitted on all wells'
                        : ''}
                  </span>
                )}
              </h2>
              {data.loading && <Loading />}
            </header>
            {data.error && <ErrorMessage error={data.error} onRetry={data.reload} />}
            {data.data && data.data.points.length === 0 && <Empty>No points.</Empty>}
            {data.data && data.data.points.length > 0 && (
              <Scatter
                points={data.data.points}
                colorOf={colorOf}
                highlighted={hover?.point.wellId ?? null}
                focusKey={focusKey}
                keyOf={getKey}
                label={`${projection.toUpperCase()} of run ${run.name}, correction ${method}: ${data.data.points.length} wells coloured by ${colorField}`}
                xLabel={axisLabel(projection, 1, data.data.explained?.[0])}
                yLabel={axisLabel(projection, 2, data.data.explained?.[1])}
                onHover={onHover}
                onSelect={onSelect}
              />
            )}
          </section>
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
      {hover && (
        <div
          className="tooltip"
          role="tooltip"
          data-testid="map-tooltip"
          style={{
            left: Math.min(hover.x + 14, window.innerWidth - 260),
            top: Math.min(hover.y + 14, window.innerHeight - 140),
          }}
        >
          <div className="tooltip-title mono">{hover.point.wellId}</div>
          <dl>
            <dt>Experiment</dt>
            <dd>{hover.point.experiment}</dd>
            <dt>Cell type</dt>
            <dd>{hover.point.cellType}</dd>
            <dt>siRNA id</dt>
            <dd>{hover.point.sirnaId ?? '—'}</dd>
            <dt>Well type</dt>
            <dd>{WELL_TYPE_LABELS[hover.point.wellType ?? ''] ?? hover.point.wellType}</dd>
          </dl>
        </div>
      )}
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
    <div className="legend" aria-label="Legend" data-testid="map-legend">
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
    </div>
  );
}
