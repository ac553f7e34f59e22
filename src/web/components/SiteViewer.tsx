import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { SiteInfo } from '../../api/types.js';
import { api, ApiError, channelImageUrl, siteImageUrl } from '../api';
import { formatNumber } from '../colors';
import {
  compositeQuery,
  DEFAULT_SETTINGS,
  loadSettings,
  saveSettings,
  type ChannelSetting,
  type DisplaySettings,
} from '../composite';
import { href, navigate, useAsync, useDebounced } from '../hooks';
import { CHANNELS, parseSiteId, WELL_TYPE_LABELS } from '../../rxrx1/index.js';
import { Empty, ErrorMessage, Field, Loading } from './Status';
import { ZoomPan } from './ZoomPan';

export function SiteViewer({ siteId }: { siteId: string }) {
  if (!siteId) return <SitePicker />;
  return <SiteDetail siteId={siteId} />;
}

function SitePicker() {
  const [draft, setDraft] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (draft.trim()) navigate('site', draft.trim());
  };
  return (
    <div className="view">
      <Empty>
        <p>Pick a well in the plate view to open one of its sites, or type a site id.</p>
        <form className="inline-form" onSubmit={submit}>
          <Field id="site-id-input" label="Site id">
            <input
              id="site-id-input"
              type="text"
              className="mono"
              placeholder="HEPG2-01_1_B02_1"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              spellCheck={false}
            />
          </Field>
          <button type="submit" className="primary">
            Open site
          </button>
        </form>
      </Empty>
    </div>
  );
}

/** One channel's statistics as a table row: mean, std, min, max, then p{q} for each percentile q. */
interface StatsRow {
  channel: number;
  present: boolean;
  [key: string]: number | boolean;
}

function statsOf(site: SiteInfo | undefined): StatsRow[] {
  if (!site) return [];
  return site.channels.map(({ channel, present, stats }) => {
    const row: StatsRow = { channel, present };
    if (stats) {
      Object.assign(row, { mean: stats.mean, std: stats.std, min: stats.min, max: stats.max });
      for (const [q, value] of Object.entries(stats.percentiles)) row[`p${q}`] = value;
    }
    return row;
  });
}

function SiteDetail({ siteId }: { siteId: string }) {
  const parsed = parseSiteId(siteId);
  const site = useAsync(() => api.site(siteId), [siteId]);
  const wells = useAsync(
    () => (parsed ? api.wells(parsed.experiment, parsed.plate) : undefined),
    [parsed?.experiment, parsed?.plate],
  );
  const [settings, setSettings] = useState<DisplaySettings>(loadSettings);
  const [solo, setSolo] = useState<number | null>(null);
  useEffect(() => saveSettings(settings), [settings]);
  const debounced = useDebounced(settings, 150);
  const stats = useMemo(() => statsOf(site.data), [site.data]);
  const missingKey = stats
    .filter((s) => s.present === false)
    .map((s) => s.channel)
    .join(',');
  const missing = useMemo(() => new Set(missingKey ? missingKey.split(',').map(Number) : []), [missingKey]);
  const query = compositeQuery(debounced, missing);
  const imageUrl =
    solo !== null
      ? channelImageUrl(siteId, solo, `?percentiles=${debounced.percentiles.join(',')}`)
      : query === null
        ? null
        : siteImageUrl(siteId, query);

  const wellRecord = parsed ? wells.data?.find((w) => w.well === parsed.well) : undefined;
  const sites = wellRecord?.sites.length ? wellRecord.sites : [1, 2];
  const wellId = parsed ? `${parsed.experiment}_${parsed.plate}_${parsed.well}` : '';

  const setChannel = (channel: number, change: Partial<ChannelSetting>) =>
    setSettings((s) => ({ ...s, channels: s.channels.map((c) => (c.channel === channel ? { ...c, ...change } : c)) }));

  if (!parsed)
    return (
      <ErrorMessage error={`site id "${siteId}": expected {experiment}_{plate}_{well}_{site}, e.g. HEPG2-01_1_B02_1`} />
    );
  const info = site.data;

  return (
    <div className="view site-view">
      <div className="toolbar">
        <nav aria-label="Breadcrumb" className="breadcrumb">
          <a href={href('plate', undefined, { experiment: parsed.experiment, plate: parsed.plate, well: parsed.well })}>
            {parsed.experiment} · plate {parsed.plate}
          </a>
          <span aria-hidden="true"> › </span>
          <span>
            well <span className="mono">{parsed.well}</span>
          </span>
          <span aria-hidden="true"> › </span>
          <span className="mono" aria-current="page">
            {siteId}
          </span>
        </nav>
        <fieldset className="segmented" aria-label="Site">
          <legend className="visually-hidden">Site</legend>
          {sites.map((n) => (
            <label key={n} className={n === parsed.site ? 'checked' : ''}>
              <input
                type="radio"
                name="site-switch"
                value={n}
                checked={n === parsed.site}
                onChange={() => navigate('site', `${wellId}_${n}`, undefined, true)}
              />
              Site {n}
            </label>
          ))}
        </fieldset>
      </div>

      {site.error && <ErrorMessage title="Site" error={site.error} onRetry={site.reload} />}

      {site.error instanceof ApiError && site.error.status === 404 ? (
        <Empty>
          <a href={href('plate', undefined, { experiment: parsed.experiment, plate: parsed.plate })}>
            Open the plate to pick a well that has sites.
          </a>
        </Empty>
      ) : (
        body()
      )}
    </div>
  );

  /** The viewer itself (a plain function, not a component, so that its state lives in SiteDetail's tree). */
  function body() {
    return (
      <>
        <div className="site-layout">
          <section className="panel viewer-panel" aria-label="Image">
            <ZoomPan label={`Composite of site ${siteId}`} resetKey={wellId}>
              {imageUrl ? (
                <SiteImage url={imageUrl} alt={`Site ${siteId}`} />
              ) : (
                <div className="image-empty">No channel selected: turn a channel on to see the composite.</div>
              )}
            </ZoomPan>
            <div className="image-caption">
              {solo !== null ? (
                <span>
                  Channel w{solo} ({CHANNELS[solo - 1].stain}) alone, grey levels stretched between its{' '}
                  {settings.percentiles[0]} and {settings.percentiles[1]} percentiles.{' '}
                  <button type="button" className="link-button" onClick={() => setSolo(null)}>
                    Back to the composite
                  </button>
                </span>
              ) : query === '' ? (
                <span>
                  Default composite: identical to <code>phenomap rgb</code> (rxrx1-utils colours and ranges).
                </span>
              ) : (
                <span>Custom display settings.</span>
              )}
              {imageUrl && (
                <a
                  className="mono request-url"
                  href={imageUrl}
                  target="_blank"
                  rel="noreferrer"
                  data-testid="image-url"
                >
                  {imageUrl}
                </a>
              )}
            </div>
          </section>

          <section className="panel channels-panel" aria-labelledby="channels-title">
            <header className="panel-header">
              <h2 id="channels-title">Channels</h2>
              <button
                type="button"
                onClick={() => setSettings(structuredClone(DEFAULT_SETTINGS))}
                disabled={query === ''}
              >
                Reset to defaults
              </button>
            </header>
            <fieldset className="contrast">
              <legend>Contrast</legend>
              <label>
                <input
                  type="radio"
                  name="contrast"
                  checked={settings.contrast === 'fixed'}
                  onChange={() => setSettings((s) => ({ ...s, contrast: 'fixed' }))}
                />
                Fixed ranges
              </label>
              <label>
                <input
                  type="radio"
                  name="contrast"
                  checked={settings.contrast === 'percentiles'}
                  onChange={() => setSettings((s) => ({ ...s, contrast: 'percentiles' }))}
                />
                Per-image percentiles
              </label>
              {settings.contrast === 'percentiles' && (
                <span className="percentile-inputs">
                  <label>
                    low
                    <input
                      type="number"
                      min={0}
                      max={100}
                      step={0.1}
                      value={settings.percentiles[0]}
                      onChange={(e) =>
                        setSettings((s) => ({
                          ...s,
                          percentiles: [Math.min(Number(e.target.value), s.percentiles[1] - 0.1), s.percentiles[1]],
                        }))
                      }
                    />
                  </label>
                  <label>
                    high
                    <input
                      type="number"
                      min={0}
                      max={100}
                      step={0.1}
                      value={settings.percentiles[1]}
                      onChange={(e) =>
                        setSettings((s) => ({
                          ...s,
                          percentiles: [s.percentiles[0], Math.max(Number(e.target.value), s.percentiles[0] + 0.1)],
                        }))
                      }
                    />
                  </label>
                </span>
              )}
            </fieldset>
            <ul className="channel-list">
              {settings.channels.map((c) => (
                <ChannelRow
                  key={c.channel}
                  setting={c}
                  missing={missing.has(c.channel)}
                  fixed={settings.contrast === 'fixed'}
                  solo={solo === c.channel}
                  onChange={(change) => setChannel(c.channel, change)}
                  onSolo={() => setSolo(solo === c.channel ? null : c.channel)}
                />
              ))}
            </ul>
          </section>
        </div>

        <div className="site-facts">
          <section className="panel" aria-labelledby="site-meta-title">
            <h2 id="site-meta-title">Site</h2>
            {site.loading && !info && <Loading />}
            {info && (
              <dl className="facts">
                <dt>Site id</dt>
                <dd className="mono">{info.siteId ?? siteId}</dd>
                <dt>Cell type</dt>
                <dd>{info.cellType ?? wellRecord?.cellType ?? '—'}</dd>
                <dt>Dataset</dt>
                <dd>{info.dataset ?? wellRecord?.dataset ?? '—'}</dd>
                <dt>Well type</dt>
                <dd>{WELL_TYPE_LABELS[String(info.wellType ?? wellRecord?.wellType)] ?? info.wellType ?? '—'}</dd>
                <dt>siRNA</dt>
                <dd>
                  {info.sirna ?? wellRecord?.sirna ?? '—'}
                  {(info.sirnaId ?? wellRecord?.sirnaId) !== null &&
                    (info.sirnaId ?? wellRecord?.sirnaId) !== undefined && (
                      <span className="muted"> (id {info.sirnaId ?? wellRecord?.sirnaId})</span>
                    )}
                </dd>
              </dl>
            )}
          </section>
          <section className="panel stats-panel" aria-labelledby="stats-title">
            <h2 id="stats-title">Channel statistics</h2>
            {site.loading && !info && <Loading />}
            {info && stats.length === 0 && <p className="muted">The server gave no channel statistics.</p>}
            {stats.length > 0 && <StatsTable stats={stats} />}
          </section>
        </div>
      </>
    );
  }
}

function ChannelRow({
  setting,
  missing,
  fixed,
  solo,
  onChange,
  onSolo,
}: {
  setting: ChannelSetting;
  missing: boolean;
  fixed: boolean;
  solo: boolean;
  onChange: (change: Partial<ChannelSetting>) => void;
  onSolo: () => void;
}) {
  const info = CHANNELS[setting.channel - 1];
  const id = `channel-${setting.channel}`;
  return (
    <li className={`channel-row${setting.enabled && !missing ? '' : ' off'}`} data-testid={id}>
      <div className="channel-head">
        <label className="channel-toggle">
          <input
            type="checkbox"
            checked={setting.enabled && !missing}
            disabled={missing}
            onChange={(e) => onChange({ enabled: e.target.checked })}
            data-testid={`${id}-toggle`}
          />
          <span className="channel-name">
            w{setting.channel} {info.stain}
          </span>
          <span className="muted"> {info.target}</span>
        </label>
        {missing && (
          <span className="badge warning" title="This site has no image file for this channel">
            no image
          </span>
        )}
        <input
          type="color"
          value={setting.color}
          onChange={(e) => onChange({ color: e.target.value })}
          aria-label={`Colour of w${setting.channel} ${info.stain}`}
          disabled={!setting.enabled || missing}
        />
        <button
          type="button"
          className={`small${solo ? ' pressed' : ''}`}
          aria-pressed={solo}
          onClick={onSolo}
          disabled={missing}
          title="Show this channel alone, in grey levels"
        >
          Solo
        </button>
      </div>
      <div className="channel-range" aria-disabled={!fixed || !setting.enabled || missing}>
        <label htmlFor={`${id}-low`}>min</label>
        <input
          id={`${id}-low`}
          aria-label={`w${setting.channel} ${info.stain}: display range minimum`}
          type="range"
          min={0}
          max={254}
          value={setting.low}
          disabled={!fixed || !setting.enabled || missing}
          onChange={(e) => onChange({ low: Math.min(Number(e.target.value), setting.high - 1) })}
        />
        <label htmlFor={`${id}-high`}>max</label>
        <input
          id={`${id}-high`}
          aria-label={`w${setting.channel} ${info.stain}: display range maximum`}
          type="range"
          min={1}
          max={255}
          value={setting.high}
          disabled={!fixed || !setting.enabled || missing}
          onChange={(e) => onChange({ high: Math.max(Number(e.target.value), setting.low + 1) })}
        />
        <span className="mono range-value">{fixed ? `${setting.low}–${setting.high}` : 'auto'}</span>
      </div>
    </li>
  );
}

/** The composite with loading and error states; on error, the server's message (fetched again to read it). */
function SiteImage({ url, alt }: { url: string; alt: string }) {
  const [loaded, setLoaded] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ url: string; message: string } | null>(null);
  const state = failure?.url === url ? 'error' : loaded === url ? 'loaded' : 'loading';
  const onError = async () => {
    let message = 'the image could not be loaded';
    try {
      const response = await fetch(url);
      const text = await response.text();
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        message = text || `${response.status} ${response.statusText}`;
      }
    } catch (error) {
      message = (error as Error).message;
    }
    setFailure({ url, message });
  };
  return (
    <>
      <img
        src={url}
        alt={alt}
        className="site-image"
        data-testid="composite"
        data-state={state}
        style={state === 'error' ? { visibility: 'hidden' } : undefined}
        draggable={false}
        onLoad={() => setLoaded(url)}
        onError={onError}
      />
      {state === 'loading' && (
        <div className="image-overlay">
          <Loading label="Rendering…" />
        </div>
      )}
      {state === 'error' && (
        <div className="image-overlay error">
          <ErrorMessage title="Image" error={failure!.message} />
        </div>
      )}
    </>
  );
}

function StatsTable({ stats }: { stats: StatsRow[] }) {
  const all = [
    ...new Set(stats.flatMap((s) => Object.keys(s).filter((k) => k !== 'channel' && typeof s[k] === 'number'))),
  ];
  const percentile = (k: string) => (/^p\d/.test(k) ? Number(k.slice(1)) : NaN);
  const keys = [
    ...all.filter((k) => Number.isNaN(percentile(k))),
    ...all.filter((k) => !Number.isNaN(percentile(k))).sort((a, b) => percentile(a) - percentile(b)),
  ].slice(0, 12);
  return (
    <div className="table-scroll">
      <table className="data-table">
        <thead>
          <tr>
            <th scope="col">Channel</th>
            {keys.map((k) => (
              <th
                scope="col"
                key={k}
                className="num"
                title={Number.isNaN(percentile(k)) ? undefined : `${k.slice(1)}th percentile`}
              >
                {k}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {stats.map((s) => (
            <tr key={s.channel}>
              <th scope="row">
                w{s.channel} {CHANNELS[s.channel - 1]?.stain}
              </th>
              {s.present === false ? (
                <td colSpan={Math.max(1, keys.length)} className="muted">
                  no image file
                </td>
              ) : (
                keys.map((k) => (
                  <td key={k} className="num mono">
                    {typeof s[k] === 'number' ? formatNumber(s[k] as number) : '—'}
                  </td>
                ))
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
