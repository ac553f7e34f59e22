/**
 * Typed client for the phenomap HTTP API (src/server). Every call goes to the app's own origin under /api;
 * errors carry the server's own message (`{ error }` body) so that the UI can show it verbatim.
 */

export interface ExperimentInfo {
  experiment: string;
  cellType: string;
  dataset: string;
  plates: number[];
}

export interface DatasetInfo {
  root: string;
  layout: string;
  sites: number;
  experiments: ExperimentInfo[];
}

export type WellType = 'treatment' | 'negative_control' | 'positive_control';

export interface WellRecord {
  wellId: string;
  experiment: string;
  plate: number;
  well: string;
  row: number | string;
  column: number | string;
  cellType: string;
  dataset: string;
  wellType: WellType | string;
  sirnaId: number | null;
  sirna: string | null;
  sirnaGroup: number | null;
  sites: number[];
}

export interface ChannelStats {
  channel: number;
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  [key: string]: unknown;
}

export interface SiteInfo {
  siteId: string;
  wellId: string;
  experiment: string;
  plate: number;
  well: string;
  site: number;
  cellType?: string;
  dataset?: string;
  wellType?: string;
  sirna?: string | null;
  sirnaId?: number | null;
  sirnaGroup?: number | null;
  /** Per-channel statistics; the server may give an array or a record keyed by channel. */
  stats?: ChannelStats[] | Record<string, Omit<ChannelStats, 'channel'>>;
  channels?: unknown;
  [key: string]: unknown;
}

export type PlateValue = string | number | null;

export interface PlateValues {
  field: string;
  values: { well: string; value: PlateValue }[];
}

export interface RunInfo {
  name: string;
  hasReport: boolean;
  hasProfiles: boolean;
  methods: string[];
  hasMetrics?: boolean;
  /** Feature columns of the run's profiles, when the server lists them. */
  features?: string[];
  projections?: string[];
}

export interface EmbeddingPoint {
  wellId: string;
  x: number;
  y: number;
  experiment: string;
  cellType: string;
  sirnaId: number | null;
  wellType: string;
  [key: string]: unknown;
}

export interface Embedding {
  points: EmbeddingPoint[];
  method?: string;
  projection?: string;
  /** Number of features projected. */
  features?: number;
  /** Fraction of variance of the two axes. */
  explained?: [number, number];
  /** Which wells the correction was fitted on (null for none). */
  fittedOn?: 'negative' | 'all' | null;
  [key: string]: unknown;
}

export type LeaderboardRow = Record<string, unknown>;

export interface Leaderboard {
  board: 'public' | 'private';
  state: 'open' | 'closed';
  entries: LeaderboardRow[];
}

export interface CompetitionInfo {
  name?: string;
  state?: 'open' | 'closed';
  metric?: string;
  ids?: number;
  publicIds?: number;
  privateIds?: number;
  dailyLimit?: number;
  maxBytes?: number;
  header?: string;
  sirnaRange?: [number, number];
  openedAt?: string;
  closedAt?: string | null;
  [key: string]: unknown;
}

export interface Team {
  id: number;
  name: string;
  createdAt: string;
}

export interface SubmissionRecord {
  id: number;
  team?: string;
  createdAt?: string;
  filename?: string | null;
  bytes?: number;
  valid?: boolean;
  publicScore: number | null;
  privateScore?: number | null;
  message?: string | null;
}

export interface Quota {
  used: number;
  limit: number;
  resetsAt: string;
}

/** POST /api/competition/submissions: `{ submission, quota }` (older contract: the submission's fields at the top). */
export type SubmitResponse = { submission?: SubmissionRecord; quota?: Quota } & Partial<SubmissionRecord>;

/** An HTTP error with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The parsed JSON body of the error response, when it had one. */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The server's error message from a failed response: `{ error }` (or `{ message }`) JSON, else the body text. */
async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let body: { error?: unknown; message?: unknown } | undefined;
  try {
    body = JSON.parse(text) as { error?: unknown; message?: unknown };
  } catch {
    // not JSON: the text is the message
  }
  let message = text.trim() || `${response.status} ${response.statusText}`;
  if (body && typeof body.error === 'string' && body.error) message = body.error;
  else if (body && typeof body.message === 'string' && body.message) message = body.message;
  else if (
    body?.error &&
    typeof body.error === 'object' &&
    typeof (body.error as { message?: unknown }).message === 'string'
  )
    message = (body.error as { message: string }).message;
  return new ApiError(response.status, message, body);
}

export async function request<T>(url: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(0, `cannot reach the server (${(error as Error).message})`);
  }
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const api = {
  dataset: () => request<DatasetInfo>('/api/dataset'),
  wells: (experiment: string, plate: number) => request<WellRecord[]>(`/api/wells${query({ experiment, plate })}`),
  site: (siteId: string) => request<SiteInfo>(`/api/sites/${encodeURIComponent(siteId)}`),
  plateValues: (experiment: string, plate: number, field: string, run?: string) =>
    request<PlateValues>(`/api/plates/${encodeURIComponent(experiment)}/${plate}/values${query({ field, run })}`),
  runs: () => request<RunInfo[]>('/api/runs'),
  embedding: (run: string, method: string, projection: string) =>
    request<Embedding>(`/api/runs/${encodeURIComponent(run)}/embedding${query({ method, projection })}`),
  competition: () => request<CompetitionInfo>('/api/competition'),
  leaderboard: (board: 'public' | 'private') =>
    request<Leaderboard | LeaderboardRow[]>(`/api/competition/leaderboard${query({ board })}`),
  registerTeam: (name: string) =>
    request<{ team: Team | string; token: string }>('/api/competition/teams', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    }),
  submit: (token: string, file: Blob) =>
    request<SubmitResponse>('/api/competition/submissions', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' },
      body: file,
    }),
  mySubmissions: (token: string) =>
    request<{ team: Team; submissions: SubmissionRecord[]; quota: Quota }>('/api/competition/submissions', {
      headers: { Authorization: `Bearer ${token}` },
    }),
};

export function siteImageUrl(siteId: string, query = ''): string {
  return `/api/sites/${encodeURIComponent(siteId)}/composite.png${query}`;
}

export function channelImageUrl(siteId: string, channel: number, query = ''): string {
  return `/api/sites/${encodeURIComponent(siteId)}/channels/${channel}.png${query}`;
}

export function reportUrl(run: string): string {
  return `/api/runs/${encodeURIComponent(run)}/report`;
}
