/**
 * The competition's records as the store returns them and the HTTP API sends them (src/api/ re-exports them for the
 * web app). No imports: the web bundle may import this module.
 */
/** The database a competition is stored in. */
export type Dialect = 'sqlite' | 'postgres';

export type CompetitionState = 'open' | 'closed';

/** The public board (scored on the public part of the key) and the private one (shown once closed). */
export const BOARDS = ['public', 'private'] as const;
export type Board = (typeof BOARDS)[number];

export interface Team {
  id: number;
  name: string;
  createdAt: string;
}

export interface SubmissionRecord {
  id: number;
  teamId: number;
  team: string;
  createdAt: string;
  filename: string | null;
  bytes: number;
  valid: boolean;
  publicScore: number | null;
  /** Shown only once the competition is closed (null before). */
  privateScore: number | null;
  message: string | null;
  /** SHA-256 of the submitted file (hex); null for submissions stored before it was recorded. */
  sha256: string | null;
}

export interface LeaderboardEntry {
  rank: number;
  team: string;
  score: number;
  /** The submission that gives the score, and when it was made. */
  submissionId: number;
  submittedAt: string;
  /** Valid submissions of the team. */
  submissions: number;
}

export interface Leaderboard {
  board: Board;
  state: CompetitionState;
  entries: LeaderboardEntry[];
}

export interface CompetitionInfo {
  name: string;
  state: CompetitionState;
  metric: 'accuracy';
  ids: number;
  publicIds: number;
  privateIds: number;
  dailyLimit: number;
  maxBytes: number;
  header: string;
  sirnaRange: [number, number];
  openedAt: string;
  closedAt: string | null;
}

/** A team's submissions today (UTC), the bytes it stores, and the limits. */
export interface Quota {
  /** Valid submissions today, and their daily limit. */
  used: number;
  limit: number;
  /** When the counts start again (the next UTC midnight, ISO 8601). */
  resetsAt: string;
  /** Invalid submissions today, and their own daily limit. */
  invalidUsed: number;
  invalidLimit: number;
  /** Bytes of submitted files the team stores (an invalid file counts only its kept part), and the cap. */
  storedBytes: number;
  storageLimit: number;
}

/** A registered team and its bearer token (returned only once, at registration). */
export interface TeamRegistration {
  team: Team;
  token: string;
}
