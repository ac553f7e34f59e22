import { type FormEvent, useEffect, useState } from 'react';
import type {
  Board,
  CompetitionInfo,
  Leaderboard,
  LeaderboardEntry,
  Quota,
  SubmissionRecord,
} from '../../api/types.js';
import { api, ApiError } from '../api';
import { formatNumber } from '../colors';
import { useAsync, useDebounced } from '../hooks';
import { Empty, ErrorMessage, Field, Loading } from './Status';

const PREFERRED_COLUMNS = [
  'rank',
  'team',
  'name',
  'score',
  'publicScore',
  'privateScore',
  'submissions',
  'entries',
  'submittedAt',
  'lastSubmission',
  'createdAt',
];
const COLUMN_LABELS: Record<string, string> = {
  rank: '#',
  team: 'Team',
  name: 'Team',
  score: 'Score',
  publicScore: 'Public score',
  privateScore: 'Private score',
  submissions: 'Entries',
  entries: 'Entries',
  lastSubmission: 'Last submission',
  submittedAt: 'Best submitted',
  createdAt: 'Created',
  ids: 'Test wells',
  publicIds: 'Public wells',
  privateIds: 'Private wells',
  dailyLimit: 'Submissions per day',
  maxBytes: 'Max file size',
  header: 'CSV header',
  sirnaRange: 'siRNA ids',
  openedAt: 'Opened',
  closedAt: 'Closed',
};

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20
    ? `${(bytes / (1 << 20)).toFixed(1)} MiB`
    : bytes >= 1024
      ? `${(bytes / 1024).toFixed(0)} KiB`
      : `${bytes} B`;
}

function formatCell(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number')
    return /score|accuracy/i.test(key)
      ? value.toFixed(5)
      : /bytes/i.test(key)
        ? formatBytes(value)
        : formatNumber(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' && /At$|time|date|last/i.test(key) && !Number.isNaN(Date.parse(value)))
    return new Date(value).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  if (Array.isArray(value)) return value.join('–');
  if (typeof value === 'object') return (value as { name?: string }).name ?? JSON.stringify(value);
  return String(value);
}

function titleCase(key: string): string {
  return COLUMN_LABELS[key] ?? key.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());
}

export function LeaderboardView() {
  const info = useAsync(() => api.competition(), []);
  const [board, setBoard] = useState<Board>('public');
  const leaderboard = useAsync(() => api.leaderboard(board), [board]);
  const [token, setToken] = useState('');
  const [submissionsVersion, setSubmissionsVersion] = useState(0);

  if (info.error instanceof ApiError && info.error.status === 404) {
    return (
      <div className="view">
        <Empty>
          <strong>No competition on this server.</strong>
          <span className="error-text">{info.error.message}</span>
        </Empty>
      </div>
    );
  }
  const state = info.data?.state ?? leaderboard.data?.state;

  return (
    <div className="view leaderboard-view">
      <section className="panel" aria-labelledby="competition-title">
        <header className="panel-header">
          <h2 id="competition-title">
            {info.data?.name ?? 'Competition'}{' '}
            {state && <span className={`badge ${state === 'open' ? 'success' : ''}`}>{state}</span>}
          </h2>
        </header>
        {info.loading && !info.data && <Loading />}
        {info.error && <ErrorMessage title="Competition" error={info.error} onRetry={info.reload} />}
        {info.data && <CompetitionFacts info={info.data} />}
      </section>

      <div className="leaderboard-layout">
        <section className="panel" aria-labelledby="board-title">
          <header className="panel-header">
            <h2 id="board-title">Leaderboard</h2>
            <fieldset className="segmented" aria-label="Board">
              {(['public', 'private'] as const).map((b) => (
                <button
                  key={b}
                  type="button"
                  aria-pressed={board === b}
                  className={board === b ? 'checked' : ''}
                  onClick={() => setBoard(b)}
                >
                  {b === 'public' ? 'Public' : 'Private'}
                </button>
              ))}
            </fieldset>
          </header>
          {info.data?.metric && (
            <p className="hint">
              Score: {info.data.metric} on the {board} part of the test wells
              {board === 'public' && info.data.publicIds !== undefined
                ? ` (${info.data.publicIds.toLocaleString('en-US')} wells)`
                : ''}
              {board === 'private' && info.data.privateIds !== undefined
                ? ` (${info.data.privateIds.toLocaleString('en-US')} wells)`
                : ''}
              ; a team ranks by its best submission.
            </p>
          )}
          {leaderboard.loading && !leaderboard.data && <Loading />}
          {leaderboard.error &&
            (leaderboard.error instanceof ApiError && leaderboard.error.status === 403 ? (
              <Empty>
                <span>The private leaderboard is revealed when the competition closes.</span>
                <span className="error-text">{leaderboard.error.message}</span>
              </Empty>
            ) : (
              <ErrorMessage title="Leaderboard" error={leaderboard.error} onRetry={leaderboard.reload} />
            ))}
          {!leaderboard.error && leaderboard.data && <BoardTable rows={leaderboard.data.entries} board={board} />}
        </section>

        <div className="competition-forms">
          <RegisterTeam onToken={setToken} />
          <SubmitForm
            token={token}
            header={info.data?.header ?? 'id_code,sirna'}
            closed={state === 'closed'}
            onToken={setToken}
            onSubmitted={() => {
              leaderboard.reload();
              setSubmissionsVersion((v) => v + 1);
            }}
          />
          <MySubmissions token={token} version={submissionsVersion} />
        </div>
      </div>
    </div>
  );
}

function CompetitionFacts({ info }: { info: CompetitionInfo }) {
  const skip = new Set(['name', 'state']);
  const entries = Object.entries(info).filter(
    ([key, value]) =>
      !skip.has(key) && value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value)),
  );
  return (
    <dl className="facts inline">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{titleCase(key)}</dt>
          <dd className={key === 'header' ? 'mono' : undefined}>{formatCell(key, value)}</dd>
        </div>
      ))}
    </dl>
  );
}

type EntryKey = keyof LeaderboardEntry;

function BoardTable({ rows, board }: { rows: Leaderboard['entries']; board: Board }) {
  if (rows.length === 0) return <Empty>No submissions on the {board} board yet.</Empty>;
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r) as EntryKey[]))];
  const columns = [
    ...PREFERRED_COLUMNS.filter((k): k is EntryKey => keys.includes(k as EntryKey)),
    ...keys.filter((k) => !PREFERRED_COLUMNS.includes(k) && !/token|id$/i.test(k)),
  ];
  const showRank = !columns.includes('rank');
  return (
    <div className="table-scroll">
      <table className="data-table" data-testid={`leaderboard-${board}`}>
        <caption className="visually-hidden">{board} leaderboard</caption>
        <thead>
          <tr>
            {showRank && <th scope="col">#</th>}
            {columns.map((c) => (
              <th key={c} scope="col" className={typeof rows[0][c] === 'number' ? 'num' : undefined}>
                {titleCase(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={row.team} data-testid="leaderboard-row">
              {showRank && <td className="num mono">{i + 1}</td>}
              {columns.map((c) => (
                <td key={c} className={typeof row[c] === 'number' ? 'num mono' : undefined}>
                  {formatCell(c, row[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RegisterTeam({ onToken }: { onToken: (token: string) => void }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ team: string; token: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    setCopied(false);
    try {
      const response = await api.registerTeam(name.trim());
      setResult({ team: response.team.name, token: response.token });
      onToken(response.token);
      setName('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="register-title">
      <h2 id="register-title">Register a team</h2>
      <form onSubmit={submit} className="stack">
        <Field id="team-name" label="Team name" hint="1–48 letters, digits, spaces, dots, underscores or hyphens.">
          <input
            id="team-name"
            type="text"
            required
            maxLength={48}
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="off"
          />
        </Field>
        <button type="submit" className="primary" disabled={busy || !name.trim()}>
          {busy ? 'Registering…' : 'Register'}
        </button>
      </form>
      {error && <ErrorMessage error={error} />}
      {result && (
        <div className="token-box" role="status" data-testid="team-token">
          <p>
            Team <strong>{result.team}</strong> is registered. Its token is shown <strong>only this once</strong>: keep
            it, it is what lets the team submit.
          </p>
          <code className="token" data-testid="token-value">
            {result.token}
          </code>
          <button
            type="button"
            className="small"
            onClick={() => {
              void navigator.clipboard?.writeText(result.token).then(
                () => setCopied(true),
                () => setCopied(false),
              );
            }}
          >
            {copied ? 'Copied' : 'Copy token'}
          </button>
        </div>
      )}
    </section>
  );
}

type Outcome =
  | { ok: true; submission: SubmissionRecord; quota?: Quota }
  | { ok: false; message: string; quota?: Quota };

function SubmitForm({
  token,
  header,
  closed,
  onToken,
  onSubmitted,
}: {
  token: string;
  header: string;
  closed: boolean;
  onToken: (token: string) => void;
  onSubmitted: () => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [showToken, setShowToken] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setOutcome(null);
    try {
      const response = await api.submit(token.trim(), file);
      setOutcome({ ok: true, submission: response.submission, quota: response.quota });
      onSubmitted();
    } catch (e) {
      const quota = e instanceof ApiError ? (e.body as { quota?: Quota } | undefined)?.quota : undefined;
      setOutcome({ ok: false, message: (e as Error).message, quota });
      if (e instanceof ApiError && e.status === 400) onSubmitted();
    } finally {
      setBusy(false);
    }
  };
  const quota = outcome?.quota;
  return (
    <section className="panel" aria-labelledby="submit-title">
      <h2 id="submit-title">Submit predictions</h2>
      <p className="hint">
        A CSV with the header <code>{header}</code> and one row per test well: its id{' '}
        <code>{'{experiment}_{plate}_{well}'}</code> and the predicted siRNA id.
      </p>
      {closed && <p className="status status-empty">The competition is closed: submissions are no longer accepted.</p>}
      <form onSubmit={submit} className="stack">
        <Field id="submit-token" label="Team token">
          <span className="input-with-button">
            <input
              id="submit-token"
              type={showToken ? 'text' : 'password'}
              required
              value={token}
              onChange={(e) => onToken(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              className="mono"
            />
            <button
              type="button"
              className="small"
              onClick={() => setShowToken(!showToken)}
              aria-pressed={showToken}
              aria-label={showToken ? 'Hide the token' : 'Show the token'}
            >
              {showToken ? 'Hide' : 'Show'}
            </button>
          </span>
        </Field>
        <Field id="submit-file" label="Submission file (.csv)">
          <input
            id="submit-file"
            type="file"
            accept=".csv,text/csv,text/plain"
            required
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setOutcome(null);
            }}
          />
        </Field>
        <button type="submit" className="primary" disabled={busy || !file || !token.trim()}>
          {busy ? 'Scoring…' : 'Submit'}
        </button>
      </form>
      <div aria-live="polite">
        {outcome?.ok === true && (
          <div className="status status-success" data-testid="submission-result">
            <span>
              Submission <span className="mono">#{outcome.submission.id}</span> scored{' '}
              <strong className="mono" data-testid="submission-score">
                {outcome.submission.publicScore === null || outcome.submission.publicScore === undefined
                  ? '—'
                  : outcome.submission.publicScore.toFixed(5)}
              </strong>{' '}
              on the public board.
            </span>
          </div>
        )}
      </div>
      {outcome?.ok === false && (
        <div className="status status-error" role="alert">
          <strong>Submission not accepted:</strong>
          <span className="error-text" data-testid="submission-error">
            {outcome.message}
          </span>
        </div>
      )}
      {quota && (
        <p className="hint" data-testid="quota">
          {quota.used} of {quota.limit} submissions used today (UTC); the count resets{' '}
          {formatCell('resetsAt', quota.resetsAt)}.
        </p>
      )}
    </section>
  );
}

/** The team's own submissions (valid and rejected), once a token is entered. */
function MySubmissions({ token, version }: { token: string; version: number }) {
  const settled = useDebounced(token.trim(), 500);
  const mine = useAsync(() => (settled.length >= 8 ? api.mySubmissions(settled) : undefined), [settled]);
  // A new submission (version) loads the list again.
  const { reload } = mine;
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);
  if (!settled || (!mine.data && !mine.error)) return null;
  const showPrivate = !!mine.data?.submissions.some((s) => s.privateScore !== null && s.privateScore !== undefined);
  return (
    <section className="panel" aria-labelledby="mine-title">
      <h2 id="mine-title">Your submissions{mine.data ? ` · ${mine.data.team.name}` : ''}</h2>
      {mine.error && <ErrorMessage error={mine.error} />}
      {mine.data && mine.data.submissions.length === 0 && <p className="muted">None yet.</p>}
      {mine.data && mine.data.submissions.length > 0 && (
        <div className="table-scroll">
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Submitted</th>
                <th scope="col">File</th>
                <th scope="col" className="num">
                  Public score
                </th>
                {showPrivate && (
                  <th scope="col" className="num">
                    Private score
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {mine.data.submissions.map((s) => (
                <tr key={s.id}>
                  <td className="mono">{s.id}</td>
                  <td>{formatCell('createdAt', s.createdAt)}</td>
                  <td className="mono">{s.filename ?? '—'}</td>
                  <td className="num mono" title={s.message ?? undefined}>
                    {s.valid === false ? (
                      <span className="badge warning">rejected</span>
                    ) : (
                      formatCell('publicScore', s.publicScore)
                    )}
                  </td>
                  {showPrivate && (
                    <td className="num mono">{s.valid === false ? '' : formatCell('privateScore', s.privateScore)}</td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
