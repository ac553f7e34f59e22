import { type ReactNode, useEffect, useRef } from 'react';
import { api } from './api';
import { href, useAsync, useRoute } from './hooks';
import { LeaderboardView } from './components/LeaderboardView';
import { MapView } from './components/MapView';
import { PlateView } from './components/PlateView';
import { ReportsView } from './components/ReportsView';
import { SiteViewer } from './components/SiteViewer';
import { Empty, ErrorMessage, Loading } from './components/Status';

const VIEWS = [
  { view: 'plate', label: 'Plate' },
  { view: 'site', label: 'Site' },
  { view: 'map', label: 'Map' },
  { view: 'reports', label: 'Reports' },
  { view: 'leaderboard', label: 'Leaderboard' },
] as const;

export function App() {
  const route = useRoute();
  const dataset = useAsync(() => api.dataset(), []);
  const main = useRef<HTMLElement>(null);
  const lastSite = useRef('');
  if (route.view === 'site' && route.rest) lastSite.current = route.rest;

  const current = VIEWS.find((v) => v.view === route.view);
  useEffect(() => {
    document.title = `${current?.label ?? 'Not found'} · phenomap`;
  }, [current]);

  let content: ReactNode;
  switch (route.view) {
    case 'plate':
      content = dataset.error ? (
        <ErrorMessage title="Dataset" error={dataset.error} onRetry={dataset.reload} />
      ) : !dataset.data ? (
        <Loading label="Loading dataset…" />
      ) : (
        <PlateView dataset={dataset.data} route={route} />
      );
      break;
    case 'site':
      content = <SiteViewer key="site" siteId={route.rest} />;
      break;
    case 'map':
      content = <MapView route={route} />;
      break;
    case 'reports':
      content = <ReportsView route={route} />;
      break;
    case 'leaderboard':
      content = <LeaderboardView />;
      break;
    default:
      content = (
        <Empty>
          No view named “{route.view}”. <a href="#/plate">Go to the plate view</a>.
        </Empty>
      );
  }

  return (
    <>
      <button type="button" className="skip-link" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header className="app-header">
        <a className="brand" href="#/plate" aria-label="phenomap home">
          <span className="brand-mark" aria-hidden="true">
            <i style={{ background: '#1300f9' }} />
            <i style={{ background: '#2aff1f' }} />
            <i style={{ background: '#ff0019' }} />
            <i style={{ background: '#feff28' }} />
          </span>
          phenomap
        </a>
        <nav aria-label="Views" className="app-nav">
          {VIEWS.map((v) => (
            <a
              key={v.view}
              href={v.view === 'site' && lastSite.current ? href('site', lastSite.current) : `#/${v.view}`}
              aria-current={route.view === v.view ? 'page' : undefined}
            >
              {v.label}
            </a>
          ))}
        </nav>
        <div className="dataset-info" aria-live="polite">
          {dataset.data && (
            <span title={dataset.data.name}>
              {dataset.data.layout} · {dataset.data.experiments.length} experiments ·{' '}
              {dataset.data.sites.toLocaleString('en-US')} sites
            </span>
          )}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {content}
      </main>
    </>
  );
}
