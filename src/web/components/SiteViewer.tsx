import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, channelImageUrl, siteImageUrl } from '../api';
import { compositeQuery, type DisplaySettings, loadSettings, saveSettings } from '../composite';
import { href, navigate, useAsync, useDebounced, useImageEvents } from '../hooks';
import { CHANNELS, parseSiteId, type SiteIdParts } from '../../rxrx1/index.js';
import { ChannelsPanel } from './ChannelsPanel';
import { SiteFacts, statsOf } from './SiteFacts';
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

function SiteDetail({ siteId }: { siteId: string }) {
  const parsed = parseSiteId(siteId);
  if (!parsed)
    return (
      <ErrorMessage error={`site id "${siteId}": expected {experiment}_{plate}_{well}_{site}, e.g. HEPG2-01_1_B02_1`} />
    );
  return <SiteWithId siteId={siteId} parsed={parsed} />;
}

function SiteWithId({ siteId, parsed }: { siteId: string; parsed: SiteIdParts }) {
  const { experiment, plate, well } = parsed;
  const site = useAsync(() => api.site(siteId), [siteId]);
  const wells = useAsync(() => api.wells(experiment, plate), [experiment, plate]);
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
  const wellRecord = wells.data?.find((w) => w.well === well);
  const wellId = `${experiment}_${plate}_${well}`;

  return (
    <div className="view site-view">
      <SiteToolbar siteId={siteId} parsed={parsed} sites={wellRecord?.sites.length ? wellRecord.sites : [1, 2]} />
      {site.error && <ErrorMessage title="Site" error={site.error} onRetry={site.reload} />}
      {site.error instanceof ApiError && site.error.status === 404 ? (
        <Empty>
          <a href={href('plate', undefined, { experiment, plate })}>Open the plate to pick a well that has sites.</a>
        </Empty>
      ) : (
        <>
          <div className="site-layout">
            <SiteImagePanel
              siteId={siteId}
              wellId={wellId}
              imageUrl={imageUrl}
              solo={solo}
              setSolo={setSolo}
              settings={settings}
              query={query}
            />
            <ChannelsPanel
              settings={settings}
              setSettings={setSettings}
              query={query}
              missing={missing}
              solo={solo}
              setSolo={setSolo}
            />
          </div>
          <SiteFacts siteId={siteId} info={site.data} loading={site.loading} wellRecord={wellRecord} stats={stats} />
        </>
      )}
    </div>
  );
}

function SiteToolbar({ siteId, parsed, sites }: { siteId: string; parsed: SiteIdParts; sites: number[] }) {
  const wellId = `${parsed.experiment}_${parsed.plate}_${parsed.well}`;
  return (
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
  );
}

interface SiteImagePanelProps {
  siteId: string;
  wellId: string;
  imageUrl: string | null;
  solo: number | null;
  setSolo: (channel: number | null) => void;
  settings: DisplaySettings;
  query: string | null;
}

function SiteImagePanel({ siteId, wellId, imageUrl, solo, setSolo, settings, query }: SiteImagePanelProps) {
  return (
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
          <a className="mono request-url" href={imageUrl} target="_blank" rel="noreferrer" data-testid="image-url">
            {imageUrl}
          </a>
        )}
      </div>
    </section>
  );
}

/** The composite with loading and error states; on error, the server's message (fetched again to read it). */
function SiteImage({ url, alt }: { url: string; alt: string }) {
  const [loaded, setLoaded] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ url: string; message: string } | null>(null);
  const state = failure?.url === url ? 'error' : loaded === url ? 'loaded' : 'loading';
  const image = useRef<HTMLImageElement>(null);
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
  useImageEvents(image, () => setLoaded(url), onError);
  return (
    <>
      <img
        ref={image}
        src={url}
        alt={alt}
        className="site-image"
        data-testid="composite"
        data-state={state}
        style={state === 'error' ? { visibility: 'hidden' } : undefined}
        draggable={false}
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
