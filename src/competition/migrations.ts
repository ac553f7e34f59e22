/**
 * Numbered schema migrations, the same for SQLite and PostgreSQL. Each is portable SQL with one macro:
 * `{{id}}` is an auto-numbered integer primary key (SQLite `INTEGER PRIMARY KEY AUTOINCREMENT`, PostgreSQL
 * `SERIAL PRIMARY KEY`). Applied versions are recorded in `schema_migrations`; each migration runs in its own
 * transaction, so a failure leaves the database at the previous version. Never edit an applied migration:
 * add the next number. The submitted file is the last column of `submissions` and the daily count is answered
 * from an index, so neither a count nor a leaderboard reads the (large) files.
 */
import type { Db } from './db.js';
import type { Dialect } from './types.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'competition',
    sql: `
      CREATE TABLE competition_state (
        id INTEGER PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
        key_fingerprint TEXT,
        opened_at TEXT NOT NULL,
        closed_at TEXT
      );
      CREATE TABLE teams (
        id {{id}},
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_submission_at TEXT
      );
      CREATE TABLE submissions (
        id {{id}},
        team_id INTEGER NOT NULL REFERENCES teams (id),
        created_at TEXT NOT NULL,
        filename TEXT,
        bytes INTEGER NOT NULL,
        valid INTEGER NOT NULL,
        public_score DOUBLE PRECISION,
        private_score DOUBLE PRECISION,
        message TEXT,
        file TEXT NOT NULL
      );
      CREATE INDEX submissions_team_valid_created ON submissions (team_id, valid, created_at);
    `,
  },
  {
    // Invalid files are kept only in part (their first INVALID_KEPT_BYTES), each file's hash is kept instead, and
    // what a team stores is bounded (stored_bytes); team names are also unique by their confusable skeleton.
    version: 2,
    name: 'bounded storage',
    sql: `
      ALTER TABLE submissions ADD COLUMN sha256 TEXT;
      ALTER TABLE submissions ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE submissions SET file = substr(file, 1, 4096) WHERE valid = 0;
      UPDATE submissions SET stored_bytes = CASE WHEN file = '' THEN 0 WHEN valid = 0 AND bytes > 4096 THEN 4096
        ELSE bytes END;
      ALTER TABLE teams ADD COLUMN name_skeleton TEXT;
    `,
  },
];

const MACROS: Record<Dialect, Record<string, string>> = {
  sqlite: { id: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
  postgres: { id: 'SERIAL PRIMARY KEY' },
};

export function migrationSql(migration: Migration, dialect: Dialect): string {
  return migration.sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = MACROS[dialect][name];
    if (value === undefined) throw new Error(`migration ${migration.version}: unknown macro {{${name}}}`);
    return value;
  });
}

/** Applies the pending migrations in order; returns the versions applied now. */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ' +
      'TEXT NOT NULL)',
  );
  const done = new Set(
    (await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => Number(row.version)),
  );
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    await db.transaction(async (tx) => {
      await tx.exec(migrationSql(migration, db.dialect));
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
    });
    applied.push(migration.version);
  }
  return applied;
}
