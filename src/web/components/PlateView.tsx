import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { DatasetInfo, PlateValue, RunInfo, WellRecord } from '../../api/types.js';
import { api } from '../api';
import { formatNumber, VIRIDIS_GRADIENT } from '../colors';
import {
  categoryColor,
  isUsedPosition as isUsed,
  PLATE_COLUMNS,
  PLATE_ROWS,
  ROW_LETTERS,
  viridis,
  WELL_TYPE_LABELS,
  wellName,
  wellPosition,
} from '../../rxrx1/index.js';
import { navigate, useAsync, useDebounced, type Route } from '../hooks';
import { Empty, ErrorMessage, Field, Loading } from './Status';
import { WellPanel } from './WellPanel';

interface FieldOption {
  value: string;
  label: string;
  numeric: boolean;
  usesRun?: boolean;
}

const METADATA_FIELDS: FieldOption[] = [
  { value: 'well_type', label: 'Well type', numeric: false },
  { value: 'sirna_group', label: 'siRNA group', numeric: false },
  { value: 'sirna_id', label: 'siRNA id', numeric: false },
  { value: 'cell_count', label: 'Cell count', numeric: true, usesRun: true },
];
const FEATURE = '__feature';

export function fieldLabel(field: string): string {
  return METADATA_FIELDS.find((f) => f.value === field)?.label ?? field;
}

function categoryLabel(field: string, value: PlateValue): string {
  if (value === null) return 'no value';
  if (field === 'well_type') return WELL_TYPE_LABELS[String(value)] ?? String(value);
  if (field === 'sirna_group') return `group ${value}`;
  if (field === 'sirna_id') return `siRNA ${value}`;
  return typeof value === 'number' ? formatNumber(value) : value;
}

interface Category {
  key: string;
  label: string;
  color: string;
  count: number;
}

type Scale =
  | { kind: 'categorical'; colorOf: (v: PlateValue) => string | undefined; categories: Category[] }
  | { kind: 'numeric'; colorOf: (v: PlateValue) => string | undefined; min: number; max: number; missing: number };

function buildScale(field: string, numericField: boolean, values: Map<string, PlateValue>): Scale {
  const present = [...values.values()].filter((v): v is string | number => v !== null && v !== undefined);
  const allNumbers = present.every((v) => typeof v === 'number');
  if (numericField && allNumbers && present.length > 0) {
    const numbers = present as number[];
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    const span = max - min || 1;
    return {
      kind: 'numeric',
      min,
      max,
      missing: values.size - numbers.length,
      colorOf: (v) => (typeof v === 'number' ? viridis((v - min) / span) : undefined),
    };
  }
  const counts = new Map<string, { value: string | number; count: number }>();
  for (const v of present) {
    const entry = counts.get(String(v));
    if (entry) entry.count++;
    else counts.set(String(v), { value: v, count: 1 });
  }
  const sorted = [...counts.values()].sort((a, b) =>
    typeof a.value === 'number' && typeof b.value === 'number'
      ? a.value - b.value
      : String(a.value).localeCompare(String(b.value)),
  );
  const order = new Map(sorted.map((entry, i) => [String(entry.value), i]));
  const categories = sorted.map((entry) => ({
    key: String(entry.value),
    label: categoryLabel(field, entry.value),
    color: categoryColor(field, entry.value, order),
    count: entry.count,
  }));
  const byKey = new Map(categories.map((c) => [c.key, c.color]));
  return {
    kind: 'categorical',
    categories,
    colorOf: (v) => (v === null || v === undefined ? undefined : byKey.get(String(v))),
  };
}

export function PlateView({ dataset, route }: { dataset: DatasetInfo; route: Route }) {
  const experiments = dataset.experiments;
  const experiment = experiments.find((e) => e.experiment === route.params.get('experiment')) ?? experiments[0];
  const plateParam = Number(route.params.get('plate'));
  const plate = experiment?.plates.includes(plateParam) ? plateParam : experiment?.plates[0];
  const field = route.params.get('field') || 'well_type';
  const run = route.params.get('run') ?? '';
  const selectedWell = route.params.get('well') ?? '';
  const isMetadataField = METADATA_FIELDS.some((f) => f.value === field);
  const fieldOption = METADATA_FIELDS.find((f) => f.value === field);
  const [featureDraft, setFeatureDraft] = useState(isMetadataField ? '' : field);
  const [featureMode, setFeatureMode] = useState(!isMetadataField);
  const debouncedFeature = useDebounced(featureDraft.trim(), 400);
  // A feature field arriving by URL (a link, back/forward) switches to feature mode, a metadata field out of it.
  useEffect(() => {
    if (!isMetadataField) {
      setFeatureMode(true);
      setFeatureDraft(field);
    } else setFeatureMode(false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [field]);

  const update = (changes: Record<string, string | number | undefined>, push = false) => {
    const params = { experiment: experiment?.experiment, plate, field, run, well: selectedWell, ...changes };
    navigate('plate', undefined, params, !push);
  };

  // A typed feature name becomes the field once typing pauses.
  useEffect(() => {
    if (featureMode && debouncedFeature && debouncedFeature !== field) update({ field: debouncedFeature });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debouncedFeature, featureMode]);

  const runs = useAsync(() => api.runs(), []);
  const wells = useAsync(
    () => (experiment && plate ? api.wells(experiment.experiment, plate) : undefined),
    [experiment?.experiment, plate],
  );
  // Cell counts and features come from a run's profiles; metadata fields from the dataset.
  const usesRun = featureMode || !!fieldOption?.usesRun;
  const featureChosen = !featureMode || !isMetadataField;
  const valuesReady = !!(experiment && plate && featureChosen && (!usesRun || run));
  const values = useAsync(
    () => (valuesReady ? api.plateValues(experiment.experiment, plate, field, usesRun ? run : undefined) : undefined),
    [experiment?.experiment, plate, field, usesRun ? run : '', valuesReady],
  );
  const profileRuns = (runs.data ?? []).filter((r) => r.hasProfiles);
  // A field that needs a run gets the first run with profiles until one is picked.
  useEffect(() => {
    if (usesRun && !run && profileRuns.length > 0) update({ run: profileRuns[0].name });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [usesRun, run, runs.data]);

  const wellsByName = useMemo(() => new Map((wells.data ?? []).map((w) => [w.well, w])), [wells.data]);
  const valueMap = useMemo(() => {
    const map = new Map<string, PlateValue>();
    if (values.data && values.data.field === field)
      for (const { well, value } of values.data.values) map.set(well, value ?? null);
    return map;
  }, [values.data, field]);
  const scale = useMemo(
    () => buildScale(field, fieldOption ? fieldOption.numeric : true, valueMap),
    [field, fieldOption, valueMap],
  );
  const [highlight, setHighlight] = useState<string | null>(null);
  useEffect(() => setHighlight(null), [field, experiment?.experiment, plate]);

  const runList: RunInfo[] = runs.data ?? [];

  if (!experiment || plate === undefined) return <Empty>This dataset has no experiments.</Empty>;

  return (
    <div className="view plate-view">
      <form className="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Plate options">
        <Field id="plate-experiment" label="Experiment">
          <select
            id="plate-experiment"
            value={experiment.experiment}
            onChange={(e) => {
              const next = experiments.find((x) => x.experiment === e.target.value)!;
              update(
                {
                  experiment: next.experiment,
                  plate: next.plates.includes(plate) ? plate : next.plates[0],
                  well: undefined,
                },
                true,
              );
            }}
          >
            {['train', 'test']
              .concat([...new Set(experiments.map((e) => e.dataset))].filter((d) => d !== 'train' && d !== 'test'))
              .map((group) => {
                const members = experiments.filter((e) => e.dataset === group);
                return members.length === 0 ? null : (
                  <optgroup key={group} label={group}>
                    {members.map((e) => (
                      <option key={e.experiment} value={e.experiment}>
                        {e.experiment}
                      </option>
                    ))}
                  </optgroup>
                );
              })}
          </select>
        </Field>
        <Field id="plate-plate" label="Plate">
          <select
            id="plate-plate"
            value={plate}
            onChange={(e) => update({ plate: Number(e.target.value), well: undefined }, true)}
          >
            {experiment.plates.map((p) => (
              <option key={p} value={p}>
                Plate {p}
              </option>
            ))}
          </select>
        </Field>
        <Field id="plate-field" label="Colour by">
          <select
            id="plate-field"
            value={featureMode ? FEATURE : field}
            onChange={(e) => {
              if (e.target.value === FEATURE) {
                setFeatureMode(true);
                if (featureDraft.trim()) update({ field: featureDraft.trim() });
              } else {
                setFeatureMode(false);
                update({ field: e.target.value });
              }
            }}
          >
            {METADATA_FIELDS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
            <option value={FEATURE}>Feature from a run…</option>
          </select>
        </Field>
        {usesRun || featureMode ? (
          <Field id="plate-run" label="Run">
            <select
              id="plate-run"
              value={run}
              onChange={(e) => update({ run: e.target.value })}
              disabled={runs.loading && !runs.data}
            >
              {!run && <option value="">{profileRuns.length ? 'choose a run…' : 'no run with profiles'}</option>}
              {profileRuns.map((r) => (
                <option key={r.name} value={r.name}>
                  {r.name}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        {featureMode && (
          <Field id="plate-feature" label="Feature">
            <input
              id="plate-feature"
              type="text"
              placeholder="e.g. Nuclei_AreaShape_Area"
              value={featureDraft}
              spellCheck={false}
              onChange={(e) => setFeatureDraft(e.target.value)}
            />
          </Field>
        )}
      </form>

      <div className="plate-layout">
        <section className="panel plate-panel" aria-labelledby="plate-title">
          <header className="panel-header">
            <h2 id="plate-title">
              {experiment.experiment} · plate {plate}
              <span className="muted">
                {' '}
                {experiment.cellType} · {experiment.dataset}
              </span>
            </h2>
            {(wells.loading || values.loading) && <Loading label="Loading plate…" />}
          </header>
          {wells.error && <ErrorMessage title="Wells" error={wells.error} onRetry={wells.reload} />}
          {values.error && <ErrorMessage title={`Values of “${field}”`} error={values.error} onRetry={values.reload} />}
          {usesRun && runs.data && profileRuns.length === 0 && (
            <Empty>
              <span>No run with profiles yet: cell counts and features come from a run's profile table.</span>
              <span className="hint">
                Runs are the folders of the server's runs folder (<code>serve --runs DIR</code>).
              </span>
            </Empty>
          )}
          {featureMode && isMetadataField && profileRuns.length > 0 && (
            <Empty>Type the name of a feature of run {run || '…'} to colour the plate by it.</Empty>
          )}
          <PlateGrid
            wells={wellsByName}
            wellsLoaded={!!wells.data}
            values={valueMap}
            scale={scale}
            field={field}
            selected={selectedWell}
            highlight={highlight}
            onOpen={(well) => update({ well }, true)}
          />
          <Legend
            field={field}
            scale={scale}
            highlight={highlight}
            onHighlight={setHighlight}
            hasValues={valueMap.size > 0}
          />
        </section>
        <WellPanel
          loading={!wells.data && !wells.error}
          well={selectedWell ? wellsByName.get(selectedWell) : undefined}
          wellName={selectedWell}
          value={valueMap.get(selectedWell)}
          field={field}
          onClose={() => update({ well: undefined }, true)}
        />
      </div>
    </div>
  );
}

interface PlateGridProps {
  wells: Map<string, WellRecord>;
  /** False while the plate's wells load: no well is marked "no sites" yet. */
  wellsLoaded: boolean;
  values: Map<string, PlateValue>;
  scale: Scale;
  field: string;
  selected: string;
  highlight: string | null;
  onOpen: (well: string) => void;
}

interface Tip {
  well: string;
  x: number;
  y: number;
}

function PlateGrid({ wells, wellsLoaded, values, scale, field, selected, highlight, onOpen }: PlateGridProps) {
  const [tip, setTip] = useState<Tip | null>(null);
  const [active, setActive] = useState(selected || 'B02');
  const gridRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (selected) setActive(selected);
  }, [selected]);

  const focusWell = (well: string) => {
    setActive(well);
    const element = gridRef.current?.querySelector<HTMLButtonElement>(`[data-well="${well}"]`);
    element?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const position = wellPosition(active);
    if (!position) return;
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
    };
    let { row, column } = position;
    if (moves[event.key]) {
      row = Math.min(14, Math.max(1, row + moves[event.key][0]));
      column = Math.min(22, Math.max(1, column + moves[event.key][1]));
    } else if (event.key === 'Home') column = 1;
    else if (event.key === 'End') column = 22;
    else if (event.key === 'Escape') return setTip(null);
    else return;
    event.preventDefault();
    focusWell(wellName(row, column));
  };

  const rows = Array.from({ length: PLATE_ROWS }, (_, r) => r);
  const columns = Array.from({ length: PLATE_COLUMNS }, (_, c) => c);
  return (
    <div className="plate-scroll">
      <div
        className="plate-grid"
        ref={gridRef}
        data-wells-loaded={wellsLoaded}
        role="group"
        aria-label="384-well plate; arrow keys move between wells, Enter opens a well"
        onKeyDown={onKeyDown}
        onMouseLeave={() => setTip(null)}
      >
        <div className="plate-corner" aria-hidden="true" />
        {columns.map((c) => (
          <div key={`c${c}`} className="plate-label" aria-hidden="true">
            {String(c + 1).padStart(2, '0')}
          </div>
        ))}
        {rows.map((r) => [
          <div key={`r${r}`} className="plate-label" aria-hidden="true">
            {ROW_LETTERS[r]}
          </div>,
          ...columns.map((c) => {
            const name = wellName(r, c);
            if (!isUsed(r, c))
              return (
                <div
                  key={name}
                  className="well unused"
                  data-testid="well"
                  data-used="false"
                  data-well={name}
                  title={`${name}: not used in RxRx1`}
                  aria-hidden="true"
                />
              );
            const record = wells.get(name);
            const value = values.has(name) ? values.get(name)! : null;
            const color = scale.colorOf(value);
            const dimmed = highlight !== null && String(value) !== highlight;
            return (
              <button
                key={name}
                type="button"
                className={`well${record || !wellsLoaded ? '' : ' no-data'}${color ? '' : ' no-value'}${name === selected ? ' selected' : ''}${dimmed ? ' dimmed' : ''}`}
                style={color ? { backgroundColor: color } : undefined}
                data-testid="well"
                data-used="true"
                data-well={name}
                data-value={value === null ? '' : String(value)}
                tabIndex={name === active ? 0 : -1}
                aria-label={`${name}${record ? `, ${WELL_TYPE_LABELS[record.wellType] ?? record.wellType}${record.sirna ? `, ${record.sirna}` : ''}` : ', no sites'}, ${fieldLabel(field)}: ${categoryLabel(field, value)}`}
                aria-current={name === selected ? 'true' : undefined}
                onClick={() => {
                  setActive(name);
                  onOpen(name);
                }}
                onMouseMove={(e) => setTip({ well: name, x: e.clientX, y: e.clientY })}
                onFocus={(e) => {
                  setActive(name);
                  const rect = e.currentTarget.getBoundingClientRect();
                  if (e.currentTarget.matches(':focus-visible')) setTip({ well: name, x: rect.right, y: rect.bottom });
                }}
                onBlur={() => setTip(null)}
              />
            );
          }),
        ])}
      </div>
      {tip && (
        <WellTooltip
          tip={tip}
          record={wells.get(tip.well)}
          value={values.has(tip.well) ? values.get(tip.well)! : null}
          field={field}
        />
      )}
    </div>
  );
}

function WellTooltip({
  tip,
  record,
  value,
  field,
}: {
  tip: Tip;
  record?: WellRecord;
  value: PlateValue;
  field: string;
}) {
  const left = Math.min(tip.x + 14, window.innerWidth - 250);
  const top = Math.min(tip.y + 14, window.innerHeight - 150);
  return (
    <div className="tooltip" role="tooltip" style={{ left, top }} data-testid="well-tooltip">
      <div className="tooltip-title">
        <span className="mono">{tip.well}</span>
        {record && <span className="muted"> {record.wellId}</span>}
      </div>
      {record ? (
        <dl>
          <dt>siRNA</dt>
          <dd>
            {record.sirna ?? '—'}
            {record.sirnaId !== null && <span className="muted"> (id {record.sirnaId})</span>}
          </dd>
          <dt>Well type</dt>
          <dd>{WELL_TYPE_LABELS[record.wellType] ?? record.wellType}</dd>
          {record.sirnaGroup !== null && record.sirnaGroup !== undefined && (
            <>
              <dt>Group</dt>
              <dd>{record.sirnaGroup}</dd>
            </>
          )}
          {!['well_type', 'sirna_id', 'sirna_group'].includes(field) && (
            <>
              <dt>{fieldLabel(field)}</dt>
              <dd className="mono">{categoryLabel(field, value)}</dd>
            </>
          )}
          <dt>Sites</dt>
          <dd>{record.sites.join(', ') || 'none'}</dd>
        </dl>
      ) : (
        <p className="muted">No sites in this dataset.</p>
      )}
    </div>
  );
}

function Legend({
  field,
  scale,
  highlight,
  onHighlight,
  hasValues,
}: {
  field: string;
  scale: Scale;
  highlight: string | null;
  onHighlight: (key: string | null) => void;
  hasValues: boolean;
}) {
  const plateKey = (
    <span className="legend-key">
      <span className="legend-item static">
        <span className="swatch no-data" aria-hidden="true" /> no sites
      </span>
      <span className="legend-item static">
        <span className="swatch unused" aria-hidden="true" /> outer ring (not used)
      </span>
    </span>
  );
  if (!hasValues) return <div className="legend muted">No values to show.{plateKey}</div>;
  if (scale.kind === 'numeric') {
    return (
      <div className="legend" aria-label={`Colour scale for ${fieldLabel(field)}`} data-testid="legend">
        <span className="legend-title">{fieldLabel(field)}</span>
        <span className="mono">{formatNumber(scale.min)}</span>
        <span className="gradient" style={{ background: VIRIDIS_GRADIENT }} aria-hidden="true" />
        <span className="mono">{formatNumber(scale.max)}</span>
        {scale.missing > 0 && (
          <span className="legend-item">
            <span className="swatch no-value" aria-hidden="true" /> no value ({scale.missing})
          </span>
        )}
        {plateKey}
      </div>
    );
  }
  const shown =
    scale.categories.length > 16
      ? [...scale.categories].sort((a, b) => b.count - a.count).slice(0, 12)
      : scale.categories;
  return (
    <div className="legend" aria-label={`Legend for ${fieldLabel(field)}`} data-testid="legend">
      <span className="legend-title">{fieldLabel(field)}</span>
      {shown.map((c) => (
        <button
          type="button"
          key={c.key}
          className={`legend-item${highlight === c.key ? ' active' : ''}`}
          aria-pressed={highlight === c.key}
          title="Highlight these wells"
          onClick={() => onHighlight(highlight === c.key ? null : c.key)}
        >
          <span className="swatch" style={{ backgroundColor: c.color }} aria-hidden="true" />
          {c.label} <span className="muted">({c.count})</span>
        </button>
      ))}
      {shown.length < scale.categories.length && (
        <span className="muted">+ {scale.categories.length - shown.length} more values (one colour each)</span>
      )}
      {plateKey}
    </div>
  );
}
