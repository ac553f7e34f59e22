/** A site's metadata and its per-channel statistics. */
import type { SiteInfo, WellRecord } from '../../api/types.js';
import { formatNumber } from '../colors';
import { CHANNELS, WELL_TYPE_LABELS } from '../../rxrx1/index.js';
import { Loading } from './Status';

/** One channel's statistics as a table row: mean, std, min, max, then p{q} for each percentile q. */
export interface StatsRow {
  channel: number;
  present: boolean;
  [key: string]: number | boolean;
}

export function statsOf(site: SiteInfo | undefined): StatsRow[] {
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

export function SiteFacts({
  siteId,
  info,
  loading,
  wellRecord,
  stats,
}: {
  siteId: string;
  info: SiteInfo | undefined;
  loading: boolean;
  wellRecord: WellRecord | undefined;
  stats: StatsRow[];
}) {
  const sirnaId = info?.sirnaId ?? wellRecord?.sirnaId;
  return (
    <div className="site-facts">
      <section className="panel" aria-labelledby="site-meta-title">
        <h2 id="site-meta-title">Site</h2>
        {loading && !info && <Loading />}
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
              {sirnaId !== null && sirnaId !== undefined && <span className="muted"> (id {sirnaId})</span>}
            </dd>
          </dl>
        )}
      </section>
      <section className="panel stats-panel" aria-labelledby="stats-title">
        <h2 id="stats-title">Channel statistics</h2>
        {loading && !info && <Loading />}
        {info && stats.length === 0 && <p className="muted">The server gave no channel statistics.</p>}
        {stats.length > 0 && <StatsTable stats={stats} />}
      </section>
    </div>
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
