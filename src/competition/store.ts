/**
 * A competition: a solution key plus teams and their submissions in a database (SQLite or PostgreSQL,
 * see db.ts and migrations.ts). One competition per database.
 *
 * Rules:
 * - Teams register with a unique name (case-insensitive) and get a bearer token once; only its SHA-256
 *   hash is stored.
 * - A submission is validated and scored by scoreSubmission (submission.ts). An invalid file is stored with
 *   valid = 0 and its message, and does not count against the daily limit; a valid one is stored with its
 *   public and private accuracy. At most `dailyLimit` valid submissions per team per UTC day (default 5).
 * - Public leaderboard: each team's best public score (on equal scores, the team's earliest such
 *   submission); teams ranked by that score, ties by the earlier submission.
 * - Private leaderboard: hidden (403) until the organizer closes the competition; then each team is ranked
 *   by the private score of the submission that tops its public score (Kaggle lets teams select their final
 *   submissions; here the best public one is the selection), ties by the earlier submission.
 * - Scores are a pure function of the stored file and the key: `rescore` recomputes them all (run
 *   automatically when the key's fingerprint differs from the one stored).
 */
import crypto from 'node:crypto';
import type { Db } from './db.js';
import { keyFingerprint, type SolutionKey } from './key.js';
import { migrate } from './migrations.js';
import type {
  Board,
  CompetitionInfo,
  CompetitionState,
  Leaderboard,
  LeaderboardEntry,
  Quota,
  SubmissionRecord,
  Team,
  TeamRegistration,
} from './types.js';
import {
  DEFAULT_MAX_SUBMISSION_BYTES,
  MAX_SUBMISSION_SIRNA,
  scoreSubmission,
  SUBMISSION_HEADER,
} from './submission.js';

export const DEFAULT_DAILY_LIMIT = 5;
export const TEAM_NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,47}$/u;

/** The exact messages of the competition's refusals. */
export const COMPETITION_MESSAGES = {
  teamName:
    'name: expected 1..48 letters, digits, spaces, dots, underscores or hyphens, starting with a letter or digit',
  teamExists: (name: string) => `name: a team named "${name}" already exists`,
  unauthorized: 'authorization: expected the header "Authorization: Bearer TOKEN" with a team token',
  badToken: 'authorization: unknown team token',
  closed: 'the competition is closed: submissions are no longer accepted',
  dailyLimit: (limit: number, resetsAt: string) =>
    `daily submission limit reached: ${limit} valid submission(s) per UTC day; the next one is possible from ` +
    `${resetsAt}`,
  privateHidden: 'board: the private leaderboard is hidden until the organizer closes the competition',
  noOrganizer:
    'authorization: no organizer token is configured (set PHENOMAP_ORGANIZER_TOKEN or serve --organizer-token)',
  badOrganizer: 'authorization: expected the organizer token',
} as const;

/** A refusal with the HTTP status it maps to. */
export class CompetitionError extends Error {
  override name = 'CompetitionError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CompetitionOptions {
  key: SolutionKey;
  name?: string;
  /** Valid submissions per team per UTC day (default 5). */
  dailyLimit?: number;
  /** Largest submission file in bytes (default DEFAULT_MAX_SUBMISSION_BYTES). */
  maxBytes?: number;
  /** Token that may close the competition; none = nobody can. */
  organizerToken?: string;
  /** Clock (tests move it across days). */
  now?: () => Date;
}

interface SubmissionRow {
  id: number;
  team_id: number;
  team: string;
  created_at: string;
  filename: string | null;
  bytes: number;
  valid: number;
  public_score: number | null;
  private_score: number | null;
  message: string | null;
}

interface StateRow {
  state: CompetitionState;
  key_fingerprint: string | null;
  opened_at: string;
  closed_at: string | null;
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

function sameSecret(a: string, b: string): boolean {
  return crypto.timingSafeEqual(Buffer.from(hashToken(a), 'hex'), Buffer.from(hashToken(b), 'hex'));
}

function utcDay(date: Date): { start: string; end: string } {
  const start = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  return { start: start.toISOString(), end: new Date(start.getTime() + 86_400_000).toISOString() };
}

const SUBMISSION_COLUMNS =
  `s.id, s.team_id, t.name AS team, s.created_at, s.filename, s.bytes, s.valid, s.public_score, s.private_score, ` +
  `s.message`;

export class Competition {
  readonly key: SolutionKey;
  readonly name: string;
  readonly dailyLimit: number;
  readonly maxBytes: number;
  readonly #organizerToken: string | undefined;
  readonly #now: () => Date;

  private constructor(
    readonly db: Db,
    options: CompetitionOptions,
  ) {
    this.key = options.key;
    this.name = options.name ?? 'phenomap RxRx1 competition';
    this.dailyLimit = options.dailyLimit ?? DEFAULT_DAILY_LIMIT;
    if (!Number.isInteger(this.dailyLimit) || this.dailyLimit < 1)
      throw new Error(`dailyLimit ${this.dailyLimit}: expected an integer >= 1`);
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_SUBMISSION_BYTES;
    this.#organizerToken = options.organizerToken || undefined;
    this.#now = options.now ?? (() => new Date());
  }

  /** Migrates the database, creates the competition's state, and rescores everything if the key changed. */
  static async open(db: Db, options: CompetitionOptions): Promise<Competition> {
    const competition = new Competition(db, options);
    await migrate(db);
    const fingerprint = keyFingerprint(options.key);
    const state = await db.get<StateRow>(
      'SELECT state, key_fingerprint, opened_at, closed_at FROM competition_state WHERE id = 1',
    );
    if (!state) {
      await db.run('INSERT INTO competition_state (id, state, key_fingerprint, opened_at) VALUES (1, ?, ?, ?)', [
        'open',
        fingerprint,
        competition.#now().toISOString(),
      ]);
    } else if (state.key_fingerprint !== fingerprint) {
      await competition.rescore();
      await db.run('UPDATE competition_state SET key_fingerprint = ? WHERE id = 1', [fingerprint]);
    }
    return competition;
  }

  async #state(): Promise<StateRow> {
    const row = await this.db.get<StateRow>(
      'SELECT state, key_fingerprint, opened_at, closed_at FROM competition_state WHERE id = 1',
    );
    if (!row) throw new Error('competition_state: missing row (was the database migrated?)');
    return row;
  }

  async info(): Promise<CompetitionInfo> {
    const state = await this.#state();
    const publicIds = this.key.usage ? this.key.usage.reduce((sum, u) => sum + u, 0) : this.key.ids.length;
    return {
      name: this.name,
      state: state.state,
      metric: 'accuracy',
      ids: this.key.ids.length,
      publicIds,
      privateIds: this.key.ids.length - publicIds,
      dailyLimit: this.dailyLimit,
      maxBytes: this.maxBytes,
      header: SUBMISSION_HEADER,
      sirnaRange: [0, MAX_SUBMISSION_SIRNA],
      openedAt: state.opened_at,
      closedAt: state.closed_at,
    };
  }

  /** Registers a team; the token is returned only here (the database keeps its hash). */
  async registerTeam(rawName: string): Promise<TeamRegistration> {
    const name = rawName.trim();
    if (!TEAM_NAME_PATTERN.test(name)) throw new CompetitionError(400, COMPETITION_MESSAGES.teamName);
    const nameKey = name.toLowerCase();
    const token = `pm_${crypto.randomBytes(24).toString('base64url')}`;
    const createdAt = this.#now().toISOString();
    const row = await this.db
      .transaction(async (tx) => {
        if (await tx.get('SELECT id FROM teams WHERE name_key = ?', [nameKey]))
          throw new CompetitionError(409, COMPETITION_MESSAGES.teamExists(name));
        return tx.get<{ id: number }>(
          'INSERT INTO teams (name, name_key, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id',
          [name, nameKey, hashToken(token), createdAt],
        );
      })
      .catch((error: unknown) => {
        // Two registrations racing for one name: the UNIQUE constraint decides.
        const code = (error as { code?: string }).code;
        if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE')
          throw new CompetitionError(409, COMPETITION_MESSAGES.teamExists(name));
        throw error;
      });
    return { team: { id: Number(row!.id), name, createdAt }, token };
  }

  /** The team owning a bearer token; throws 401 when there is none. */
  async authenticate(token: string | undefined): Promise<Team> {
    if (!token) throw new CompetitionError(401, COMPETITION_MESSAGES.unauthorized);
    const row = await this.db.get<{ id: number; name: string; created_at: string }>(
      'SELECT id, name, created_at FROM teams WHERE token_hash = ?',
      [hashToken(token)],
    );
    if (!row) throw new CompetitionError(401, COMPETITION_MESSAGES.badToken);
    return { id: Number(row.id), name: row.name, createdAt: row.created_at };
  }

  /**
   * Validates, scores and stores a submission. Resolves with the stored record (valid or not); throws a
   * CompetitionError for a closed competition (403) or a reached daily limit (429, nothing stored).
   */
  async submit(team: Team, input: string | Uint8Array, filename: string | null = null): Promise<SubmissionRecord> {
    if ((await this.#state()).state === 'closed') throw new CompetitionError(403, COMPETITION_MESSAGES.closed);
    const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
    const result = scoreSubmission(input, this.key, { maxBytes: this.maxBytes });
    const now = this.#now();
    const createdAt = now.toISOString();
    // A file over the limit is recorded, but not kept.
    const file =
      bytes > this.maxBytes
        ? ''
        : typeof input === 'string'
          ? input
          : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
    const insert =
      'INSERT INTO submissions (team_id, created_at, filename, bytes, valid, public_score, private_score, ' +
      'message, file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id';
    let id: number;
    if (!result.valid) {
      const row = await this.db.get<{ id: number }>(insert, [
        team.id,
        createdAt,
        filename,
        bytes,
        0,
        null,
        null,
        result.message,
        file,
      ]);
      id = Number(row!.id);
    } else {
      const { start, end } = utcDay(now);
      id = await this.db.transaction(async (tx) => {
        // Touching the team row first serializes one team's concurrent submissions (a row lock on PostgreSQL).
        await tx.run('UPDATE teams SET last_submission_at = ? WHERE id = ?', [createdAt, team.id]);
        const count = await tx.get<{ n: number }>(
          'SELECT CAST(COUNT(*) AS INTEGER) AS n FROM submissions WHERE team_id = ? AND valid = 1 AND created_at ' +
            '>= ? AND created_at < ?',
          [team.id, start, end],
        );
        if (Number(count?.n ?? 0) >= this.dailyLimit)
          throw new CompetitionError(429, COMPETITION_MESSAGES.dailyLimit(this.dailyLimit, end));
        const row = await tx.get<{ id: number }>(insert, [
          team.id,
          createdAt,
          filename,
          bytes,
          1,
          result.scores.public ?? result.scores.accuracy,
          result.scores.private,
          null,
          file,
        ]);
        return Number(row!.id);
      });
    }
    return (await this.#submission(id))!;
  }

  async #submission(id: number): Promise<SubmissionRecord | undefined> {
    const closed = (await this.#state()).state === 'closed';
    const row = await this.db.get<SubmissionRow>(
      `SELECT ${SUBMISSION_COLUMNS} FROM submissions s JOIN teams t ON t.id = s.team_id WHERE s.id = ?`,
      [id],
    );
    return row && toRecord(row, closed);
  }

  /** A team's submissions, newest first (without the files). */
  async submissions(team: Team): Promise<SubmissionRecord[]> {
    const closed = (await this.#state()).state === 'closed';
    const rows = await this.db.all<SubmissionRow>(
      `SELECT ${SUBMISSION_COLUMNS} FROM submissions s JOIN teams t ON t.id = s.team_id WHERE s.team_id = ? ` +
        `ORDER BY s.created_at DESC, s.id DESC`,
      [team.id],
    );
    return rows.map((row) => toRecord(row, closed));
  }

  /** Valid submissions of the UTC day `now` falls in, and the limit. */
  async quota(team: Team): Promise<Quota> {
    const { start, end } = utcDay(this.#now());
    const count = await this.db.get<{ n: number }>(
      'SELECT CAST(COUNT(*) AS INTEGER) AS n FROM submissions WHERE team_id = ? AND valid = 1 AND created_at >= ' +
        '? AND created_at < ?',
      [team.id, start, end],
    );
    return { used: Number(count?.n ?? 0), limit: this.dailyLimit, resetsAt: end };
  }

  async leaderboard(board: Board): Promise<Leaderboard> {
    const state = (await this.#state()).state;
    if (board === 'private' && state !== 'closed') throw new CompetitionError(403, COMPETITION_MESSAGES.privateHidden);
    const rows = await this.db.all<SubmissionRow>(
      `SELECT ${SUBMISSION_COLUMNS} FROM submissions s JOIN teams t ON t.id = s.team_id WHERE s.valid = 1 ORDER ` +
        `BY s.created_at, s.id`,
    );
    const best = new Map<number, { row: SubmissionRow; count: number }>();
    for (const row of rows) {
      const current = best.get(row.team_id);
      if (!current) best.set(row.team_id, { row, count: 1 });
      else {
        current.count++;
        if (Number(row.public_score) > Number(current.row.public_score)) current.row = row;
      }
    }
    const score = (row: SubmissionRow) => Number(board === 'public' ? row.public_score : row.private_score);
    const entries = [...best.values()]
      .sort(
        (a, b) =>
          score(b.row) - score(a.row) ||
          (a.row.created_at < b.row.created_at ? -1 : a.row.created_at > b.row.created_at ? 1 : a.row.id - b.row.id),
      )
      .map(
        ({ row, count }, i): LeaderboardEntry => ({
          rank: i + 1,
          team: row.team,
          score: score(row),
          submissionId: Number(row.id),
          submittedAt: row.created_at,
          submissions: count,
        }),
      );
    return { board, state, entries };
  }

  /** Closes the competition (organizer only): no more submissions, the private board becomes visible. */
  async close(organizerToken: string | undefined): Promise<CompetitionInfo> {
    if (!this.#organizerToken) throw new CompetitionError(403, COMPETITION_MESSAGES.noOrganizer);
    if (!organizerToken) throw new CompetitionError(401, COMPETITION_MESSAGES.badOrganizer);
    if (!sameSecret(organizerToken, this.#organizerToken))
      throw new CompetitionError(403, COMPETITION_MESSAGES.badOrganizer);
    await this.db.run("UPDATE competition_state SET state = 'closed', closed_at = ? WHERE id = 1 AND state = 'open'", [
      this.#now().toISOString(),
    ]);
    return this.info();
  }

  /**
   * Recomputes validity, scores and messages of every stored submission from its file and the key, and
   * updates those that differ. A file not kept (over the size limit) keeps its record.
   */
  async rescore(): Promise<{ checked: number; changed: number }> {
    const rows = await this.db.all<{
      id: number;
      bytes: number;
      file: string;
      valid: number;
      public_score: number | null;
      private_score: number | null;
      message: string | null;
    }>('SELECT id, bytes, file, valid, public_score, private_score, message FROM submissions ORDER BY id');
    let changed = 0;
    for (const row of rows) {
      if (Number(row.bytes) > 0 && row.file === '') continue;
      const result = scoreSubmission(row.file, this.key, { maxBytes: this.maxBytes });
      const next = result.valid
        ? {
            valid: 1,
            public_score: result.scores.public ?? result.scores.accuracy,
            private_score: result.scores.private,
            message: null,
          }
        : { valid: 0, public_score: null, private_score: null, message: result.message };
      if (
        next.valid === Number(row.valid) &&
        next.public_score === nullableNumber(row.public_score) &&
        next.private_score === nullableNumber(row.private_score) &&
        next.message === row.message
      )
        continue;
      await this.db.run(
        'UPDATE submissions SET valid = ?, public_score = ?, private_score = ?, message = ? WHERE id = ?',
        [next.valid, next.public_score, next.private_score, next.message, row.id],
      );
      changed++;
    }
    return { checked: rows.length, changed };
  }

  /** The stored file of a submission (for the record, and for tests of rescoring). */
  async file(id: number): Promise<string | undefined> {
    return (await this.db.get<{ file: string }>('SELECT file FROM submissions WHERE id = ?', [id]))?.file;
  }
}

function nullableNumber(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function toRecord(row: SubmissionRow, closed: boolean): SubmissionRecord {
  return {
    id: Number(row.id),
    teamId: Number(row.team_id),
    team: row.team,
    createdAt: row.created_at,
    filename: row.filename,
    bytes: Number(row.bytes),
    valid: Number(row.valid) === 1,
    publicScore: nullableNumber(row.public_score),
    privateScore: closed ? nullableNumber(row.private_score) : null,
    message: row.message,
  };
}
