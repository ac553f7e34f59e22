import { useEffect, useEffectEvent, useMemo, useState } from 'react';
import type { DatasetInfo, ExperimentRecord, PlateValue, RunInfo } from '../../api/types.js';
import { api } from '../api';
import { navigate, useAsync, useDebounced, type Route } from '../hooks';
import { PlateGrid } from './PlateGrid';
import { PlateLegend } from './PlateLegend';
import { buildScale, FEATURE, METADATA_FIELDS } from './plateScale';
import { Empty, ErrorMessage, Field, Loading } from './Status';
import { WellPanel } from './WellPanel';

type Changes = Record<string, string | number | undefined>;

/** The plate view's state: what the route selects, the feature being typed, and how to change the route. */
function usePlateRoute(dataset: DatasetInfo, route: Route) {
  const experiments = dataset.experiments;
  const experiment = experiments.find((e) => e.experiment === route.params.get('experiment')) ?? experiments[0];
  const plateParam = Number(route.params.get('plate'));
  const plate = experiment?.plates.includes(plateParam) ? plateParam : experiment?.plates[0];
  const field = route.params.get('field') || 'well_type';
  const run = route.params.get('run') ?? '';
  const selectedWell = route.params.get('well') ?? '';
  const fieldOption = METADATA_FIELDS.find((f) => f.value === field);
  const isMetadataField = fieldOption !== undefined;
  const [featureDraft, setFeatureDraft] = useState(isMetadataField ? '' : field);
  const [featureMode, setFeatureMode] = useState(!isMetadataField);
  // A feature field arriving by URL (a link, back/forward) switches to feature mode, a metadata field out of it.
  const [routedField, setRoutedField] = useState(field);
  if (field !== routedField) {
    setRoutedField(field);
    setFeatureMode(!isMetadataField);
    if (!isMetadataField) setFeatureDraft(field);
  }
  const update = (changes: Changes, push = false) => {
    const params = { experiment: experiment?.experiment, plate, field, run, well: selectedWell, ...changes };
    navigate('plate', undefined, params, !push);
  };
  // A typed feature name becomes the field once typing pauses.
  const debouncedFeature = useDebounced(featureDraft.trim(), 400);
  const applyFeature = useEffectEvent((name: string, typing: boolean) => {
    if (typing && name && name !== field) update({ field: name });
  });
  useEffect(() => applyFeature(debouncedFeature, featureMode), [debouncedFeature, featureMode]);
  // Cell counts and features come from a run's profiles; metadata fields from the dataset.
  const usesRun = featureMode || !!fieldOption?.usesRun;
  return {
    experiments,
    experiment,
    plate,
    field,
    run,
    selectedWell,
    fieldOption,
    isMetadataField,
    featureDraft,
    setFeatureDraft,
    featureMode,
    setFeatureMode,
    usesRun,
    update,
  };
}

type PlateRoute = ReturnType<typeof usePlateRoute>;

/** The plate's wells, the values of the chosen field, and the runs that have profiles. */
function usePlateData(state: PlateRoute) {
  const { experiment, plate, field, run, usesRun, featureMode, isMetadataField, fieldOption } = state;
  const experimentName = experiment?.experiment;
  const runs = useAsync(() => api.runs(), []);
  const wells = useAsync(
    () => (experimentName && plate ? api.wells(experimentName, plate) : undefined),
    [experimentName, plate],
  );
  const featureChosen = !featureMode || !isMetadataField;
  const valuesRun = usesRun ? run : undefined;
  const valuesReady = featureChosen && (!usesRun || !!run);
  const values = useAsync(
    () =>
      valuesReady && experimentName && plate ? api.plateValues(experimentName, plate, field, valuesRun) : undefined,
    [valuesReady, experimentName, plate, field, valuesRun],
  );
  const profileRuns = (runs.data ?? []).filter((r) => r.hasProfiles);
  // A field that needs a run gets the first run with profiles until one is picked.
  const firstProfileRun = profileRuns[0]?.name;
  const pickRun = useEffectEvent((needed: boolean, current: string, first: string | undefined) => {
    if (needed && !current && first) state.update({ run: first });
  });
  useEffect(() => pickRun(usesRun, run, firstProfileRun), [usesRun, run, firstProfileRun]);

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
  return { runs, wells, values, profileRuns, wellsByName, valueMap, scale };
}

export function PlateView({ dataset, route }: { dataset: DatasetInfo; route: Route }) {
  const state = usePlateRoute(dataset, route);
  const data = usePlateData(state);
  const { experiment, plate, field, run, selectedWell, usesRun, featureMode, isMetadataField, update } = state;
  const { runs, wells, values, profileRuns, wellsByName, valueMap, scale } = data;
  // A highlighted legend category holds for the plate and field it was picked on.
  const highlightScope = `${field}\u0000${experiment?.experiment}\u0000${plate}`;
  const [picked, setPicked] = useState<{ scope: string; key: string | null }>({ scope: '', key: null });
  const highlight = picked.scope === highlightScope ? picked.key : null;

  if (!experiment || plate === undefined) return <Empty>This dataset has no experiments.</Empty>;

  return (
    <div className="view plate-view">
      <PlateToolbar state={state} experiment={experiment} plate={plate} profileRuns={profileRuns} runs={runs} />
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
          {usesRun && runs.data && profileRuns.length === 0 && <NoProfileRuns />}
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
          <PlateLegend
            field={field}
            scale={scale}
            highlight={highlight}
            onHighlight={(key) => setPicked({ scope: highlightScope, key })}
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

function NoProfileRuns() {
  return (
    <Empty>
      <span>No run with profiles yet: cell counts and features come from a run's profile table.</span>
      <span className="hint">
        Runs are the folders of the server's runs folder (<code>serve --runs DIR</code>).
      </span>
    </Empty>
  );
}

/** Experiments grouped by dataset, train and test first. */
function ExperimentOptions({ experiments }: { experiments: readonly ExperimentRecord[] }) {
  const others = [...new Set(experiments.map((e) => e.dataset))].filter((d) => d !== 'train' && d !== 'test');
  return ['train', 'test'].concat(others).map((group) => {
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
  });
}

interface PlateToolbarProps {
  state: PlateRoute;
  experiment: ExperimentRecord;
  plate: number;
  profileRuns: RunInfo[];
  runs: { loading: boolean; data: RunInfo[] | undefined };
}

function PlateToolbar({ state, experiment, plate, profileRuns, runs }: PlateToolbarProps) {
  const { experiments, field, run, usesRun, featureMode, featureDraft, update } = state;
  const chooseExperiment = (name: string) => {
    const next = experiments.find((x) => x.experiment === name)!;
    const nextPlate = next.plates.includes(plate) ? plate : next.plates[0];
    update({ experiment: next.experiment, plate: nextPlate, well: undefined }, true);
  };
  const chooseField = (value: string) => {
    if (value === FEATURE) {
      state.setFeatureMode(true);
      if (featureDraft.trim()) update({ field: featureDraft.trim() });
    } else {
      state.setFeatureMode(false);
      update({ field: value });
    }
  };
  return (
    <form className="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Plate options">
      <Field id="plate-experiment" label="Experiment">
        <select id="plate-experiment" value={experiment.experiment} onChange={(e) => chooseExperiment(e.target.value)}>
          <ExperimentOptions experiments={experiments} />
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
        <select id="plate-field" value={featureMode ? FEATURE : field} onChange={(e) => chooseField(e.target.value)}>
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
            onChange={(e) => state.setFeatureDraft(e.target.value)}
          />
        </Field>
      )}
    </form>
  );
}
