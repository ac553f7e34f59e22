import { useRef, useState } from 'react';
import type { PlateValue, WellRecord } from '../../api/types.js';
import { siteImageUrl } from '../api';
import { formatNumber } from '../colors';
import { href, useImageEvents } from '../hooks';
import { WELL_TYPE_LABELS } from '../../rxrx1/index.js';
import { Loading } from './Status';

/** Fields the panel already shows as metadata. */
const METADATA_FIELD_NAMES = ['well_type', 'sirna_group', 'sirna_id', 'sirna', 'cell_type', 'dataset'];

/** The selected well: its metadata and a thumbnail of each site, each opening the site viewer. */
export function WellPanel({
  loading,
  well,
  wellName,
  value,
  field,
  onClose,
}: {
  loading: boolean;
  well?: WellRecord;
  wellName: string;
  value?: PlateValue;
  field: string;
  onClose: () => void;
}) {
  if (!wellName) {
    return (
      <aside className="panel well-panel" aria-label="Well details">
        <h2>Well</h2>
        <p className="muted">
          Hover a well for its details; click it (or focus it and press Enter) to see its sites here.
        </p>
      </aside>
    );
  }
  return (
    <aside className="panel well-panel" aria-labelledby="well-panel-title" data-testid="well-panel">
      <header className="panel-header">
        <h2 id="well-panel-title">
          Well <span className="mono">{wellName}</span>
        </h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close well details">
          ×
        </button>
      </header>
      {loading ? (
        <Loading />
      ) : !well ? (
        <p className="muted">This well has no sites in the dataset.</p>
      ) : (
        <>
          <dl className="facts">
            <dt>Well id</dt>
            <dd className="mono">{well.wellId}</dd>
            <dt>Cell type</dt>
            <dd>{well.cellType}</dd>
            <dt>Dataset</dt>
            <dd>{well.dataset}</dd>
            <dt>Well type</dt>
            <dd>{WELL_TYPE_LABELS[well.wellType] ?? well.wellType}</dd>
            <dt>siRNA</dt>
            <dd>
              {well.sirna ?? '—'}
              {well.sirnaId !== null && <span className="muted"> (id {well.sirnaId})</span>}
            </dd>
            <dt>siRNA group</dt>
            <dd>{well.sirnaGroup ?? '—'}</dd>
            {value !== undefined && !METADATA_FIELD_NAMES.includes(field) && (
              <>
                <dt>{field === 'cell_count' ? 'Cell count' : field}</dt>
                <dd className="mono">
                  {value === null ? '—' : typeof value === 'number' ? formatNumber(value) : value}
                </dd>
              </>
            )}
          </dl>
          <h3>Sites</h3>
          <div className="site-thumbs">
            {well.sites.map((site) => (
              <SiteThumb key={site} siteId={`${well.wellId}_${site}`} site={site} />
            ))}
            {well.sites.length === 0 && <p className="muted">No site images.</p>}
          </div>
        </>
      )}
    </aside>
  );
}

function SiteThumb({ siteId, site }: { siteId: string; site: number }) {
  const [state, setState] = useState<'loading' | 'ok' | 'error'>('loading');
  const image = useRef<HTMLImageElement>(null);
  useImageEvents(
    image,
    () => setState('ok'),
    () => setState('error'),
  );
  return (
    <a
      className="site-thumb"
      href={href('site', siteId)}
      data-testid="site-link"
      aria-label={`Open site ${site} (${siteId}) in the site viewer`}
    >
      <span className={`thumb-frame ${state}`} data-state={state}>
        <img ref={image} src={siteImageUrl(siteId, '?size=256')} alt="" width={160} height={160} loading="lazy" />
        {state === 'error' && <span className="thumb-error">image unavailable</span>}
      </span>
      <span>Site {site}</span>
    </a>
  );
}
