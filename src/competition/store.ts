/**
 * A competition: a solution key plus teams and their submissions in a database (SQLite or PostgreSQL,
 * see db.ts and migrations.ts). One competition per database.
 *
 * Rules:
 * - Teams register with a unique name and get a bearer token once; only its SHA-256 hash is stored. Names are
 *   NFKC-normalized and unique ignoring case and by their confusable skeleton (teamNames.ts): "alpha", Cyrillic
 *   "аlpha" and fullwidth "ａlpha" are one name.
 * - A submission is validated and scored by scoreSubmission (submission.ts). A valid one is stored with its public
 *   and private accuracy; at most `dailyLimit` valid submissions per team per UTC day (default 5). An invalid one is
 *   recorded with its message, size and SHA-256, keeping only its first INVALID_KEPT_BYTES; invalid attempts have
 *   their own daily limit (`invalidDailyLimit`, default 20). What a team stores is capped (`teamStorageBytes`).
 * - Public leaderboard: each team's best public score (on equal scores, the team's earliest such
 *   submission); teams ranked by that score, ties by the earlier submission.
 * - Private leaderboard: hidden (403) until the organizer closes the competition; then each team is ranked
 *   by the private score of the submission that tops its public score (Kaggle lets teams select their final
 *   submissions; here the best public one is the selection), ties by the earlier submission.
 * - Scores are a pure function of the stored file and the key: `rescore` recomputes them all (run
 *   automatically when the key's fingerprint differs from the one stored).
 */
import crypto from 'node:crypto';
import type { Db, DbSession } from './db.js';
import { nameSkeleton, normalizeTeamName } from './teamNames.js';
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
export const DEFAULT_INVALID_DAILY_LIMIT = 20;
/** Bytes of submitted files a team may store, valid and invalid together (default 50 MiB). */
export const DEFAULT_TEAM_STORAGE_BYTES = 50 * 1024 * 1024;
/** Bytes kept of an invalid file, for the record (migration 2 cuts older ones to the same). */
export const INVALID_KEPT_BYTES = 4096;
export const TEAM_NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,47}$/u;

/** The exact messages of the competition's refusals. */
export const COMPETITION_MESSAGES = {
  teamName:
    'name: expected 1..48 letters, digits, spaces, dots, underscores or hyphens, starting with a letter or digit',
  teamExists: (name: string) => `name: a team named "${name}" already exists`,
  teamLookalike: (name: string, existing: string) =>
    `name: "${name}" looks like the existing team "${existing}" (names are compared after Unicode NFKC ` +
    'normalization and by their confusable skeleton); choose another name',
  unauthorized: 'authorization: expected the header "Authorization: Bearer TOKEN" with a team token',
  badToken: 'authorization: unknown team token',
  closed: 'the competition is closed: submissions are no longer accepted',
  dailyLimit: (limit: number, resetsAt: string) =>
    `daily submission limit reached: ${limit} valid submission(s) per UTC day; the next one is possible from ` +
    `${resetsAt}`,
  invalidLimit: (limit: number, resetsAt: string) =>
    `daily limit of invalid submissions reached: ${limit} invalid submission(s) per UTC day; check the file with ` +
    `\`phenomap score FILE --key KEY\` or the validation rules (API.md); the next attempt is possible from ${resetsAt}`,
  storageFull: (stored: number, limit: number) =>
    `storage limit reached: the team stores ${stored} bytes of submissions, and this one would pass its limit of ` +
    `${limit} bytes`,
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
  /** Invalid submissions per team per UTC day (default 20). */
  invalidDailyLimit?: number;
  /** Bytes of files a team may store (default 50 MiB). */
  teamStorageBytes?: number;
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
  sha256: string | null;
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
  `s.message, s.sha256`;

/** A team's submissions of one UTC day, valid and invalid, and the bytes it stores. */
const USAGE_SQL =
  'SELECT CAST(COALESCE(SUM(CASE WHEN valid = 1 AND created_at >= ? AND created_at < ? THEN 1 ELSE 0 END), 0) AS ' +
  'INTEGER) AS valid, CAST(COALESCE(SUM(CASE WHEN valid = 0 AND created_at >= ? AND created_at < ? THEN 1 ELSE 0 ' +
  'END), 0) AS INTEGER) AS invalid, CAST(COALESCE(SUM(stored_bytes), 0) AS BIGINT) AS stored FROM submissions ' +
  'WHERE team_id = ?';

interface Usage {
  valid: number;
  invalid: number;
  stored: number;
}

async function usageOf(session: DbSession, teamId: number, day: { start: string; end: string }): Promise<Usage> {
  const row = await session.get<Usage>(USAGE_SQL, [day.start, day.end, day.start, day.end, teamId]);
  return { valid: Number(row?.valid ?? 0), invalid: Number(row?.invalid ?? 0), stored: Number(row?.stored ?? 0) };
}

/** What is kept of a submitted file: all of a valid one; the first INVALID_KEPT_BYTES of an invalid one, as text. */
function keptText(input: string | Uint8Array, valid: boolean): string {
  const bytes =
    typeof input === 'string' ? Buffer.from(input) : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // A cut may split a UTF-8 sequence (decoded as U+FFFD); NUL is not storable as PostgreSQL text.
  const text = (valid ? bytes : bytes.subarray(0, INVALID_KEPT_BYTES)).toString('utf8');
  return valid ? text : text.replaceAll('\0', '\uFFFD');
}

export class Competition {
  readonly key: SolutionKey;
  readonly name: string;
  readonly dailyLimit: number;
  readonly invalidDailyLimit: number;
  readonly teamStorageBytes: number;
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
    this.invalidDailyLimit = options.invalidDailyLimit ?? DEFAULT_INVALID_DAILY_LIMIT;
    this.teamStorageBytes = options.teamStorageBytes ?? DEFAULT_TEAM_STORAGE_BYTES;
    for (const [name, value] of Object.entries({
      dailyLimit: this.dailyLimit,
      invalidDailyLimit: this.invalidDailyLimit,
      teamStorageBytes: this.teamStorageBytes,
    }))
      if (!Number.isInteger(value) || value < 1) throw new Error(`${name} ${value}: expected an integer >= 1`);
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
    // Teams registered before names had skeletons (migration 2) get theirs.
    for (const team of await db.all<{ id: number; name: string }>(
      'SELECT id, name FROM teams WHERE name_skeleton IS NULL',
    ))
      await db.run('UPDATE teams SET name_skeleton = ? WHERE id = ?', [nameSkeleton(team.name), team.id]);
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
    const name = normalizeTeamName(rawName);
    if (!TEAM_NAME_PATTERN.test(name)) throw new CompetitionError(400, COMPETITION_MESSAGES.teamName);
    const nameKey = name.toLowerCase();
    const skeleton = nameSkeleton(name);
    const token = `pm_${crypto.randomBytes(24).toString('base64url')}`;
    const createdAt = this.#now().toISOString();
    const row = await this.db
      .transaction(async (tx) => {
        // Touching the state row serializes registrations (a row lock on PostgreSQL): the skeleton check holds.
        await tx.run('UPDATE competition_state SET state = state WHERE id = 1');
        if (await tx.get('SELECT id FROM teams WHERE name_key = ?', [nameKey]))
          throw new CompetitionError(409, COMPETITION_MESSAGES.teamExists(name));
        const lookalike = await tx.get<{ name: string }>('SELECT name FROM teams WHERE name_skeleton = ?', [skeleton]);
        if (lookalike) throw new CompetitionError(409, COMPETITION_MESSAGES.teamLookalike(name, lookalike.name));
        return tx.get<{ id: number }>(
          'INSERT INTO teams (name, name_key, name_skeleton, token_hash, created_at) VALUES (?, ?, ?, ?, ?) ' +
            'RETURNING id',
          [name, nameKey, skeleton, hashToken(token), createdAt],
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
   * CompetitionError for a closed competition (403), a reached daily limit of valid or of invalid submissions (429)
   * or a team's full storage (413); nothing is stored then.
   */
  async submit(team: Team, input: string | Uint8Array, filename: string | null = null): Promise<SubmissionRecord> {
    if ((await this.#state()).state === 'closed') throw new CompetitionError(403, COMPETITION_MESSAGES.closed);
    const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
    const result = scoreSubmission(input, this.key, { maxBytes: this.maxBytes });
    const sha256 = crypto.createHash('sha256').update(input).digest('hex');
    const file = keptText(input, result.valid);
    const stored = Buffer.byteLength(file);
    const now = this.#now();
    const createdAt = now.toISOString();
    const day = utcDay(now);
    const id = await this.db.transaction(async (tx) => {
      // Touching the team row first serializes one team's concurrent submissions (a row lock on PostgreSQL).
      await tx.run('UPDATE teams SET last_submission_at = ? WHERE id = ?', [createdAt, team.id]);
      const usage = await usageOf(tx, team.id, day);
      if (result.valid && usage.valid >= this.dailyLimit)
        throw new CompetitionError(429, COMPETITION_MESSAGES.dailyLimit(this.dailyLimit, day.end));
      if (!result.valid && usage.invalid >= this.invalidDailyLimit)
        throw new CompetitionError(429, COMPETITION_MESSAGES.invalidLimit(this.invalidDailyLimit, day.end));
      if (usage.stored + stored > this.teamStorageBytes)
        throw new CompetitionError(413, COMPETITION_MESSAGES.storageFull(usage.stored, this.teamStorageBytes));
      const row = await tx.get<{ id: number }>(
        'INSERT INTO submissions (team_id, created_at, filename, bytes, valid, public_score, private_score, ' +
          'message, file, sha256, stored_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
        [
          team.id,
          createdAt,
          filename,
          bytes,
          result.valid ? 1 : 0,
          result.valid ? (result.scores.public ?? result.scores.accuracy) : null,
          result.valid ? result.scores.private : null,
          result.valid ? null : result.message,
          file,
          sha256,
          stored,
        ],
      );
      return Number(row!.id);
    });
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

  /** Valid and invalid submissions of the UTC day `now` falls in, the bytes the team stores, and the limits. */
  async quota(team: Team): Promise<Quota> {
    const day = utcDay(this.#now());
    const usage = await usageOf(this.db, team.id, day);
    return {
      used: usage.valid,
      limit: this.dailyLimit,
      resetsAt: day.end,
      invalidUsed: usage.invalid,
      invalidLimit: this.invalidDailyLimit,
      storedBytes: usage.stored,
      storageLimit: this.teamStorageBytes,
    };
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
   * updates those that differ. A file kept only in part (an invalid one) keeps its record.
   */
  async rescore(): Promise<{ checked: number; changed: number }> {
    const rows = await this.db.all<{
      id: number;
      bytes: number;
      stored_bytes: number;
      file: string;
      valid: number;
      public_score: number | null;
      private_score: number | null;
      message: string | null;
    }>(
      'SELECT id, bytes, stored_bytes, file, valid, public_score, private_score, message FROM submissions ORDER BY id',
    );
    let changed = 0;
    for (const row of rows) {
      if (Number(row.stored_bytes) < Number(row.bytes)) continue;
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
    sha256: row.sha256,
  };
}
