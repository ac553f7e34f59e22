import { api, reportUrl } from '../api';
import { navigate, useAsync, type Route } from '../hooks';
import { Empty, ErrorMessage, Loading, SelectField } from './Status';

/** A run's evaluation report (the HTML the evaluate step wrote), framed, with a run picker. */
export function ReportsView({ route }: { route: Route }) {
  const runs = useAsync(() => api.runs(), []);
  if (runs.loading && !runs.data) return <Loading label="Loading runs…" />;
  if (runs.error) return <ErrorMessage title="Runs" error={runs.error} onRetry={runs.reload} />;
  const withReports = (runs.data ?? []).filter((r) => r.hasReport);
  if (withReports.length === 0)
    return (
      <Empty>
        <span>No run has an evaluation report yet.</span>
        <span className="hint">
          Reports are the report.html files of the runs in the server's runs folder (<code>serve --runs DIR</code>).
        </span>
      </Empty>
    );
  const run = withReports.find((r) => r.name === route.params.get('run')) ?? withReports[0];
  const url = reportUrl(run.name);
  return (
    <div className="view reports-view">
      <div className="toolbar">
        <SelectField
          id="report-run"
          label="Run"
          value={run.name}
          options={withReports.map((r) => ({ value: r.name, label: r.name }))}
          onChange={(value) => navigate('reports', undefined, { run: value }, true)}
        />
        <a className="button" href={url} target="_blank" rel="noreferrer">
          Open in a new tab
        </a>
        <a className="button" href={`#/map?run=${encodeURIComponent(run.name)}`}>
          Map of this run
        </a>
      </div>
      <iframe
        key={url}
        className="report-frame panel"
        src={url}
        title={`Evaluation report of run ${run.name}`}
        sandbox="allow-scripts allow-popups"
      />
    </div>
  );
}
