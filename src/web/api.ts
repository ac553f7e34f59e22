/**
 * Typed client for the phenomap HTTP API (src/server). Every call goes to the app's own origin under /api;
 * errors carry the server's own message (`{ error }` body) so that the UI can show it verbatim. The request and
 * response types are the server's own (src/api/).
 */
import type {
  Board,
  CompetitionInfo,
  DatasetInfo,
  Embedding,
  Leaderboard,
  PlateValues,
  RunInfo,
  SiteInfo,
  SubmitResponse,
  TeamRegistration,
  TeamSubmissions,
  WellRecord,
} from '../api/types.js';

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
  leaderboard: (board: Board) => request<Leaderboard>(`/api/competition/leaderboard${query({ board })}`),
  registerTeam: (name: string) =>
    request<TeamRegistration>('/api/competition/teams', {
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
    request<TeamSubmissions>('/api/competition/submissions', {
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
